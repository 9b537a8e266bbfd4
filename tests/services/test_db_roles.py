"""PostgreSQL enforces the roles too (issue 12.3): `grant_roles` and `sync_login_role`
on the real server, with three LOGIN roles (a viewer, an analyst, an admin) that
connect and try to read and write. Roles are cluster-wide: the logins get names of
their own for this run and are dropped at the end."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from deskui import clock
from deskui.errors import DeskError, ValidationError
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.automation_rules import seed_rules
from deskui.services.db_roles import (
    GRANT_NEEDS_PG,
    NeedsPostgres,
    grant_roles,
    sync_login_role,
)
from deskui.services.knowledge import import_path
from deskui.services.requests import seed_catalog
from deskui.store.db import make_engine
from tests.conftest import FROZEN, SAMPLE, _truncate_all, seed_org

pytestmark = pytest.mark.postgres
RUN = uuid.uuid4().hex[:8]
DIRECTORY = ("analysts", "groups", "group_members", "settings", "automation_rules", "sla_policies", "calendars",
             "catalog_items", "categories")
APPEND_ONLY = ("ticket_events", "comments", "problem_events", "surveys")


def _drop_role(admin_engine, name: str) -> None:
    with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        quoted = conn.dialect.identifier_preparer.quote_identifier(name)
        conn.execute(text(f"DROP ROLE IF EXISTS {quoted}"))


class Desk:
    def __init__(self, owner):
        self.owner = owner
        self.logins: dict[str, object] = {}
        self.names: list[str] = []

    def login(self, role: str, *, name: str | None = None):
        name = name or f"t{RUN}_{role}"
        self.names.append(name)
        sync_login_role(self.owner, name, role, enabled=True, create=True)
        engine = make_engine(self.owner.url.set(username=name, password=None).render_as_string(hide_password=False))
        self.logins[name] = engine
        return engine

    def close(self) -> None:
        for engine in self.logins.values():
            engine.dispose()
        for name in self.names:
            _drop_role(self.owner, name)


@pytest.fixture(scope="module")
def desk(pg_database):
    _truncate_all(pg_database)
    seed_org(pg_database)
    seed_rules(pg_database, SAMPLE / "rules.toml")
    seed_catalog(pg_database, SAMPLE / "catalog.toml")
    import_path(pg_database, SAMPLE / "kb")
    with pg_database.begin() as conn:
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('desk.name', 'Northwind')"))
    grant_roles(pg_database)
    desk = Desk(pg_database)
    desk.viewer = desk.login("viewer")
    desk.analyst = desk.login("analyst")
    desk.admin = desk.login("admin")
    try:
        with clock.frozen(FROZEN):
            desk.ticket = svc.open_ticket(pg_database, actor_for(pg_database, "demo"), subject="Printer jams",
                                          requester="ana.ruiz@northwind.example")
            svc.add_comment(pg_database, actor_for(pg_database, "demo"), desk.ticket.id, "first reply")
        yield desk
    finally:
        desk.close()


def refused(engine, statement: str, params: dict | None = None) -> str:
    """Run ``statement`` in a transaction that is rolled back; return the error's first line."""
    with engine.connect() as conn:
        try:
            conn.execute(text(statement), params or {})
        except DBAPIError as exc:
            conn.rollback()
            return str(exc.orig).splitlines()[0]
        conn.rollback()
    raise AssertionError(f"not refused: {statement}")


def allowed(engine, statement: str, params: dict | None = None) -> int:
    """Run ``statement`` and roll it back; the row count it reached."""
    with engine.connect() as conn:
        count = conn.execute(text(statement), params or {}).rowcount
        conn.rollback()
    return count


def test_the_viewer_reads_every_table_but_writes_none(desk):
    from deskui.store.pg_roles import TABLES

    for table in TABLES:
        allowed(desk.viewer, f"SELECT * FROM {table} LIMIT 1")
    tid = desk.ticket.id
    for statement in (f"UPDATE tickets SET subject = 'x' WHERE id = {tid}", f"DELETE FROM tickets WHERE id = {tid}",
                      ("INSERT INTO comments (ticket_id, author_name, body, visibility, created_at) "
                       f"VALUES ({tid}, 'v', 'hi', 'public', now())"),
                      f"DELETE FROM drafts WHERE ticket_id = {tid}",
                      "UPDATE analysts SET role = 'admin'",
                      "INSERT INTO settings (key, value) VALUES ('sla.sweep_lease', '')"):
        assert "permission denied" in refused(desk.viewer, statement), statement


def test_the_analyst_comments_and_updates_tickets(desk):
    tid = desk.ticket.id
    assert allowed(desk.analyst, f"UPDATE tickets SET subject = 'Printer jams again' WHERE id = {tid}") == 1
    assert allowed(desk.analyst, "INSERT INTO comments (ticket_id, author_name, body, visibility, created_at) "
                                 f"VALUES ({tid}, 'a', 'on it', 'public', now())") == 1


@pytest.mark.parametrize("table", DIRECTORY)
def test_the_analyst_cannot_write_the_directory_or_configuration(desk, table):
    for statement in (f"INSERT INTO {table} DEFAULT VALUES", f"DELETE FROM {table}"):
        message = refused(desk.analyst, statement)
        assert "permission denied" in message or "row-level security" in message, (statement, message)
    if table != "settings":
        column = "group_id" if table == "group_members" else "id"
        assert "permission denied" in refused(desk.analyst, f"UPDATE {table} SET {column} = {column}")


def test_the_analyst_writes_only_the_sweep_lease_among_settings(desk):
    # Row level security: another key is invisible to the analyst's UPDATE and refused on INSERT.
    assert allowed(desk.analyst, "UPDATE settings SET value = 'x' WHERE key = 'desk.name'") == 0
    assert "row-level security" in refused(desk.analyst, "INSERT INTO settings (key, value) VALUES ('x', 'y')")
    with desk.owner.connect() as conn:
        assert conn.execute(text("SELECT value = 'Northwind' FROM settings WHERE key = 'desk.name'")).scalar()
    assert allowed(desk.analyst, "INSERT INTO settings (key, value) VALUES ('sla.sweep_lease', '') "
                                 "ON CONFLICT (key) DO UPDATE SET value = ''") == 1


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize("who", ["analyst", "admin"])
def test_nobody_updates_or_deletes_the_audit_trail(desk, table, who):
    engine = getattr(desk, who)
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
        assert "permission denied" in refused(engine, statement), (who, statement)


def test_the_admin_writes_the_directory(desk):
    assert allowed(desk.admin, "INSERT INTO groups (name, email, tier, description) "
                               "VALUES ('Night Shift', '', 1, '')") == 1
    assert allowed(desk.admin, "UPDATE analysts SET role = 'lead' WHERE username = 'akhan'") == 1
    assert allowed(desk.admin, "DELETE FROM canned_responses") >= 1
    assert allowed(desk.admin, "UPDATE settings SET value = value WHERE key = 'desk.name'") == 1
    assert "must be owner" in refused(desk.admin, "DROP TABLE drafts")
    assert "permission denied" in refused(desk.admin, "UPDATE alembic_version SET version_num = 'x'")


def test_the_app_works_under_the_analysts_login(desk):
    """Ordinary work through the services, on an engine connected as the analyst's login."""
    from deskui.services.drafts import discard_draft, save_draft
    from deskui.services.knowledge import link_article, record_view
    from deskui.services.problems import create_problem
    from deskui.services.requests import submit, tick
    from deskui.services.survey import record_survey
    from deskui.services.sweep import claim_sweep, sweep
    from deskui.store.db import session_scope

    engine = desk.analyst
    me = actor_for(engine, "akhan")
    with clock.frozen(FROZEN + timedelta(minutes=5)):
        t = svc.open_ticket(engine, me, subject="Laptop will not boot", requester="new.person@northwind.example",
                            requester_name="New Person", category="Hardware/Laptop & Desktop", impact="high", urgency="high",
                            assignee="akhan")  # (the assign rules would give it to another analyst: a lead's to take)
        t = svc.take(engine, me, t.id)
        svc.add_comment(engine, me, t.id, "Looking now")
        save_draft(engine, me, t.id, "compose", {"body": "half written"})
        assert discard_draft(engine, me, t.id, "compose")
        t = svc.change_status(engine, me, t.id, "pending", pending_reason="awaiting_requester")
        t = svc.escalate(engine, me, t.id, reason="needs hardware", tier=2)
        t = svc.resolve(engine, me, t.id, code="solved", notes="replaced the disk")
        t = svc.reopen(engine, me, t.id, reason="broke again")
        create_problem(engine, me, "Disks failing on the 2024 batch", incidents=[t.id])
        with session_scope(engine) as s:
            article = s.execute(text("SELECT id FROM articles ORDER BY id LIMIT 1")).scalar_one()
        assert link_article(engine, article, t.id, me.username)
        record_view(engine, article)
        svc.resolve(engine, me, t.id, code="solved", notes="new disk")
        record_survey(engine, t.id, 5, comment="thanks")
        unassigned = svc.open_ticket(engine, me, subject="Password reset", requester="ana.ruiz@northwind.example",
                                     category="Accounts & Access/Password & Lockout", impact="low", urgency="low")
        svc.open_ticket(engine, me, subject="Warehouse VPN down", requester="ana.ruiz@northwind.example",
                        category="Network/VPN", impact="high", urgency="high")
        software = submit(engine, me, "software", requester="ana.ruiz@northwind.example",
                          answers={"software": "Visio"})
        tick(engine, me, software.id, 1)
        submit(engine, me, "laptop", requester="ana.ruiz@northwind.example",
               answers={"model": "standard", "reason": "broken"})
    with clock.frozen(FROZEN + timedelta(days=3)):
        assert claim_sweep(engine, 48)
        sweep(engine)
    with session_scope(desk.owner) as s:
        kinds = s.execute(text("SELECT kind FROM ticket_events WHERE ticket_id = :t ORDER BY id"), {"t": t.id}).scalars()
        assert "created" in list(kinds)
        # the work reached the runtime tables: assignment cursors, the sweep's firings, the lease
        assert s.execute(text("SELECT assignee_id FROM tickets WHERE id = :t"), {"t": unassigned.id}).scalar()
        assert s.execute(text("SELECT count(*) FROM rule_cursors")).scalar()
        assert s.execute(text("SELECT count(*) FROM rule_firings")).scalar()
        assert s.execute(text("SELECT value FROM settings WHERE key = 'sla.sweep_lease'")).scalar()


def test_a_second_grant_changes_nothing_and_drift_is_revoked(desk):
    assert not grant_roles(desk.owner).changed
    with desk.owner.begin() as conn:
        conn.execute(text("GRANT DELETE ON analysts TO deskui_analyst"))
        conn.execute(text("GRANT UPDATE ON ticket_events TO deskui_admin"))
    summary = grant_roles(desk.owner)
    assert set(summary.changes) == {"revoked DELETE on analysts from deskui_analyst",
                                    "revoked UPDATE on ticket_events from deskui_admin"}
    assert not grant_roles(desk.owner).changed


def test_an_unclassified_table_gets_no_grants_and_is_reported(desk):
    with desk.owner.begin() as conn:
        conn.execute(text("CREATE TABLE t_unclassified (id serial PRIMARY KEY)"))
    try:
        summary = grant_roles(desk.owner)
        assert "t_unclassified" in summary.unclassified
        assert not any("t_unclassified" in line for line in summary.changes)
        assert "permission denied" in refused(desk.admin, "SELECT * FROM t_unclassified")
    finally:
        with desk.owner.begin() as conn:
            conn.execute(text("DROP TABLE t_unclassified"))


def members(owner, name: str) -> set[str]:
    with owner.connect() as conn:
        return set(conn.execute(text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :n"), {"n": name}).scalars())


def can_login(owner, name: str) -> bool:
    with owner.connect() as conn:
        return conn.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()


def test_a_login_moves_between_group_roles_and_is_disabled(desk):
    name = f"t{RUN}_mover"
    engine = desk.login("analyst", name=name)
    assert members(desk.owner, name) == {"deskui_analyst"}
    sync_login_role(desk.owner, name, "lead", enabled=True, create=False)
    assert members(desk.owner, name) == {"deskui_lead"}
    sync_login_role(desk.owner, name, "viewer", enabled=True, create=False)
    assert members(desk.owner, name) == {"deskui_viewer"}
    assert "permission denied" in refused(engine, f"UPDATE tickets SET subject = 'x' WHERE id = {desk.ticket.id}")
    sync_login_role(desk.owner, name, "viewer", enabled=False, create=False)
    assert not can_login(desk.owner, name)
    engine.dispose()
    with pytest.raises(DBAPIError, match="not permitted to log in"), engine.connect():
        pass
    sync_login_role(desk.owner, name, "analyst", enabled=True, create=False)
    assert can_login(desk.owner, name) and members(desk.owner, name) == {"deskui_analyst"}


def test_a_hostile_username_is_a_name_not_sql(desk):
    name = f"t{RUN}\"; DROP ROLE deskui_admin; --"
    engine = desk.login("analyst", name=name)
    assert members(desk.owner, name) == {"deskui_analyst"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == name
    with desk.owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = 'deskui_admin'")).scalar() == 1


def test_missing_logins_superusers_and_bad_roles_are_refused(desk):
    with pytest.raises(DeskError, match="no PostgreSQL role"):
        sync_login_role(desk.owner, f"t{RUN}_nobody", "analyst", enabled=True, create=False)
    with pytest.raises(ValidationError, match="superuser"):
        sync_login_role(desk.owner, "postgres", "viewer", enabled=False, create=False)
    assert can_login(desk.owner, "postgres")
    with pytest.raises(ValidationError, match="allowed values are viewer, analyst, lead, admin"):
        sync_login_role(desk.owner, f"t{RUN}_x", "root", enabled=True, create=True)
    with pytest.raises(ValidationError, match="63 bytes"):
        sync_login_role(desk.owner, "x" * 64, "analyst", enabled=True, create=True)
    with pytest.raises(ValidationError, match="reserved"):
        sync_login_role(desk.owner, "deskui_admin", "analyst", enabled=True, create=True)


def test_sqlite_says_the_file_is_the_boundary(sqlite_engine):
    with pytest.raises(NeedsPostgres) as caught:
        grant_roles(sqlite_engine)
    assert str(caught.value) == GRANT_NEEDS_PG
    with pytest.raises(NeedsPostgres, match="on SQLite the file's permissions are the boundary"):
        sync_login_role(sqlite_engine, "akhan", "analyst", enabled=True, create=True)


def test_an_owner_who_is_not_a_superuser_grants_and_adds_logins(desk):
    """The README's set-up: the tables' owner (CREATEROLE, no superuser) runs init and grant."""
    from deskui.store.db import upgrade

    owner_name, database, login = f"t{RUN}_owner", f"t{RUN}_owned", f"t{RUN}_owned_analyst"
    with desk.owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE ROLE "{owner_name}" LOGIN CREATEROLE'))
        conn.execute(text(f'CREATE DATABASE "{database}" OWNER "{owner_name}"'))
    url = desk.owner.url.set(username=owner_name, database=database)
    owner = make_engine(url.render_as_string(hide_password=False))
    analyst = make_engine(url.set(username=login).render_as_string(hide_password=False))
    try:
        upgrade(owner)
        assert grant_roles(owner).changed
        assert not grant_roles(owner).changed
        sync_login_role(owner, login, "analyst", enabled=True, create=True)
        assert allowed(analyst, "SELECT * FROM tickets") == 0
        assert "permission denied" in refused(analyst, "INSERT INTO groups (name, email, tier, description) "
                                                       "VALUES ('G', '', 1, '')")
    finally:
        owner.dispose()
        analyst.dispose()
        with desk.owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        _drop_role(desk.owner, login)
        _drop_role(desk.owner, owner_name)


def test_a_viewers_app_does_not_sweep_and_does_not_fail(desk):
    """A wall screen's app claims the SLA sweep on a timer like every app; a login that
    may not write the lease simply does not sweep (no "permission denied" every minute)."""
    from deskui.services.sweep import claim_sweep

    with clock.frozen(FROZEN + timedelta(days=30)):
        assert claim_sweep(desk.viewer, 48) is False
        assert claim_sweep(desk.analyst, 48) is True


def test_a_lead_posts_bulletins_and_decides_approvals_which_an_analyst_cannot(desk):
    from deskui.services.bulletins import link, post
    from deskui.services.requests import approve, submit

    lead = desk.login("lead")
    with clock.frozen(FROZEN + timedelta(hours=1)):
        requested = submit(desk.analyst, actor_for(desk.analyst, "akhan"), "laptop",
                           requester="ana.ruiz@northwind.example", answers={"model": "standard", "reason": "broken"})
        assert "permission denied" in refused(desk.analyst, "UPDATE request_approvals SET decision = 'approved'")
        assert "permission denied" in refused(desk.analyst, "INSERT INTO bulletins DEFAULT VALUES")
        me = actor_for(lead, "dokafor")
        bulletin = post(lead, me, "Laptops delayed", ends_at=FROZEN + timedelta(days=2))
        assert link(lead, me, bulletin.id, requested.id)
        assert approve(lead, me, requested.id).status != requested.status
