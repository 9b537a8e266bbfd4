"""`deskui report`, `deskui survey record` through Typer's runner, with a frozen clock."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskui import clock
from deskui.cli.main import app
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from tests.conftest import seed_org

runner = CliRunner()
NOW = datetime(2026, 11, 16, 9, 0)  # Monday; London is on GMT


def run(*args: str, db: Path):
    with clock.frozen(NOW):
        return runner.invoke(app, [f"--db={db}", "--as=demo", *args])  # recording a survey answer is an analyst's


@pytest.fixture
def desk(sqlite_engine):
    """Three P3 incidents: #1 resolved in 2 h (first reply after 30 min) and surveyed 5,
    #2 resolved in 6 h and surveyed 2, #3 still open; all opened on Tue 10 Nov 2026."""
    seed_org(sqlite_engine)
    me = actor_for(sqlite_engine, "demo")
    opened = datetime(2026, 11, 10, 9)
    ids = []
    with clock.frozen(NOW):
        for i in range(3):
            t = svc.open_ticket(sqlite_engine, me, subject=f"Browser crash {i}", requester="ana.ruiz@northwind.example",
                                category="Software/Web Browser", at=opened)
            ids.append(t.id)
        svc.take(sqlite_engine, me, ids[0], at=opened + timedelta(minutes=10))
        svc.add_comment(sqlite_engine, me, ids[0], "Try this", at=opened + timedelta(minutes=30))
        svc.resolve(sqlite_engine, me, ids[0], code="solved", notes="ok", at=opened + timedelta(hours=2))
        svc.resolve(sqlite_engine, me, ids[1], code="solved", notes="ok", at=opened + timedelta(hours=6))
    return Path(sqlite_engine.url.database), ids


REPORT_KEYS = {
    "period", "tickets_opened", "tickets_resolved", "tickets_cancelled", "first_response_minutes", "resolution_hours", "fcr_rate",
    "reopen_rate", "escalation_rate", "reassignment_rate", "sla", "backlog", "csat", "recurrence", "kpis",
}


def test_report_json_has_the_documented_keys_and_values(desk):
    db, ids = desk
    assert run("survey", "record", str(ids[0]), "5", "--comment", "great", db=db).exit_code == 0
    assert run("survey", "record", f"#{ids[1]}", "2", db=db).exit_code == 0
    # the surveys were answered today: a period through today includes them
    result = run("report", "--since", "2026-11-02", "--until", "2026-11-17", "--format", "json", db=db)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == REPORT_KEYS
    assert data["period"] == {"since": "2026-11-02T00:00:00Z", "until": "2026-11-17T00:00:00Z",
                              "first_day": "2026-11-02", "last_day": "2026-11-16", "timezone": "Europe/London",
                              "as_of": "2026-11-16T09:00:00Z"}
    assert (data["tickets_opened"], data["tickets_resolved"]) == (3, 2)
    assert data["first_response_minutes"] == {"responses": 1, "median": 30.0, "p90": 30.0}
    # 2 h and 6 h: mean 4, median 4, p90 = 2 + 0.9 * 4 = 5.6
    assert data["resolution_hours"] == {"resolved": 2, "unknown": 0, "mean": 4.0, "median": 4.0, "p90": 5.6}
    # #1 was resolved by its first assignee at tier 1; #2 was never assigned
    assert data["fcr_rate"] == 0.5
    assert data["csat"] == {"responses": 2, "satisfied_share": 0.5, "mean": 3.5}
    # Response (4 business hours, due Tue 13:00): #1 replied 09:30, met; #2 resolved 15:00 with no reply and
    # #3 never answered: breached. Resolution (48 business hours, due Fri 13 09:00): #1, #2 met, #3 breached.
    assert data["sla"] == {"response_compliance": 0.3333, "resolution_compliance": 0.6667, "response_due": 3,
                           "response_met": 1, "resolution_due": 3, "resolution_met": 2}
    # #3: open 6 days, past SLA
    assert data["backlog"] == {"open": 1, "past_sla": 1, "past_sla_share": 1.0,
                               "aging": {"under_1d": 0, "1d_to_3d": 0, "3d_to_7d": 1, "over_7d": 0}}
    assert set(data["recurrence"]) == {"resolved_incidents", "recurring", "rate", "mean_hours_between",
                                       "window_days"}
    assert data["kpis"]["fcr_rate"] == {"value": 0.5, "target": 0.7, "status": "bad"}


def test_report_default_period_is_the_last_30_days(desk):
    db, _ = desk
    data = json.loads(run("report", "--format", "json", db=db).stdout)
    assert (data["period"]["first_day"], data["period"]["last_day"]) == ("2026-10-18", "2026-11-16")
    assert data["period"]["as_of"] == "2026-11-16T09:00:00Z"
    assert data["tickets_opened"] == 3


def test_report_by_priority_json_and_csv(desk):
    db, _ = desk
    data = json.loads(run("report", "--since", "2026-11-02", "--by", "priority", "--format", "json", db=db).stdout)
    assert data["by"] == "priority"
    assert [(row["value"], row["tickets_opened"]) for row in data["breakdown"]] == [("P3", 3)]
    assert set(data["breakdown"][0]) == REPORT_KEYS - {"period", "kpis"} | {"value"}

    result = run("report", "--since", "2026-11-02", "--by", "analyst", "--format", "csv", db=db)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["value"], r["tickets_opened"], r["backlog.open"]) for r in rows] == [
        ("(all)", "3", "1"), ("demo", "1", "0"), ("(none)", "2", "1")]
    assert rows[0]["resolution_hours.mean"] == "4.0" and rows[0]["by"] == "analyst"


def test_report_table(desk):
    db, _ = desk
    result = run("report", "--since", "2026-11-02", "--by", "group", db=db)
    assert result.exit_code == 0, result.output
    for needle in ("First contact resolution", "50.0%", "≥ 70.0%", "missed", "by group", "Service Desk"):
        assert needle in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--by", "colour"], "'--by': 'colour' is not one of priority, category, group, analyst, channel, type"),
    (["--since", "2026-13-01"], "'--since': '2026-13-01' is not a date (YYYY-MM-DD)"),
    (["--until", "yesterday"], "'--until': 'yesterday' is not a date (YYYY-MM-DD)"),
    (["--since", "2026-11-10", "--until", "2026-11-10"], "'--until': (2026-11-10) must be after --since (2026-11-10)"),
])
def test_report_option_mistakes_are_usage_errors(desk, args, message):
    """Issue 15 item 14: a value an option does not take exits 2, as the README says usage errors do."""
    db, _ = desk
    result = run("report", *args, db=db)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[0].endswith(" report [OPTIONS]")  # (the runner's program name)
    assert result.stderr.strip().splitlines()[-1] == f"Error: Invalid value for {message}"


def test_targets_and_metrics_come_from_the_user_config(desk, tmp_path, monkeypatch):
    db, _ = desk
    config = tmp_path / "cfg"
    config.mkdir()
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(config))
    (config / "config.toml").write_text('[targets]\nfcr_rate = 40\n[metrics]\ntimezone = "America/New_York"\n')
    data = json.loads(run("report", "--since", "2026-11-02", "--format", "json", db=db).stdout)
    assert data["kpis"]["fcr_rate"] == {"value": 0.5, "target": 0.4, "status": "good"}
    assert data["period"]["timezone"] == "America/New_York" and data["period"]["since"] == "2026-11-02T05:00:00Z"

    (config / "config.toml").write_text("[targets]\nfrc_rate = 0.4\n")
    result = run("report", db=db)
    assert result.exit_code == 1 and "config.toml: targets: unknown key 'frc_rate'; allowed: fcr_rate" in result.stderr


def test_survey_record_validates(desk):
    db, ids = desk
    ok = run("survey", "record", str(ids[0]), "4", db=db)
    assert ok.exit_code == 0 and ok.stdout.strip() == f"recorded 4/5 for #{ids[0]}"
    for args, message in (
        ([str(ids[2]), "5"], f"ticket #{ids[2]} is new; surveys are for resolved or closed tickets"),
        (["99999", "5"], "ticket #99999 not found"),
    ):
        result = run("survey", "record", *args, db=db)
        assert result.exit_code == 1 and result.stderr.strip() == f"deskui: error: {message}"
    # What the command line should not have given is a usage error.
    for args, message in (
        ([str(ids[0]), "9"], "'SCORE': '9' is not one of 1, 2, 3, 4, 5"),
        (["abc", "5"], "'TICKET': 'abc' is not a ticket number (e.g. 123 or #123)"),
    ):
        result = run("survey", "record", *args, db=db)
        assert result.exit_code == 2 and result.stderr.strip().endswith(f"Error: Invalid value for {message}")
