"""The command line, through Typer's runner and through the real console script."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def run(*args: str, db: Path | None = None, user: str | None = "demo", input: str | None = None):
    argv = ([f"--db={db}"] if db else []) + ([f"--as={user}"] if user else []) + list(args)
    return runner.invoke(app, argv, input=input)


@pytest.fixture
def demo_db(tmp_path_factory) -> Path:
    """A demo database built once by `deskui init --demo`, copied per test."""
    return _demo_template(tmp_path_factory)


_TEMPLATE: dict[str, Path] = {}


def _demo_template(factory) -> Path:
    if "db" not in _TEMPLATE:
        path = factory.mktemp("demo") / "demo.db"
        result = run("init", "--demo", "--tickets", "200", db=path, user=None)
        assert result.exit_code == 0, result.output
        _TEMPLATE["db"] = path
    copy = factory.mktemp("copy") / "desk.db"
    con = sqlite3.connect(_TEMPLATE["db"])
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copyfile(_TEMPLATE["db"], copy)
    return copy


def test_init_demo_then_list_json(demo_db):
    result = run("ticket", "list", "--format", "json", "--limit", "500", db=demo_db)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows, "the demo queue is empty"
    assert {"id", "number", "priority", "status", "sla", "subject", "assignee", "resolution_due_at"} <= rows[0].keys()
    assert all(r["status"] in ("new", "open", "pending") for r in rows)
    dues = [r["resolution_due_at"] for r in rows if r["resolution_due_at"]]
    assert dues == sorted(dues)


def test_init_is_idempotent(demo_db):
    before = sqlite3.connect(demo_db).execute("select count(*) from tickets").fetchone()[0]
    denied = run("init", "--demo", db=demo_db, user="demo")  # a lead, and the desk has an admin now
    assert denied.exit_code == 1
    assert denied.stderr == "deskui: error: permission denied: demo is a lead; seeding the demo organisation needs admin\n"
    result = run("init", "--demo", db=demo_db, user="rmensah")
    assert result.exit_code == 0, result.output
    assert "0 created" in result.stdout
    assert sqlite3.connect(demo_db).execute("select count(*) from tickets").fetchone()[0] == before


def test_ticket_lifecycle_from_the_cli(demo_db):
    new = run("ticket", "new", "-s", "Laptop will not boot", "-r", "kim@northwind.example",
              "--category", "Hardware", "--impact", "high", "--urgency", "high", "-f", "json", db=demo_db)
    assert new.exit_code == 0, new.output
    ticket = json.loads(new.stdout)[0]
    assert ticket["priority"] == 1 and ticket["status"] == "new"
    tid = str(ticket["id"])
    assert run("ticket", "take", tid, db=demo_db).exit_code == 0
    assert run("ticket", "comment", tid, "Please hold the power button for 30 s", db=demo_db).exit_code == 0
    assert run("ticket", "comment", tid, "suspect the SSD", "--internal", db=demo_db).exit_code == 0
    resolved = run("ticket", "resolve", tid, "--code", "solved", "--notes", "Reseated the SSD", db=demo_db)
    assert resolved.exit_code == 0, resolved.output
    reopened = run("ticket", "reopen", tid, "--reason", "dead again", "-f", "json", db=demo_db)
    assert json.loads(reopened.stdout)[0]["status"] == "open"
    shown = json.loads(run("ticket", "show", tid, "--format", "json", db=demo_db).stdout)
    assert [c["visibility"] for c in shown["comments"]] == ["public", "internal"]
    assert [e["kind"] for e in shown["events"]][:1] == ["created"]
    assert "reopened" in [e["kind"] for e in shown["events"]]
    csv_out = run("ticket", "list", "--format", "csv", "--query", "assignee:me", db=demo_db).stdout
    assert csv_out.splitlines()[0].startswith("number,priority,status")
    assert any(line.startswith(f"#{tid},") for line in csv_out.splitlines())


def test_bad_transition_is_one_line_exit_1(demo_db):
    new = run("ticket", "new", "-s", "x", "-r", "a@b.c", "-f", "json", db=demo_db)
    tid = str(json.loads(new.stdout)[0]["id"])
    result = run("ticket", "close", tid, db=demo_db)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "cannot go from new to closed" in result.stderr


def test_unknown_category_group_and_analyst(demo_db):
    r1 = run("ticket", "new", "-s", "x", "-r", "a@b.c", "--category", "Plumbing", db=demo_db)
    r2 = run("ticket", "new", "-s", "x", "-r", "a@b.c", "--group", "Nobody", db=demo_db)
    r3 = run("ticket", "take", "1", db=demo_db, user="ghost")
    for result, needle in ((r1, "category: 'Plumbing' not found"), (r2, "group: 'Nobody' not found"),
                           (r3, "analyst 'ghost' not found")):
        assert result.exit_code == 1
        assert needle in result.stderr and "Traceback" not in result.output


def test_bad_query_and_format(demo_db):
    r = run("ticket", "list", "--query", "stauts:open", db=demo_db)
    assert r.exit_code == 2 and "Invalid value for '--query': unknown key 'stauts'" in r.stderr
    r = run("ticket", "list", "--format", "xml", db=demo_db)
    assert r.exit_code == 2 and "table, json, csv" in r.output


@pytest.mark.parametrize("args, allowed", [
    (["ticket", "list"], "table, json, csv"),
    (["kb", "search", "vpn"], "table, json"),
    (["intake", "email", "MAILDIR"], "table, json"),
    (["import", "servicenow", "FILE"], "table, json"),
])
def test_a_format_a_command_cannot_write_is_a_usage_error(demo_db, tmp_path, args, allowed):
    (tmp_path / "mail").mkdir()
    (tmp_path / "export.csv").write_text("number\n")
    args = [{"MAILDIR": str(tmp_path / "mail"), "FILE": str(tmp_path / "export.csv")}.get(a, a) for a in args]
    result = run(*args, "--format", "xml", db=demo_db)
    assert result.exit_code == 2
    assert f"'xml' is not one of {allowed}" in result.output


def test_unopenable_database_and_missing_schema(tmp_path):
    (tmp_path / "file.txt").write_text("not a dir")
    bad = run("ticket", "list", db=tmp_path / "file.txt" / "nested.db")
    assert bad.exit_code == 1 and "cannot open database" in bad.stderr
    missing = run("ticket", "list", db=tmp_path / "typo.db")
    assert missing.exit_code == 1 and "does not exist" in missing.stderr and "deskui init" in missing.stderr
    assert not (tmp_path / "typo.db").exists()
    sqlite3.connect(tmp_path / "empty.db").close()
    empty = run("ticket", "list", db=tmp_path / "empty.db")
    assert empty.exit_code == 1 and "run `deskui init`" in empty.stderr
    pg = run("ticket", "list", db="postgresql://nobody@127.0.0.1:1/none")
    assert pg.exit_code == 1 and "cannot open database" in pg.stderr


def test_schema_older_than_code(tmp_path):
    path = tmp_path / "old.db"
    assert run("init", db=path, user=None).exit_code == 0
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0001_initial'")
    con.commit()
    con.close()
    from deskui.store.db import head_revision

    if head_revision() == "0001_initial":
        pytest.skip("only one revision exists")
    result = run("ticket", "list", db=path)
    assert result.exit_code == 1
    assert "schema is at revision 0001_initial" in result.stderr and "deskui db upgrade" in result.stderr


SEED_GROUPS = """
[[group]]
name = "Desk"
tier = 1

[[group]]
name = "Network"
tier = 2
"""


def test_seed_is_idempotent_and_bad_file_changes_nothing(tmp_path):
    path = tmp_path / "s.db"
    assert run("init", db=path, user=None).exit_code == 0
    groups = tmp_path / "groups.toml"
    groups.write_text(SEED_GROUPS)
    first = run("seed", "groups", str(groups), db=path)
    second = run("seed", "groups", str(groups), db=path)
    assert "2 created" in first.stdout and "2 unchanged" in second.stdout
    cats = tmp_path / "cats.toml"
    cats.write_text('[[category]]\npath = "Network"\ngroup = "Network"\n\n'
                    '[[category]]\npath = "Network/VPN"\ngroup = "Netwrk"\n')
    bad = run("seed", "categories", str(cats), db=path)
    assert bad.exit_code == 1
    assert f"{cats}:7: category[2].group: unknown group 'Netwrk'; groups: Desk, Network" in bad.stderr
    assert sqlite3.connect(path).execute("select count(*) from categories").fetchone()[0] == 0
    broken = tmp_path / "broken.toml"
    broken.write_text('[[group]]\nname = "A"\ntier = \n')
    r = run("seed", "groups", str(broken), db=path)
    assert r.exit_code == 1 and f"{broken}:3:" in r.stderr and "invalid TOML" in r.stderr
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[[group]]\nname = "Z"\ntier = 7\n')
    r = run("seed", "groups", str(wrong), db=path)
    assert r.exit_code == 1 and f"{wrong}:3: group[1].tier: 7 is not one of 1, 2, 3" in r.stderr


def test_console_script_errors_are_one_line(tmp_path):
    exe = shutil.which("deskui", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("console script not installed")
    env = dict(os.environ, DESKUI_DB=str(tmp_path / "none.db"), DESKUI_USER="demo")
    proc = subprocess.run([exe, "ticket", "list"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert proc.stderr.startswith("deskui: error: ")


@pytest.mark.parametrize("args, expected", [
    ([], {}),
    (["--db", "x.db"], {"--db": "x.db"}),
    (["--db=x.db", "--as", "bob"], {"--db": "x.db", "--as": "bob"}),
    (["--as=bob"], {"--as": "bob"}),
    (["ticket", "list"], None),
    (["--db", "x.db", "ticket", "list"], None),
    (["--db"], None),  # typer says the value is missing
    (["--db", "--as", "bob"], None),
    (["--db", "a", "--db", "b"], None),
    (["--help"], None),
    (["--version"], None),
])
def test_a_plain_launch_is_recognised_and_everything_else_goes_to_typer(args, expected):
    from deskui.start import bare_launch_options

    assert bare_launch_options(args) == expected


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_plain_launch_on_a_missing_database_is_one_line(tmp_path, how):
    """`deskui --db X` skips typer's parsing; its errors are still one line, exit 1."""
    missing = tmp_path / "typo.db"
    env = {k: v for k, v in os.environ.items() if k not in ("DESKUI_DB", "DESKUI_USER")}
    args = ["--db", str(missing), "--as", "demo"] if how == "option" else []
    if how == "environment":
        env.update(DESKUI_DB=str(missing), DESKUI_USER="demo")
    code = "import sys; from deskui.start import main; sys.argv = ['deskui', *sys.argv[1:]]; main()"
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"deskui: error: database {missing} does not exist: " \
                                  "run `deskui init` (or `deskui init --demo`)"
    assert not missing.exists()


def test_seed_analysts_from_csv_and_csv_errors(tmp_path):
    path = tmp_path / "c.db"
    assert run("init", db=path, user=None).exit_code == 0
    groups = tmp_path / "groups.toml"
    groups.write_text(SEED_GROUPS)
    assert run("seed", "groups", str(groups), db=path).exit_code == 0
    good = tmp_path / "analysts.csv"
    good.write_bytes("\ufeffusername,name,role,tier,groups\r\nzoe,Zoë Adams,lead,2,Desk;Network\r\n"
                     "yan,Yan Li,analyst,1,Desk\r\n".encode())
    ok = run("seed", "analysts", str(good), db=path)
    assert ok.exit_code == 0 and "2 created" in ok.stdout, ok.output
    con = sqlite3.connect(path)
    assert con.execute("select name from analysts where username='zoe'").fetchone() == ("Zoë Adams",)
    assert con.execute("select count(*) from group_members").fetchone() == (3,)
    bad = tmp_path / "bad.csv"
    bad.write_text("username,name,role,tier,groups\nxa,X A,analyst,1,Desk\nxb,X B,boss,1,Desk\n")
    r = run("seed", "analysts", str(bad), db=path)
    assert r.exit_code == 1
    assert f"{bad}:3:3: role: 'boss' is not one of viewer, analyst, lead, admin" in r.stderr
    assert con.execute("select count(*) from analysts where username like 'x%'").fetchone() == (0,)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("username,name\nab,Jos\xe9\n".encode("latin-1"))
    r = run("seed", "analysts", str(latin), db=path)
    assert r.exit_code == 1 and f"{latin}:2: not UTF-8" in r.stderr


def test_ticket_list_names_an_unknown_analyst_with_the_closest(demo_db):
    """Issue 15.5: `assignee:nobodyhere` is an error naming the closest analysts, not an empty list."""
    r = run("ticket", "list", "-q", "assignee:akahn", db=demo_db)
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "deskui: error: assignee:akahn matches no analyst; closest: akhan (Amira Khan)"]
    assert run("ticket", "list", "-q", "assignee:akhan", db=demo_db).exit_code == 0
