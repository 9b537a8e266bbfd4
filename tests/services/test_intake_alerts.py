"""Monitoring alerts (JSON Lines) against a real database: open, note repeats, resolve on
recovery, hold back flapping, take an alert once, locate bad lines."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from deskui import clock
from deskui.errors import ValidationError
from deskui.services.intake.alerts import AlertOptions, intake_alerts
from deskui.store.db import session_scope
from deskui.store.models import Comment, Ticket
from deskui.store.tickets import comments, events, ticket_record

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "imports"


def alert(state, minute, *, host="db01", service="disk /var", source="nagios", message="", **extra) -> dict:
    return {"source": source, "host": host, "service": service, "state": state, "message": message or f"{state} at {minute}",
            "time": f"2026-11-16T08:{minute:02d}:00Z", **extra}


def jsonl(tmp_path: Path, alerts, name="alerts.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(a) + "\n" for a in alerts), encoding="utf-8")
    return path


def monitoring(engine):
    with session_scope(engine) as s:
        ids = s.scalars(select(Ticket.id).where(Ticket.channel == "monitoring").order_by(Ticket.id)).all()
        return [(ticket_record(s, i), comments(s, i), events(s, i)) for i in ids]


def test_problem_opens_repeat_notes_recovery_resolves(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [alert("CRITICAL", 0, message="91% used"), alert("CRITICAL", 10),
                            alert("OK", 20, message="61% used")])
    summary = intake_alerts(org, path, AlertOptions(group="Server & Cloud"))
    assert (summary.incidents_opened, summary.notes_added, summary.resolved) == (1, 2, 1)
    [(t, notes, history)] = monitoring(org)
    assert t.type == "incident" and t.channel == "monitoring" and t.ci == "db01/disk /var"
    assert t.group == "Server & Cloud" and t.priority == 2  # CRITICAL: impact high x urgency medium
    assert t.subject == "CRITICAL: db01/disk /var - 91% used"
    assert t.created_at == datetime(2026, 11, 16, 8, 0) and t.resolved_at == datetime(2026, 11, 16, 8, 20)
    assert t.status == "resolved" and t.resolution_code == "solved"
    assert [n.visibility for n in notes] == ["internal", "internal"]
    assert notes[0].body.startswith("Alert (repeat): CRITICAL") and notes[1].body.startswith("Recovered: OK")
    states = [(e.old, e.new) for e in history if e.field == "alert_state"]
    assert states == [("", "CRITICAL"), ("CRITICAL", "OK")]


def test_a_new_problem_after_recovery_is_a_new_incident(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [alert("WARNING", 0), alert("OK", 5), alert("CRITICAL", 50)])
    intake_alerts(org, path)
    opened = monitoring(org)
    assert [t.status for t, *_ in opened] == ["resolved", "new"]
    assert opened[0][0].priority == 3 and opened[1][0].priority == 2


def test_flapping_is_held_back(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [alert("CRITICAL", 0), alert("OK", 3), alert("CRITICAL", 6), alert("OK", 9),
                            alert("CRITICAL", 12)])
    summary = intake_alerts(org, path, AlertOptions(flap_changes=3, flap_window_minutes=30))
    assert (summary.incidents_opened, summary.resolved, summary.reopened, summary.held_back) == (1, 1, 1, 1)
    [(t, notes, history)] = monitoring(org)
    assert t.status == "open" and t.reopen_count == 1  # one incident, kept open while it flaps
    assert any(n.body.startswith("Recovery held back: flapping") for n in notes)


def test_flapping_settings_are_configurable(org, frozen_now, tmp_path):
    flips = [alert("CRITICAL", 0), alert("OK", 3), alert("CRITICAL", 6), alert("OK", 9)]
    summary = intake_alerts(org, jsonl(tmp_path, flips), AlertOptions(flap_changes=10))
    assert (summary.incidents_opened, summary.resolved, summary.held_back) == (2, 2, 0)


def test_fingerprints_are_kept_apart(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [alert("CRITICAL", 0), alert("CRITICAL", 1, source="zabbix"),
                            alert("DOWN", 2, host="sw1", service=""), alert("OK", 3, source="zabbix")])
    intake_alerts(org, path)
    got = {(t.ci, t.status) for t, *_ in monitoring(org)}
    assert got == {("db01/disk /var", "new"), ("db01/disk /var", "resolved"), ("sw1", "new")}


def test_the_same_alert_is_taken_once(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [alert("CRITICAL", 0), alert("CRITICAL", 10)])
    intake_alerts(org, path)
    again = intake_alerts(org, path)
    assert again.ignored == {"duplicate": 2}
    with session_scope(org) as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 1


def test_recovery_without_an_incident_is_ignored(org, frozen_now, tmp_path):
    summary = intake_alerts(org, jsonl(tmp_path, [alert("OK", 0)]))
    assert summary.ignored == {"recovery without an open incident": 1}
    assert monitoring(org) == []


def test_epoch_times_and_missing_times(org, frozen_now, tmp_path):
    path = jsonl(tmp_path, [{"host": "sw1", "state": "DOWN", "time": 1794823200},
                            {"host": "sw2", "state": "unreachable"}])
    intake_alerts(org, path)
    (a, *_), (b, *_) = monitoring(org)
    assert a.created_at == datetime(2026, 11, 16, 9, 0) and a.requester_email == "monitoring@monitoring.invalid"
    assert b.created_at == frozen_now and b.priority == 3


def test_bad_lines_name_file_line_and_column(org, frozen_now, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(alert("CRITICAL", 0)) + "\n" + '{"host": "db02", "state": "MELTING"}\n')
    with pytest.raises(ValidationError, match=r"a.jsonl:2:18: state: 'MELTING' is not one of OK, UP, WARNING"):
        intake_alerts(org, path)
    assert monitoring(org) == []  # a file is checked whole first: nothing is taken (issue 12.5)
    path.write_text('{"host": "db03", "state": "OK",}\n')
    with pytest.raises(ValidationError, match=r"a.jsonl:1:32: not valid JSON"):
        intake_alerts(org, path)


def test_skip_bad_writes_rejects(org, frozen_now, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"state": "OK"}\n[1, 2]\n' + json.dumps(alert("DOWN", 1, host="sw9")).encode() + b"\n"
                     + b'{"host": "b\xff", "state": "DOWN"}\n')
    summary = intake_alerts(org, path, AlertOptions(skip_bad=True))
    assert summary.skipped == {"missing host": 1, "bad JSON": 1, "bad encoding": 1}
    assert summary.incidents_opened == 1
    rejected = [json.loads(line) for line in Path(summary.rejects_file).read_text().splitlines()]
    assert [r["_line"] for r in rejected] == [1, 2, 4] and rejected[1]["_raw"] == "[1, 2]"


def test_dry_run_writes_nothing(org, frozen_now, tmp_path):
    summary = intake_alerts(org, jsonl(tmp_path, [alert("CRITICAL", 0), alert("OK", 5)]), AlertOptions(dry_run=True))
    assert (summary.incidents_opened, summary.resolved) == (1, 1)
    assert monitoring(org) == []


def test_sample_alerts(org):
    with clock.frozen(datetime(2026, 11, 16, 12, 0)):  # after the last alert in the file
        summary = intake_alerts(org, SAMPLE / "alerts.jsonl")
    assert (summary.alerts_read, summary.incidents_opened, summary.resolved, summary.held_back) == (9, 3, 2, 1)
