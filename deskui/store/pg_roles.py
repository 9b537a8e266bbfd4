"""PostgreSQL group roles and table privileges: the database enforces the roles too.

Four NOLOGIN group roles, ``deskui_viewer``, ``deskui_analyst``, ``deskui_lead``
and ``deskui_admin``. They do not inherit from each other: each is granted its
whole set of privileges explicitly (computed below from :data:`TABLES`), so a
``\\dp`` in psql shows everything a role may do, and a login is a member of
exactly one of them (:func:`deskui.services.db_roles.sync_login_role`).

What each may do, table by table, is :data:`TABLES`, one entry per table of the
schema; a test fails when a table exists that it does not classify, so a new
table never gets no grants, or all grants, by accident.

- viewer: SELECT on every table, nothing else.
- analyst: SELECT everywhere, and the writes that working tickets needs.
- lead: the analyst's, and bulletins and approval decisions.
- admin: SELECT, INSERT, UPDATE, DELETE on every table, except that the
  append-only tables (ticket events, comments, problem events, surveys) get
  INSERT and SELECT only, for every role, admin included; schema changes (and
  ``alembic_version``) stay with the owner. Nobody but the owner may TRUNCATE.

Sequences: USAGE for a role that may INSERT into the table that owns the
sequence; admin also SELECT and UPDATE (``setval``). Functions the schema uses
(search folding, the append-only trigger): EXECUTE for every group role.

One row of ``settings`` is runtime state, not configuration: the SLA sweep's
lease (``services/sweep.claim_sweep``), which every analyst's app claims. Row
level security on ``settings`` lets analysts and leads insert and update that
row only; every other setting is admin's (an analyst's UPDATE of another key
matches no row; an INSERT of another key is refused). The owner is not subject
to row level security.

Only SQL and data here: :mod:`deskui.services.db_roles` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("viewer", "analyst", "lead", "admin")
ROLE_PREFIX = "deskui_"
SWEEP_LEASE_KEY = "sla.sweep_lease"  # = services.sweep.SWEEP_LEASE (a test holds them equal)
FUNCTIONS = ("deskui_fold(text)", "deskui_append_only()")

S, I, U, D = "SELECT", "INSERT", "UPDATE", "DELETE"
DML = frozenset({S, I, U, D})


def group_role(role: str) -> str:
    return ROLE_PREFIX + role


@dataclass(frozen=True)
class Access:
    """What a table allows beyond the viewer's SELECT. ``analyst`` and ``lead`` list
    the writes (the lead has the analyst's too); ``kind`` says how admin is treated:
    ``"data"`` all DML, ``"append_only"`` INSERT only, ``"schema"`` nothing."""

    kind: str
    analyst: frozenset[str] = frozenset()
    lead: frozenset[str] = frozenset()
    why: str = ""


def _w(*privileges: str) -> frozenset[str]:
    return frozenset(privileges)


def _directory(why: str) -> Access:
    return Access("data", why=why)


def _work(*privileges: str, why: str) -> Access:
    return Access("data", analyst=_w(*privileges), why=why)


def _lead(*privileges: str, analyst: tuple[str, ...] = (), why: str) -> Access:
    return Access("data", analyst=_w(*analyst), lead=_w(*privileges), why=why)


APPEND_ONLY = Access("append_only", analyst=_w(I), why="the audit trail: a correction is a new row")

TABLES: dict[str, Access] = {
    # The audit trail (migration 0008_append_only): INSERT and SELECT only, for everyone.
    "ticket_events": APPEND_ONLY,
    "comments": APPEND_ONLY,
    "problem_events": APPEND_ONLY,
    "surveys": APPEND_ONLY,
    # Working tickets.
    "tickets": _work(I, U, why="open, take, assign, status, escalate, resolve, reopen; SLA cache"),
    "requesters": _work(I, U, why="a new ticket or mail from someone not seen before"),
    "drafts": _work(I, U, D, why="an analyst's unsent reply or note"),
    "problems": _work(I, U, why="problem records and their incident links"),
    "articles": _work(I, U, why="knowledge from a ticket, views and votes"),
    "article_links": _work(I, D, why="an article linked to a ticket"),
    "rule_firings": _work(I, why="automation runs on ticket changes and the SLA sweep"),
    "rule_cursors": _work(I, U, why="round-robin assignment on open"),
    "notifications": _work(I, U, why="the outbox, written with the change; the sender marks it sent"),
    "request_details": _work(I, U, why="a service request's answers"),
    "request_checklist": _work(I, U, why="fulfilment steps, ticked off"),
    "request_approvals": _lead(U, analyst=(I,), why="rows come with a request; deciding is a lead's"),
    "outbox": _work(I, U, why="requester mail, written with the change; the sender claims and marks it"),
    "settings": _work(I, U, why=f"only the row {SWEEP_LEASE_KEY!r} (row level security); the rest is admin's"),
    # Leads.
    "bulletins": _lead(I, U, why="known issues and changes"),
    "bulletin_links": _lead(I, D, why="tickets linked to a bulletin"),
    # The directory and configuration: admin only.
    "analysts": _directory("who may work the desk, and their roles"),
    "groups": _directory("support groups"),
    "group_members": _directory("group membership"),
    "categories": _directory("the category tree and routing"),
    "calendars": _directory("business calendars"),
    "sla_policies": _directory("SLA targets"),
    "automation_rules": _directory("rules"),
    "catalog_items": _directory("the service catalogue"),
    "canned_responses": _directory("canned replies"),
    "routing_models": _directory("the trained routing model (deskui route train)"),
    "analyst_tokens": _directory("sign-in token hashes for deskui serve"),
    # Migrations' bookkeeping: read by everyone (the schema check), written by the owner.
    "alembic_version": Access("schema", why="the schema revision"),
}


def table_privileges(table: str, role: str) -> frozenset[str]:
    """The privileges group role ``role`` (viewer, analyst, lead, admin) should hold on ``table``."""
    access = TABLES[table]
    if role == "viewer" or access.kind == "schema":
        return _w(S)
    if role == "admin":
        return _w(S, I) if access.kind == "append_only" else DML
    granted = _w(S) | access.analyst
    return granted | access.lead if role == "lead" else granted


def sequence_privileges(table: str, role: str) -> frozenset[str]:
    """Privileges on a sequence owned by ``table``: USAGE where the role may insert."""
    if I not in table_privileges(table, role):
        return frozenset()
    return _w("USAGE", "SELECT", "UPDATE") if role == "admin" else _w("USAGE")


# --- row level security on settings: the sweep lease only ----------------------

POLICIES: dict[str, str] = {
    "deskui_settings_read": "CREATE POLICY deskui_settings_read ON settings FOR SELECT USING (true)",
    "deskui_settings_admin": (
        "CREATE POLICY deskui_settings_admin ON settings FOR ALL TO deskui_admin USING (true) WITH CHECK (true)"),
    "deskui_settings_lease": (
        "CREATE POLICY deskui_settings_lease ON settings FOR ALL TO deskui_analyst, deskui_lead "
        f"USING (key = '{SWEEP_LEASE_KEY}') WITH CHECK (key = '{SWEEP_LEASE_KEY}')"),
}

# --- catalogue queries ---------------------------------------------------------

EXISTING_ROLES = "SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"

CREATE_GROUP = """DO $$ BEGIN
    CREATE ROLE {name} NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile by another run
END $$"""

SCHEMA_TABLES = """SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY c.relname"""

# Sequences of the schema with the table that owns them (serial or identity columns).
SCHEMA_SEQUENCES = """SELECT s.relname, t.relname FROM pg_class s
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class t ON t.oid = d.refobjid
 WHERE s.relnamespace = current_schema()::regnamespace AND s.relkind = 'S' ORDER BY s.relname"""

# Privileges the group roles hold now on the schema's tables and sequences.
HELD_RELATION_PRIVILEGES = """SELECT c.relname, r.rolname, a.privilege_type FROM pg_class c
  CROSS JOIN LATERAL aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = :kind AND r.rolname = ANY(:roles)"""

HELD_FUNCTION_PRIVILEGES = """SELECT p.oid::regprocedure::text, r.rolname FROM pg_proc p
  CROSS JOIN LATERAL aclexplode(p.proacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE p.pronamespace = current_schema()::regnamespace AND a.privilege_type = 'EXECUTE'
   AND r.rolname = ANY(:roles)"""

EXISTING_FUNCTIONS = """SELECT p.oid::regprocedure::text FROM pg_proc p
 WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'deskui\\_%'"""

HELD_SCHEMA_USAGE = """SELECT r.rolname FROM pg_namespace n
  CROSS JOIN LATERAL aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE n.oid = current_schema()::regnamespace AND a.privilege_type = 'USAGE' AND r.rolname = ANY(:roles)"""

HELD_CONNECT = """SELECT r.rolname FROM pg_database d
  CROSS JOIN LATERAL aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee
 WHERE d.datname = current_database() AND a.privilege_type = 'CONNECT' AND r.rolname = ANY(:roles)"""

OWNS_DATABASE_AND_SCHEMA = """SELECT
  (SELECT pg_has_role(current_user, d.datdba, 'USAGE') FROM pg_database d WHERE d.datname = current_database()),
  (SELECT pg_has_role(current_user, n.nspowner, 'USAGE') FROM pg_namespace n
    WHERE n.oid = current_schema()::regnamespace)"""

SETTINGS_RLS = """SELECT c.relrowsecurity FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = 'settings'"""

EXISTING_POLICIES = """SELECT policyname FROM pg_policies
 WHERE schemaname = current_schema() AND tablename = 'settings'"""

# A login role: does it exist, may it log in, is it a superuser, which deskui groups is it in.
LOGIN_ROLE = "SELECT rolcanlogin, rolsuper, rolinherit FROM pg_roles WHERE rolname = :name"
MEMBER_OF = """SELECT g.rolname FROM pg_auth_members m
  JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
 WHERE u.rolname = :name AND g.rolname = ANY(:groups)"""

# The owner check: GRANT by someone who does not own the table only warns.
CURRENT_ROLE = "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
FOREIGN_RELATION = """SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
   AND c.relkind IN ('r', 'p', 'S') AND NOT pg_has_role(current_user, c.relowner, 'USAGE') LIMIT 1"""

ENABLE_SETTINGS_RLS = "ALTER TABLE settings ENABLE ROW LEVEL SECURITY"

# --- statements; every name in them is quoted by the caller (dialect identifier quoting)


def grant(privileges: list[str], target: str, role: str) -> str:
    return f"GRANT {', '.join(privileges)} ON {target} TO {role}"


def revoke(privileges: list[str], target: str, role: str) -> str:
    return f"REVOKE {', '.join(privileges)} ON {target} FROM {role}"


def grant_execute(function: str, role: str) -> str:
    return f"GRANT EXECUTE ON FUNCTION {function} TO {role}"


def create_login(quoted: str, enabled: bool) -> str:
    return f"CREATE ROLE {quoted} {'LOGIN' if enabled else 'NOLOGIN'} INHERIT"


def grant_group(group: str, quoted: str) -> str:
    return f"GRANT {group} TO {quoted}"


def revoke_group(group: str, quoted: str) -> str:
    return f"REVOKE {group} FROM {quoted}"


def alter_login(quoted: str, option: str) -> str:
    """``option``: LOGIN, NOLOGIN or INHERIT."""
    return f"ALTER ROLE {quoted} {option}"
