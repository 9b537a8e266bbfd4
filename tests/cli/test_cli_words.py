"""What the command line says, in words (issue 15 item 14): init --demo's summary,
sla explain's reasons, every command's help, and one exit-status rule for usage
errors (2) and everything else deskui refuses (1)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
import typer
from test_cli import demo_db, run  # noqa: F401  (the fixture)

from deskui import clock
from deskui.cli.main import app


def test_init_demo_prints_a_readable_summary(tmp_path):
    result = run("init", "--demo", "--tickets", "20", db=tmp_path / "demo.db", user=None)
    assert result.exit_code == 0, result.output
    # No Python reprs such as ImportSummary(read=46, created=46, ...).
    assert not re.search(r"\b[A-Z]\w*\(\w+=", result.stdout), result.stdout
    assert "knowledge base: 46 articles read: 46 created, 0 updated, 0 unchanged" in result.stdout


def test_sla_explain_says_why_a_clock_paused_in_words(demo_db):  # noqa: F811
    monday = datetime(2030, 11, 18, 9, 0)  # business hours, after the demo history
    for reason in ("awaiting_requester", "awaiting_vendor", "awaiting_change"):
        with clock.frozen(monday):
            new = run("ticket", "new", "-s", "Scanner offline", "-r", "kim@northwind.example", "-f", "json",
                      db=demo_db)
        ticket = str(json.loads(new.stdout)[0]["id"])
        with clock.frozen(monday + timedelta(hours=1)):
            assert run("ticket", "status", ticket, "pending", "--reason", reason, db=demo_db).exit_code == 0
        with clock.frozen(monday + timedelta(hours=3)):
            explained = run("sla", "explain", ticket, db=demo_db)
        assert explained.exit_code == 0, explained.output
        assert f"paused (pending: {reason.replace('_', ' ')})" in explained.stdout
        assert "awaiting_" not in explained.stdout


def commands(command, path=("deskui",)):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, (*path, name))


def test_every_command_has_help_whose_summary_is_whole():
    for path, command in commands(typer.main.get_command(app)):
        summary = command.get_short_help_str(limit=10_000)
        assert summary, f"{' '.join(path)} has no help text"
        # Click cuts the summary at the first ". ": "(e.g. after an import)" became "(e.g.".
        assert summary.count("(") == summary.count(")") and not summary.endswith("..."), (path, summary)


def test_seed_help_says_csv_works_too():
    result = run("seed", "--help", user=None)
    assert "CSV" in result.stdout
    for kind in ("groups", "categories", "analysts", "calendar", "sla", "canned"):
        assert "TOML or CSV" in run("seed", kind, "--help", user=None).stdout


@pytest.mark.parametrize("args", [
    ["report", "--by", "colour"],
    ["report", "--since", "2026-13-01"],
    ["ticket", "list", "--sort", "colour"],
    ["ticket", "list", "--query", "stauts:open"],
    ["ticket", "list", "--format", "xml"],
    ["ticket", "list", "-n", "0"],
    ["ticket", "new", "-s", "x", "-r", "a@b.c", "--type", "outage"],
    ["ticket", "new", "-s", "x", "-r", "a@b.c", "--impact", "huge"],
    ["ticket", "status", "1", "frozen"],
    ["ticket", "status", "1", "pending", "--reason", "lunch"],
    ["ticket", "resolve", "1", "--code", "zap", "--notes", "n"],
    ["ticket", "priority", "1", "--priority", "7", "--reason", "x"],
    ["ticket", "escalate", "1", "--reason", "x", "--tier", "5"],
    ["survey", "record", "abc", "5"],
    ["survey", "record", "1", "9"],
    ["problem", "list", "--status", "sleeping"],
    ["bulletin", "post", "Outage", "--for", "3x"],
    ["bulletin", "post", "Outage", "--for", "3h", "--severity", "huge"],
    ["request", "new", "laptop", "-r", "a@b.c", "--channel", "fax"],
    ["import", "servicenow", "x.csv", "--tz", "Mars/Olympus"],
    ["generate", "--tickets", "1", "--end", "someday"],
    ["ticket", "lst"],
    ["ticket", "show"],
])
def test_usage_errors_exit_2_everywhere(demo_db, args):  # noqa: F811
    result = run(*args, db=demo_db)
    assert result.exit_code == 2, (args, result.output)
    assert re.search(r"Error: (Invalid value|No such command|Missing argument)", result.stderr), result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["ticket", "show", "999999"], "ticket #999999 not found"),
    (["ticket", "new", "-s", "x", "-r", "a@b.c", "--category", "Plumbing"], "category: 'Plumbing' not found"),
    (["sla", "explain", "999999"], "ticket #999999 not found"),
])
def test_what_deskui_refuses_is_one_line_and_exit_1(demo_db, args, message):  # noqa: F811
    result = run(*args, db=demo_db)
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("deskui: error: ") and message in result.stderr


def leaf_commands():
    return [path[1:] for path, command in commands(typer.main.get_command(app))
            if not getattr(command, "commands", None) and len(path) > 1]


def test_every_command_exits_2_on_a_usage_error(tmp_path):
    """The one rule swept over every command: an option it does not have is a usage
    error, exit 2 with the parser's usage line, and nothing runs."""
    paths = leaf_commands()
    assert len(paths) > 40, paths
    for path in paths:
        result = run(*path, "--no-such-option", db=tmp_path / "never.db")
        assert result.exit_code == 2, (path, result.exit_code, result.output)
        assert "No such option" in result.stderr and "Usage:" in result.stderr, (path, result.stderr)
    assert not (tmp_path / "never.db").exists()
