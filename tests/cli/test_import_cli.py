"""`deskui import ...` and `deskui intake ...` through Typer's runner, on real files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.services.seed import seed_demo_org

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


@pytest.fixture
def desk(sqlite_engine, frozen_now) -> Path:
    seed_demo_org(sqlite_engine, SAMPLE)
    sqlite_engine.dispose()
    return Path(sqlite_engine.url.database)


def run(db: Path, *args: str, input: str | None = None):
    # rmensah: the demo organisation's admin (imports and intake need admin)
    return runner.invoke(app, [f"--db={db}", "--as=rmensah", *args], input=input)


def rows(db: Path, sql: str):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_servicenow_import_prints_a_summary_and_is_idempotent(desk):
    sample = str(SAMPLE / "imports" / "servicenow_incidents.csv")
    first = run(desk, "import", "servicenow", sample, "--dayfirst", "--tz", "Europe/London")
    assert first.exit_code == 0, first.output
    assert "rows read                18" in first.stdout and "tickets created           5" in first.stdout
    again = run(desk, "import", "servicenow", sample, "--dayfirst", "--tz", "Europe/London", "--format", "json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert (summary["rows_unchanged"], summary["tickets_created"], summary["events_written"]) == (18, 0, 0)
    assert rows(desk, "select status, reopen_count, external_made_sla from tickets where external_ref = 'INC0010002'") \
        == [("resolved", 1, 0)]


def test_errors_are_one_line_with_the_location(desk, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("number,opened_at,incident_state\nINC1,31/31/2016 10:00,New\n", encoding="utf-8")
    result = run(desk, "import", "servicenow", str(bad), "--dayfirst")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"deskui: error: {bad}:2:2: created_at: '31/31/2016 10:00' is not a valid day-first date "
        "(nothing imported; or pass --skip-bad to skip bad rows)"]
    assert "Traceback" not in result.output


def test_skip_bad_and_dry_run(desk, tmp_path):
    src = tmp_path / "mixed.csv"
    src.write_text("number,opened_at,incident_state,assignment_group\n"
                   "INC1,2016-02-29 10:00,New,Service Desk\n"
                   "INC2,2016-02-29 10:00,New,Group 56\n", encoding="utf-8")
    dry = run(desk, "import", "servicenow", str(src), "--skip-bad", "--dry-run", "-f", "json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["skipped"] == {"unknown group": 1}
    assert rows(desk, "select count(*) from tickets") == [(0,)]
    done = run(desk, "import", "servicenow", str(src), "--skip-bad", "--rejects", str(tmp_path / "out.csv"))
    assert done.exit_code == 0 and "unknown group: 1" in done.stdout and "out.csv" in done.stdout
    assert "INC2" in (tmp_path / "out.csv").read_text()
    assert rows(desk, "select external_ref from tickets") == [("INC1",)]


def test_csv_import_needs_a_mapping(desk):
    missing = run(desk, "import", "csv", str(SAMPLE / "imports" / "jira_export.csv"))
    assert missing.exit_code == 2
    ok = run(desk, "import", "csv", str(SAMPLE / "imports" / "jira_export.csv"), "--map",
             str(SAMPLE / "mappings" / "jira.toml"))
    assert ok.exit_code == 0, ok.output
    assert "jira import of" in ok.stdout
    assert sorted(rows(desk, "select external_ref from tickets")) == [("jira:NW-101",), ("jira:NW-102",), ("jira:NW-103",)]


def test_intake_email_and_alerts(desk):
    mail = run(desk, "intake", "email", str(SAMPLE / "imports" / "servicedesk.mbox"), "--group", "Service Desk")
    assert mail.exit_code == 0, mail.output
    assert "tickets created         1" in mail.stdout and "auto-reply: 1" in mail.stdout
    alerts = (SAMPLE / "imports" / "alerts.jsonl").read_text()
    piped = run(desk, "intake", "alerts", "-", "--group", "Server & Cloud", "-f", "json", input=alerts)
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.stdout)["alerts_read"] == 9
    assert rows(desk, "select count(*) from tickets where channel = 'monitoring'")[0][0] >= 1


def test_intake_unknown_group_is_a_clear_error(desk):
    result = run(desk, "intake", "alerts", str(SAMPLE / "imports" / "alerts.jsonl"), "--group", "Nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("deskui: error: group: 'Nope' not found; groups: ")
