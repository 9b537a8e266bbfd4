"""Who you are (issue 12.1): on PostgreSQL the database login, --as only for an
admin (recorded on every event); on SQLite the name given or the OS login.

PostgreSQL tests create throw-away LOGIN roles on the real server, connect as
them (trust auth on 127.0.0.1) and drop them afterwards."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.errors import NotFound, PermissionDenied
from deskui.reads.ticket import ticket_view
from deskui.services import tickets as svc
from deskui.services.actors import resolve_actor
from deskui.store.db import make_engine, session_scope
from deskui.store.models import Analyst

runner = CliRunner()


def add(engine, username: str, role: str, active: bool = True) -> None:
    with session_scope(engine) as session:
        session.add(Analyst(username=username, name=username.title(), email=f"{username}@example.com", role=role,
                            active=active))
        session.commit()


# ------------------------------------------------------------------ SQLite

def test_sqlite_is_the_name_given_or_the_os_login(sqlite_engine, monkeypatch):
    add(sqlite_engine, "root", "admin")
    add(sqlite_engine, "alice", "analyst")
    assert resolve_actor(sqlite_engine, "alice").username == "alice"
    from deskui.config import load_settings

    monkeypatch.setenv("LOGNAME", "alice")
    settings = load_settings()
    assert (settings.user, settings.user_declared) == ("alice", False)
    monkeypatch.setenv("DESKUI_USER", "root")
    settings = load_settings()
    assert (settings.user, settings.user_declared) == ("root", True)
    assert resolve_actor(sqlite_engine, settings.user, declared=True).role == "admin"


def test_sqlite_bootstrap_and_disabled(sqlite_engine):
    # no admin yet: whoever runs deskui acts as admin
    assert resolve_actor(sqlite_engine, "nobody").role == "admin"
    add(sqlite_engine, "lead1", "lead")
    assert resolve_actor(sqlite_engine, "lead1").role == "admin"  # still no admin
    add(sqlite_engine, "root", "admin")
    assert resolve_actor(sqlite_engine, "lead1").role == "lead"
    with pytest.raises(NotFound, match="analyst 'nobody' not found"):
        resolve_actor(sqlite_engine, "nobody")
    add(sqlite_engine, "gone", "analyst", active=False)
    with pytest.raises(PermissionDenied, match="^analyst 'gone' is disabled and cannot act"):
        resolve_actor(sqlite_engine, "gone")


# ------------------------------------------------------------------ PostgreSQL

@pytest.fixture
def pg_logins(pg_database):
    """The migrated test database, emptied, and three LOGIN roles with table rights
    (the group roles of `deskui db grant` are another module's; here: GRANT ALL)."""
    from tests.conftest import _truncate_all  # noqa: PLC0415

    _truncate_all(pg_database)
    suffix = uuid.uuid4().hex[:6]
    names = {kind: f"dk_{kind}_{suffix}" for kind in ("admin", "analyst", "stranger")}
    database = pg_database.url.database
    with pg_database.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names.values():
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{name}"'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{name}"'))
            conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{name}"'))
            conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{name}"'))
    engines = []

    def connect(kind: str):
        url = pg_database.url.set(username=names[kind], password=None)
        engine = make_engine(url.render_as_string(hide_password=False))
        engines.append(engine)
        return engine

    yield names, connect
    for engine in engines:
        engine.dispose()
    with pg_database.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in names.values():
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))


@pytest.mark.postgres
def test_postgres_the_analyst_is_the_login(pg_database, pg_logins):
    names, connect = pg_logins
    as_analyst = connect("analyst")
    # no analysts yet: the login acts as admin (bootstrap)
    boot = resolve_actor(as_analyst, "whatever-os-login", declared=False)
    assert (boot.username, boot.role, boot.id) == (names["analyst"], "admin", None)
    add(pg_database, names["admin"], "admin")
    add(pg_database, names["analyst"], "analyst")
    add(pg_database, "alice", "analyst")
    me = resolve_actor(as_analyst, "someone-else", declared=False)  # the OS login does not matter
    assert (me.username, me.role, me.acting_admin) == (names["analyst"], "analyst", "")
    with pytest.raises(PermissionDenied, match=f"--as alice: on PostgreSQL you are the database login "
                                               f"{names['analyst']}; only an admin may act for another analyst"):
        resolve_actor(as_analyst, "alice", declared=True)
    with pytest.raises(NotFound, match=f"database login '{names['stranger']}' has no analyst"):
        resolve_actor(connect("stranger"), "x", declared=False)


@pytest.mark.postgres
def test_postgres_as_is_refused_on_the_command_line_unless_admin(pg_database, pg_logins, monkeypatch):
    names, connect = pg_logins
    add(pg_database, names["admin"], "admin")
    add(pg_database, names["analyst"], "analyst")
    add(pg_database, "alice", "analyst")
    url = connect("analyst").url.render_as_string(hide_password=False)
    for argv, env in ((["--as", "alice"], {}), ([], {"DESKUI_USER": "alice"})):
        result = runner.invoke(app, ["--db", url, *argv, "ticket", "new", "-s", "x", "-r", "k@example.com"], env=env)
        assert result.exit_code == 1, result.output
        assert result.stderr == (f"deskui: error: permission denied: --as alice: on PostgreSQL you are the database "
                                 f"login {names['analyst']}; only an admin may act for another analyst\n")
    with pg_database.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 0
    # as themselves it works, whatever DESKUI_USER the OS login had
    own = runner.invoke(app, ["--db", url, "ticket", "new", "-s", "mine", "-r", "k@example.com"])
    assert own.exit_code == 0, own.output


@pytest.mark.postgres
def test_postgres_an_admin_acting_for_alice_is_recorded_on_every_event(pg_database, pg_logins):
    names, connect = pg_logins
    add(pg_database, names["admin"], "admin")
    add(pg_database, "alice", "analyst")
    as_admin = connect("admin")
    actor = resolve_actor(as_admin, "alice", declared=True)
    assert (actor.username, actor.role, actor.acting_admin) == ("alice", "analyst", names["admin"])
    ticket = svc.open_ticket(as_admin, actor, subject="Printer", requester="k@example.com")
    svc.take(as_admin, actor, ticket.id)
    svc.add_comment(as_admin, actor, ticket.id, "on it", internal=True)
    with pg_database.connect() as conn:
        rows = conn.execute(text("SELECT actor, acting_admin FROM ticket_events WHERE ticket_id = :t"),
                            {"t": ticket.id}).all()
    assert rows and all(r == ("alice", names["admin"]) for r in rows)
    history = ticket_view(pg_database, ticket.id).events
    assert {e.actor for e in history} == {f"{names['admin']} for alice"}
    # acting for alice, the admin has alice's rights, not their own
    with pytest.raises(PermissionDenied, match="alice is an analyst; overriding a ticket's priority needs lead"):
        svc.change_priority(as_admin, actor, ticket.id, priority=1, reason="VIP")
