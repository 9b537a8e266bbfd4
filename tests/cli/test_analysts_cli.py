"""`deskui analyst ...`, the permission line and the bootstrap rule on real SQLite
files (issue 12.2, 12.1)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app

runner = CliRunner()


def run(db: Path, *args: str, user: str | None = None):
    argv = [f"--db={db}"] + ([f"--as={user}"] if user else []) + list(args)
    return runner.invoke(app, argv)


def ok(db: Path, *args: str, user: str | None = None):
    result = run(db, *args, user=user)
    assert result.exit_code == 0, result.output
    return result


def refused(db: Path, *args: str, user: str | None, line: str):
    result = run(db, *args, user=user)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"deskui: error: {line}\n"
    assert "Traceback" not in result.output
    return result


def count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


GROUPS = '[[group]]\nname = "Desk"\ntier = 1\n\n[[group]]\nname = "Network"\ntier = 2\n'


@pytest.fixture
def desk(tmp_path) -> Path:
    """A desk bootstrapped the documented way: an empty database, whoever runs deskui
    acts as admin until the first admin exists."""
    db = tmp_path / "desk.db"
    ok(db, "init")
    groups = tmp_path / "groups.toml"
    groups.write_text(GROUPS)
    ok(db, "seed", "groups", str(groups), user="whoever")  # no analysts yet: bootstrap admin
    ok(db, "analyst", "add", "root", "--name", "Root Admin", "--email", "root@example.com", "--role", "admin",
       user="whoever")
    ok(db, "analyst", "add", "alice", "--name", "Alice Analyst", "--email", "alice@example.com", "--role",
       "analyst", "--group", "Desk", user="root")
    ok(db, "analyst", "add", "wall", "--name", "Wall Screen", "--email", "wall@example.com", "--role", "viewer",
       user="root")
    return db


def test_bootstrap_ends_when_the_first_admin_exists(desk, tmp_path):
    groups = tmp_path / "more.toml"
    groups.write_text('[[group]]\nname = "Apps"\n')
    refused(desk, "seed", "groups", str(groups), user="whoever",
            line="analyst 'whoever' not found (set --as USER or DESKUI_USER); known: alice, root, wall")
    refused(desk, "seed", "groups", str(groups), user="alice",
            line="permission denied: alice is an analyst; seeding groups needs admin")
    assert count(desk, "select count(*) from groups") == 2  # a refused command changes nothing
    refused(desk, "rules", "apply", user="alice",
            line="permission denied: alice is an analyst; changing automation rules needs admin")
    ok(desk, "seed", "groups", str(groups), user="root")
    assert count(desk, "select count(*) from groups") == 3


def test_list_shows_username_name_role_groups_active(desk):
    table = ok(desk, "analyst", "list", user="root").stdout
    for word in ("username", "name", "role", "groups", "active", "Alice Analyst", "viewer"):
        assert word in table
    rows = json.loads(ok(desk, "analyst", "list", "-f", "json", user="root").stdout)
    assert [(r["username"], r["role"], r["groups"], r["active"]) for r in rows] == [
        ("alice", "analyst", "Desk", "yes"), ("root", "admin", "", "yes"), ("wall", "viewer", "", "yes")]


@pytest.mark.parametrize("args", [
    ("analyst", "list"),
    ("analyst", "add", "x", "--name", "X", "--email", "x@example.com"),
    ("analyst", "set-role", "alice", "admin"),
    ("analyst", "disable", "root"),
])
def test_every_analyst_command_is_admin_only(desk, args):
    refused(desk, *args, user="alice", line="permission denied: alice is an analyst; managing analysts and roles needs admin")
    assert count(desk, "select count(*) from analysts where role = 'admin'") == 1
    assert count(desk, "select count(*) from analysts where active = 0") == 0


def test_set_role_and_disable(desk):
    assert "alice is now lead" in ok(desk, "analyst", "set-role", "alice", "lead", user="root").stdout
    assert count(desk, "select role from analysts where username = 'alice'") == "lead"
    ok(desk, "ticket", "new", "-s", "Printer jam", "-r", "kim@example.com", user="alice")
    assert "disabled" in ok(desk, "analyst", "disable", "alice", user="root").stdout
    refused(desk, "ticket", "comment", "1", "still here?", user="alice",
            line="analyst 'alice' is disabled and cannot act (an admin can: deskui analyst list)")
    # history kept: the ticket and its events still name alice
    assert count(desk, "select count(*) from ticket_events where actor = 'alice'") >= 1
    rows = json.loads(ok(desk, "analyst", "list", "-f", "json", user="root").stdout)
    assert {r["username"]: r["active"] for r in rows}["alice"] == "no"


def test_the_last_admin_stays(desk):
    refused(desk, "analyst", "set-role", "root", "lead", user="root",
            line="set-role: root is the last active admin; add another admin first")
    refused(desk, "analyst", "disable", "root", user="root",
            line="disable: root is the last active admin; add another admin first")


def test_add_validates_one_line(desk):
    refused(desk, "analyst", "add", "bob", "--name", "Bob", "--email", "bob@example.com", "--role", "boss",
            user="root", line="role: 'boss' is not one of viewer, analyst, lead, admin")
    refused(desk, "analyst", "add", "bob", "--name", "Bob", "--email", "not-an-address", user="root",
            line="--email: 'not-an-address' is not an e-mail address (name@domain.tld)")
    refused(desk, "analyst", "add", "alice", "--name", "A", "--email", "a@example.com", user="root",
            line="analyst 'alice' exists already (change a role with: deskui analyst set-role)")
    assert count(desk, "select count(*) from analysts") == 3


def test_login_is_refused_on_sqlite(desk):
    refused(desk, "analyst", "add", "bob", "--name", "Bob", "--email", "bob@example.com", "--login", user="root",
            line="--login needs PostgreSQL: on SQLite the file's permissions are the boundary")
    assert count(desk, "select count(*) from analysts where username = 'bob'") == 0


def test_a_viewer_reads_but_does_not_act(desk):
    ok(desk, "ticket", "new", "-s", "VPN down", "-r", "kim@example.com", user="alice")
    assert "VPN down" in ok(desk, "ticket", "list", user="wall").stdout
    assert "VPN down" in ok(desk, "ticket", "show", "1", user="wall").stdout
    refused(desk, "ticket", "comment", "1", "hello", user="wall",
            line="permission denied: wall is a viewer; replying to a requester needs analyst")
    refused(desk, "ticket", "new", "-s", "x", "-r", "kim@example.com", user="wall",
            line="permission denied: wall is a viewer; opening a ticket needs analyst")
    assert count(desk, "select count(*) from comments") == 0


def test_an_analyst_on_another_analysts_ticket(desk):
    ok(desk, "analyst", "add", "bob", "--name", "Bob", "--email", "bob@example.com", "--group", "Desk", user="root")
    ok(desk, "ticket", "new", "-s", "Mail slow", "-r", "kim@example.com", user="alice")
    ok(desk, "ticket", "take", "1", user="alice")
    refused(desk, "ticket", "take", "1", user="bob",
            line="permission denied: bob is an analyst; taking another analyst's ticket needs lead")
    refused(desk, "ticket", "close", "1", user="bob",
            line="permission denied: bob is an analyst; closing or cancelling another analyst's ticket needs lead")
    ok(desk, "ticket", "comment", "1", "I can help", "--internal", user="bob")  # working it is fine
    assert count(desk, "select assignee_id from tickets where id = 1") == count(
        desk, "select id from analysts where username = 'alice'")


def test_the_app_needs_an_analyst_even_while_bootstrapping(tmp_path):
    db = tmp_path / "empty.db"
    ok(db, "init")
    refused(db, user="nobody", line="analyst 'nobody' not found: the app needs an analyst; add one first "
            "(deskui analyst add nobody --name NAME --email EMAIL --role admin, or deskui seed analysts FILE)")
