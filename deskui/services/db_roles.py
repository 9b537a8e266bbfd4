"""PostgreSQL roles for a team: group roles with table privileges, and analysts' logins.

:func:`grant_roles` (``deskui db grant``) creates the four NOLOGIN group roles
and brings their privileges to exactly what :mod:`deskui.store.pg_roles` says,
granting what is missing and revoking what is extra; a second run changes
nothing and says so. :func:`sync_login_role` gives an analyst's LOGIN role of
the same name membership of exactly one group role. Both run as the owner of
the deskui tables (with CREATEROLE) or a superuser; both need PostgreSQL.

Usernames are untrusted: every role and table name reaches SQL through the
dialect's identifier quoting, never pasted raw.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from deskui.errors import DeskError, NotFound, ValidationError
from deskui.store import pg_roles as sql
from deskui.store.pg_roles import GROUPS, group_role

GRANT_NEEDS_PG = "deskui db grant needs PostgreSQL; on SQLite the file's permissions are the boundary"
LOGIN_NEEDS_PG = "a database login needs PostgreSQL; on SQLite the file's permissions are the boundary"
GROUP_ROLES = tuple(group_role(r) for r in GROUPS)


class NeedsPostgres(DeskError):
    """Database roles exist only on PostgreSQL."""


@dataclass(frozen=True)
class GrantSummary:
    """What :func:`grant_roles` changed, one line each, and the tables it left alone."""

    changes: tuple[str, ...]
    unclassified: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _require_postgres(engine: Engine, message: str) -> None:
    if engine.dialect.name != "postgresql":
        raise NeedsPostgres(message)


def _db_error(exc: DBAPIError, doing: str) -> DeskError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
    if getattr(exc.orig, "sqlstate", None) == "42501":
        reason += " (run it as the owner of the deskui tables with CREATEROLE, or a superuser)"
    return DeskError(f"{doing}: {reason}")


class _Grants:
    """Collects GRANT / REVOKE statements and the lines that describe them."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.quote = conn.dialect.identifier_preparer.quote_identifier
        self.lines: list[str] = []

    def run(self, statement: str, line: str) -> None:
        self.conn.execute(text(statement))
        self.lines.append(line)

    def converge(self, kind: str, obj: str, role: str, want: Iterable[str], held: Iterable[str], *,
                 on: str | None = None) -> None:
        """Grant ``want - held`` and revoke ``held - want`` on ``obj`` (quoted as given
        in ``on``, else as an identifier) to group role ``role``."""
        target = on or f"{kind} {self.quote(obj)}".strip()
        want, held = set(want), set(held)
        if missing := sorted(want - held):
            self.run(sql.grant(missing, target, role),
                     f"granted {', '.join(missing)} on {obj} to {role}")
        if extra := sorted(held - want):
            self.run(sql.revoke(extra, target, role),
                     f"revoked {', '.join(extra)} on {obj} from {role}")


def grant_roles(engine: Engine) -> GrantSummary:
    """Create the group roles and set their privileges; idempotent."""
    _require_postgres(engine, GRANT_NEEDS_PG)
    try:
        with engine.begin() as conn:
            return _grant(conn)
    except DBAPIError as exc:
        raise _db_error(exc, "deskui db grant") from None


def _grant(conn: Connection) -> GrantSummary:
    g = _Grants(conn)
    _check_owner(conn)
    existing = set(conn.execute(text(sql.EXISTING_ROLES), {"names": list(GROUP_ROLES)}).scalars())
    for name in GROUP_ROLES:
        if name not in existing:
            g.run(sql.CREATE_GROUP.format(name=name), f"created group role {name} (NOLOGIN)")
    roles = {"roles": list(GROUP_ROLES)}

    connect = set(conn.execute(text(sql.HELD_CONNECT), roles).scalars())
    usage = set(conn.execute(text(sql.HELD_SCHEMA_USAGE), roles).scalars())
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    # Only the owner of the database (of the schema) can grant on it; anyone else's GRANT
    # would only warn. PUBLIC has CONNECT and USAGE on public by default.
    owns_db, owns_schema = conn.execute(text(sql.OWNS_DATABASE_AND_SCHEMA)).one()
    for name in GROUP_ROLES:
        if owns_db:
            g.converge("", f"database {database}", name, ["CONNECT"], ["CONNECT"] if name in connect else [],
                       on=f"DATABASE {g.quote(database)}")
        if owns_schema:
            g.converge("", f"schema {schema}", name, ["USAGE"], ["USAGE"] if name in usage else [],
                       on=f"SCHEMA {g.quote(schema)}")

    unclassified = []
    held = _held(conn, "r")
    for table in conn.execute(text(sql.SCHEMA_TABLES)).scalars():
        if table not in sql.TABLES:
            unclassified.append(table)
            continue
        for role in GROUPS:
            name = group_role(role)
            g.converge("TABLE", table, name, sql.table_privileges(table, role), held[table, name])

    held = _held(conn, "S")
    for sequence, owner in conn.execute(text(sql.SCHEMA_SEQUENCES)).all():
        if owner not in sql.TABLES:
            unclassified.append(f"sequence {sequence}")
            continue
        for role in GROUPS:
            name = group_role(role)
            g.converge("SEQUENCE", sequence, name, sql.sequence_privileges(owner, role), held[sequence, name])

    functions = set(conn.execute(text(sql.EXISTING_FUNCTIONS)).scalars())
    executable = defaultdict(set)
    for function, name in conn.execute(text(sql.HELD_FUNCTION_PRIVILEGES), roles).all():
        executable[function].add(name)
    for function in sorted(functions & set(sql.FUNCTIONS)):
        for name in GROUP_ROLES:
            if name not in executable[function]:
                g.run(sql.grant_execute(function, name), f"granted EXECUTE on {function} to {name}")

    if "settings" in sql.TABLES and conn.execute(text(sql.SETTINGS_RLS)).scalar() is not None:
        _settings_policies(conn, g)
    return GrantSummary(tuple(g.lines), tuple(unclassified))


def _held(conn: Connection, kind: str) -> defaultdict:
    held: defaultdict = defaultdict(set)
    rows = conn.execute(text(sql.HELD_RELATION_PRIVILEGES), {"kind": kind, "roles": list(GROUP_ROLES)})
    for relation, role, privilege in rows.all():
        held[relation, role].add(privilege)
    return held


def _settings_policies(conn: Connection, g: _Grants) -> None:
    if not conn.execute(text(sql.SETTINGS_RLS)).scalar():
        g.run(sql.ENABLE_SETTINGS_RLS,
              "enabled row level security on settings (analysts and leads write only the SLA sweep lease)")
    present = set(conn.execute(text(sql.EXISTING_POLICIES)).scalars())
    for name, statement in sql.POLICIES.items():
        if name not in present:
            g.run(statement, f"created policy {name} on settings")


def _check_owner(conn: Connection) -> None:
    """GRANT by someone who is not the owner only warns and grants nothing: refuse first."""
    me, superuser = conn.execute(text(sql.CURRENT_ROLE)).one()
    if superuser:
        return
    foreign = conn.execute(text(sql.FOREIGN_RELATION)).scalar()
    if foreign is not None:
        raise DeskError(f"deskui db grant: {me} does not own table {foreign}; "
                        "run it as the owner of the deskui tables (with CREATEROLE), or a superuser")


# --------------------------------------------------------------- login roles

def check_username(username: str) -> str:
    """A PostgreSQL role name deskui will manage: 1-63 bytes, no NUL, not reserved."""
    if not isinstance(username, str) or not username or "\x00" in username:
        raise ValidationError("username: must be a non-empty name without NUL characters")
    if len(username.encode()) > 63:
        raise ValidationError(f"username {username!r}: PostgreSQL role names are at most 63 bytes")
    lowered = username.lower()
    if lowered.startswith("pg_") or lowered == "public" or username in GROUP_ROLES:
        raise ValidationError(f"username {username!r}: reserved for PostgreSQL or deskui's group roles")
    return username


def sync_login_role(engine: Engine, username: str, role: str, enabled: bool, create: bool) -> None:
    """Make LOGIN role ``username`` a member of exactly one group role, ``deskui_<role>``,
    revoking the other deskui groups; create it when ``create`` and missing; NOLOGIN
    when not ``enabled``. Superuser roles are refused (deskui does not change them)."""
    _require_postgres(engine, LOGIN_NEEDS_PG)
    if role not in GROUPS:
        raise ValidationError(f"role {role!r}: allowed values are {', '.join(GROUPS)}")
    check_username(username)
    try:
        with engine.begin() as conn:
            _sync(conn, username, role, enabled, create)
    except DBAPIError as exc:
        raise _db_error(exc, f"database role {username!r}") from None


def _sync(conn: Connection, username: str, role: str, enabled: bool, create: bool) -> None:
    quoted = conn.dialect.identifier_preparer.quote_identifier(username)
    present = set(conn.execute(text(sql.EXISTING_ROLES), {"names": list(GROUP_ROLES)}).scalars())
    if missing := [name for name in GROUP_ROLES if name not in present]:
        raise DeskError(f"group role {missing[0]} does not exist: run `deskui db grant` first")
    row = conn.execute(text(sql.LOGIN_ROLE), {"name": username}).first()
    if row is None:
        if not create:
            raise NotFound(f"no PostgreSQL role {username!r}: create it with `deskui analyst add ... --login`")
        conn.execute(text(sql.create_login(quoted, enabled)))
        can_login, inherit = enabled, True
    else:
        can_login, superuser, inherit = row
        if superuser:
            raise ValidationError(f"{username!r} is a PostgreSQL superuser; deskui does not change superuser roles")
    target = group_role(role)
    member_of = set(conn.execute(text(sql.MEMBER_OF), {"name": username, "groups": list(GROUP_ROLES)}).scalars())
    if target not in member_of:
        conn.execute(text(sql.grant_group(target, quoted)))
    for other in sorted(member_of - {target}):
        conn.execute(text(sql.revoke_group(other, quoted)))
    if not inherit:
        conn.execute(text(sql.alter_login(quoted, "INHERIT")))
    if can_login != enabled:
        conn.execute(text(sql.alter_login(quoted, "LOGIN" if enabled else "NOLOGIN")))
