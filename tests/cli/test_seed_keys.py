"""Seed files are checked key by key (issue 15.3): an unknown key (a typo such as
``group`` for ``groups``) or a malformed e-mail address is one line naming the
file and line, the key, and the accepted keys; the file changes nothing."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app

runner = CliRunner()


def run(*args: str, db):
    # rmensah: the demo organisation's admin (seeding needs admin once one exists)
    return runner.invoke(app, [f"--db={db}", "--as=rmensah", *args])


@pytest.fixture(scope="module")
def org_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("seedkeys") / "desk.db"
    assert run("init", db=path).exit_code == 0
    result = run("seed", "demo", db=path)
    assert result.exit_code == 0, result.output
    return path


def count(db, table: str) -> int:
    return sqlite3.connect(db).execute(f"select count(*) from {table}").fetchone()[0]


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_group_typo_for_groups_is_refused_with_the_accepted_keys(org_db, tmp_path):
    before = count(org_db, "analysts")
    path = tmp_path / "analysts.toml"
    path.write_text('[[analyst]]\nusername = "zoe"\nname = "Zoe Adams"\n'
                    'group = ["Service Desk"]\nemail = "zoe@northwind.example"\n')
    line = one_error_line(run("seed", "analysts", str(path), db=org_db))
    assert line == (f"deskui: error: {path}:4: analyst[1].group: unknown key 'group' (did you mean 'groups'?); "
                    "accepted keys: away, email, groups, name, role, tier, username")
    assert count(org_db, "analysts") == before


@pytest.mark.parametrize("kind, table, email", [
    ("analysts", "analyst", "zoe.northwind.example"),
    ("analysts", "analyst", "zoe@"),
    ("analysts", "analyst", "zoe adams@northwind.example"),
    ("analysts", "analyst", "zoe@northwind"),
    ("groups", "group", "desk@@northwind.example"),
])
def test_malformed_email_addresses_are_refused(org_db, tmp_path, kind, table, email):
    before = count(org_db, table + "s")
    path = tmp_path / f"{kind}.toml"
    extra = 'username = "zoe"\n' if table == "analyst" else ""
    path.write_text(f'[[{table}]]\n{extra}name = "Zoe"\nemail = "{email}"\n')
    line = one_error_line(run("seed", kind, str(path), db=org_db))
    at = 4 if extra else 3
    assert line == f"deskui: error: {path}:{at}: {table}[1].email: {email!r} is not an e-mail address (name@domain)"
    assert count(org_db, table + "s") == before


# One valid entry per kind, with one key too many.
ENTRIES = {
    "groups": ("group", 'name = "Lab"\n', "description, email, name, tier"),
    "categories": ("category", 'path = "Lab"\n', "group, path"),
    "analysts": ("analyst", 'username = "zoe"\nname = "Zoe"\n', "away, email, groups, name, role, tier, username"),
    "calendar": ("calendar", 'name = "Lab"\ntimezone = "UTC"\nhours = { mon = ["09:00-17:00"] }\n',
                 "holiday_country, holidays, hours, name, timezone"),
    "sla": ("policy", 'name = "Lab"\npriority = 4\ncalendar = "24x7"\nresponse_minutes = 60\n'
                      'resolution_minutes = 600\n',
            "calendar, name, priority, resolution_minutes, response_minutes, type, warn_share"),
    "canned": ("response", 'name = "Lab"\nbody = "Hello"\n', "body, name"),
    "rules": ("rule", 'name = "lab"\nkind = "auto_close"\nafter_business_days = 5\n',
              "after_business_days, calendar, enabled, groups, kind, name, types"),
    "catalog": ("item", 'key = "lab"\nname = "Lab"\ngroup = "Service Desk"\n',
                "active, approval, approvers, category, checklist, description, field, group, impact, key, name, "
                "urgency"),
}


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_every_seed_kind_refuses_an_unknown_key(org_db, tmp_path, kind):
    table, body, accepted = ENTRIES[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(f"[[{table}]]\n{body}colour = \"red\"\n")
    line = one_error_line(run("seed", kind, str(path), db=org_db))
    at = body.count("\n") + 2
    assert line == (f"deskui: error: {path}:{at}: {table}[1].colour: unknown key 'colour'; "
                    f"accepted keys: {accepted}")
    # The same entry without it is accepted.
    path.write_text(f"[[{table}]]\n{body}")
    assert run("seed", kind, str(path), db=org_db).exit_code == 0


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_every_seed_kind_refuses_an_unknown_table(org_db, tmp_path, kind):
    table, body, _ = ENTRIES[kind]
    path = tmp_path / f"{kind}.toml"
    path.write_text(f"[[{table}]]\n{body}\n[[owner]]\nname = \"x\"\n")
    line = one_error_line(run("seed", kind, str(path), db=org_db))
    at = body.count("\n") + 3
    accepted = "matrix, policy" if kind == "sla" else table
    assert line == f"deskui: error: {path}:{at}: unknown key 'owner'; accepted keys: {accepted}"


def test_a_csv_column_that_is_no_key_is_refused_at_the_header(org_db, tmp_path):
    path = tmp_path / "analysts.csv"
    path.write_text("username,name,group\nzoe,Zoe Adams,Service Desk\n")
    line = one_error_line(run("seed", "analysts", str(path), db=org_db))
    assert line == (f"deskui: error: {path}:1:3: group: unknown key 'group' (did you mean 'groups'?); "
                    "accepted keys: away, email, groups, name, role, tier, username")
