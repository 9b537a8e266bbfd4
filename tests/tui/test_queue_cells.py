"""The queue's cells: countdown, ages, SLA column states, column layout, untrusted text."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from deskui.domain.calendar import BusinessCalendar
from deskui.reads.queue_rows import QueueRow, countdown, sla_cell
from deskui.tui.widgets.queue_view import MIN_SUBJECT, age, layout, visible

NOW = datetime(2026, 11, 16, 9, 0)  # a Monday
OFFICE = BusinessCalendar.from_config(name="office", timezone="UTC",
                                      weekly_hours={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")})


def row(**changes) -> QueueRow:
    base = dict(
        id=1, priority=3, status="open", type="incident", subject="s", requester="r", group="g", assignee="a",
        created_at=NOW - timedelta(hours=1), updated_at=NOW, first_response_at=NOW - timedelta(minutes=50),
        response_due_at=NOW + timedelta(hours=3), resolution_due_at=NOW + timedelta(hours=20),
        response_warn_at=NOW + timedelta(hours=2), resolution_warn_at=NOW + timedelta(hours=8),
        response_state="met", resolution_state="ok", version=1, calendar=BusinessCalendar.always_open(),
    )
    base.update(changes)
    return QueueRow(**base)


@pytest.mark.parametrize("seconds, text", [
    (0, "0m"), (59, "0m"), (45 * 60, "45m"), (3 * 3600 + 5 * 60, "3h05m"), (99 * 3600 + 59 * 60, "99h59m"),
    (100 * 3600, "4d04h"), (-(2 * 3600 + 60), "-2h01m"), (-150 * 86400, "-150d"),
])
def test_countdown(seconds, text):
    assert countdown(seconds) == text
    assert len(countdown(seconds)) <= 7


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=30), "now"), (timedelta(minutes=12), "12m"), (timedelta(hours=5), "5h"),
    (timedelta(hours=47), "47h"), (timedelta(days=3), "3d"), (timedelta(days=30), "4w"), (timedelta(days=800), "2y"),
])
def test_age(delta, text):
    assert age(NOW - delta, NOW) == text


def test_sla_counts_business_time_on_the_calendar():
    # Friday 16:00, due Monday 10:00 on office hours: 1 h Friday + 1 h Monday left.
    friday = datetime(2026, 11, 13, 16, 0)
    r = row(resolution_due_at=datetime(2026, 11, 16, 10, 0), resolution_warn_at=None, calendar=OFFICE)
    assert sla_cell(r, friday) == ("2h00m", "ok")
    # Tuesday 10:00: overdue by Monday 10:00-17:00 and Tuesday 09:00-10:00 of office hours.
    assert sla_cell(r, datetime(2026, 11, 17, 10, 0)) == ("-8h00m", "breached")


def test_sla_states():
    assert sla_cell(row(), NOW) == ("20h00m", "ok")
    # Past the warning time the last refresh stored: at risk, though no sweep ran since.
    assert sla_cell(row(), NOW + timedelta(hours=8)) == ("12h00m", "at_risk")
    assert sla_cell(row(resolution_state="at_risk"), NOW)[1] == "at_risk"
    # A deadline at this very instant has not passed; a moment later it has.
    due_now = row(resolution_due_at=NOW, resolution_warn_at=NOW - timedelta(hours=12))
    assert sla_cell(due_now, NOW) == ("0m", "at_risk")
    assert sla_cell(due_now, NOW + timedelta(seconds=1)) == ("-0m", "breached")  # overdue, by less than a minute
    assert sla_cell(row(resolution_due_at=NOW - timedelta(minutes=5)), NOW) == ("-5m", "breached")
    # A stored breach of the response target keeps the ticket red.
    assert sla_cell(row(response_state="breached"), NOW)[1] == "breached"
    # The first response is due before the resolution: it is the deadline shown.
    waiting = row(first_response_at=None, response_state="ok", response_due_at=NOW + timedelta(hours=2))
    assert sla_cell(waiting, NOW) == ("r2h00m", "ok")
    paused = row(status="pending", resolution_state="paused", resolution_due_at=None)
    assert sla_cell(paused, NOW) == ("paused", "paused")
    assert sla_cell(row(status="resolved", resolution_state="met"), NOW) == ("met", "met")
    assert sla_cell(row(status="closed", resolution_state="breached"), NOW) == ("missed", "breached")
    assert sla_cell(row(status="cancelled"), NOW)[1] == "none"
    assert sla_cell(row(calendar=None, resolution_due_at=None, response_due_at=None), NOW) == ("—", "none")


@pytest.mark.parametrize("width", [60, 78, 80, 100, 132, 158, 198, 240])
def test_layout_fills_the_width_and_keeps_the_subject_readable(width):
    columns = layout(width)
    total = sum(w for _, w in columns) + len(columns) - 1
    assert total == width
    keys = [c.key for c, _ in columns]
    for key in ("number", "priority", "sla", "status", "subject"):
        assert key in keys
    subject = dict((c.key, w) for c, w in columns)["subject"]
    assert subject >= min(MIN_SUBJECT, width - 40)


def test_wide_layout_shows_every_column_and_narrow_drops_some():
    assert [c.key for c, _ in layout(200)] == ["mark", "number", "priority", "sla", "status", "type", "subject",
                                                "requester", "group", "assignee", "age"]
    narrow = [c.key for c, _ in layout(78)]
    assert "requester" not in narrow and "assignee" in narrow


def test_control_characters_become_visible():
    assert visible("[bold]x[/]") == "[bold]x[/]"
    assert visible("a\x1b[2Jb\tc\x07") == "a␛[2Jb␉c␇"
    assert "\x1b" not in visible("\x1b\x9b\x7f")
    # Stored before the sanitiser showed them: a bidi override is shown in the queue too.
    assert visible("invoice\u202etxt.exe") == "invoice⟨U+202E⟩txt.exe"
