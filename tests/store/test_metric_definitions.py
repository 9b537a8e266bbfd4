"""What docs/metrics.md used to leave open, decided and held by a test each
(issue 19): FCR of a ticket never assigned, FCR when the assignee would change
after resolution, cancelled incidents and recurrence, the recurrence window
across a clock change, the rounding of csat.mean, and the calendar tie-break."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from deskui.domain import report as shown
from deskui.domain.metrics import period_of_days
from deskui.domain.workflow import WorkflowError
from deskui.errors import DeskError
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.survey import record_survey
from deskui.store import metrics as m
from deskui.store.db import session_scope, write_session
from deskui.store.models import Calendar, SlaPolicy

TZ = "Europe/London"
NOV = period_of_days(date(2026, 11, 2), date(2026, 11, 16), TZ)
TIER1 = "Software/Web Browser"  # routed to the Service Desk (tier 1)


@pytest.fixture
def desk(org, frozen_now):
    return org


def A(engine, who="demo"):
    return actor_for(engine, who)


def opened(engine, at, **kw):
    kw.setdefault("category", TIER1)
    return svc.open_ticket(engine, A(engine), subject="Printer offline", requester="ana.ruiz@northwind.example",
                           at=at, **kw).id


def resolve(engine, tid, at):
    svc.resolve(engine, A(engine), tid, code="solved", notes="fixed", at=at)


def test_a_ticket_resolved_without_ever_being_assigned_is_not_a_first_contact_resolution(desk):
    # FCR needs a first assignee who resolved it; nobody took this one (a rule, or the requester, closed it).
    tid = opened(desk, datetime(2026, 11, 4, 9))
    resolve(desk, tid, datetime(2026, 11, 4, 10))
    f = m.build_report(desk, NOV).figures
    assert (f.resolved, f.fcr) == (1, 0)


def test_fcr_is_decided_at_resolution_because_a_resolved_ticket_keeps_its_assignee(desk):
    tid = opened(desk, datetime(2026, 11, 4, 9))
    svc.take(desk, A(desk), tid, at=datetime(2026, 11, 4, 9, 5))
    resolve(desk, tid, datetime(2026, 11, 4, 10))
    # Changing the assignee of a resolved ticket is refused: it would need a reopen, which ends FCR anyway.
    with pytest.raises((WorkflowError, DeskError)):
        svc.assign(desk, A(desk), tid, "akhan", at=datetime(2026, 11, 4, 11))
    assert m.build_report(desk, NOV).figures.fcr == 1


def _incident(engine, created, resolved=None, *, ci="PRN-01", cancel_at=None):
    tid = opened(engine, created, ci=ci, category="Printing/Printer Setup")
    if resolved:
        resolve(engine, tid, resolved)
    if cancel_at:
        svc.change_status(engine, A(engine), tid, "cancelled", at=cancel_at)
    return tid


def test_a_cancelled_incident_is_no_recurrence(desk):
    _incident(desk, datetime(2026, 11, 3, 9), datetime(2026, 11, 3, 10))
    # Opened after the first one's resolution, within the window, but cancelled (a duplicate): no recurrence.
    _incident(desk, datetime(2026, 11, 4, 9), cancel_at=datetime(2026, 11, 4, 9, 30))
    rec = m.build_report(desk, NOV).figures.recurrence
    assert (rec.resolved_incidents, rec.recurring) == (1, 0)
    _incident(desk, datetime(2026, 11, 5, 9))  # a real one: now it recurs
    assert m.build_report(desk, NOV).figures.recurrence.recurring == 1


def test_the_recurrence_window_is_720_hours_not_30_local_days_across_a_clock_change(desk):
    # Resolved Tue 10 March 2026 12:00 GMT; London moves to BST on 29 March. 30 local days later is
    # 9 April 12:00 BST = 11:00 UTC (719 h); the window is 30 x 24 h = 720 h of elapsed time.
    march = period_of_days(date(2026, 3, 1), date(2026, 4, 1), TZ)
    resolved = datetime(2026, 3, 10, 12)
    _incident(desk, datetime(2026, 3, 10, 9), resolved, ci="SRV-1")
    _incident(desk, resolved + timedelta(hours=719, minutes=30), ci="SRV-1")  # past 30 local days, within 720 h
    _incident(desk, datetime(2026, 3, 11, 9), datetime(2026, 3, 11, 12), ci="SRV-2")
    _incident(desk, datetime(2026, 3, 11, 12) + timedelta(hours=720, seconds=1), ci="SRV-2")  # 1 s too late
    rec = m.build_report(desk, march).figures.recurrence
    assert (rec.resolved_incidents, rec.recurring) == (2, 1)
    assert rec.mean_hours_between == pytest.approx(719.5)


def test_csat_mean_is_the_exact_mean_rounded_to_three_decimals_in_json(desk):
    ids = [opened(desk, datetime(2026, 11, 4, 9 + n)) for n in range(3)]
    for tid, score in zip(ids, (4, 5, 5)):
        resolve(desk, tid, datetime(2026, 11, 4, 13))
        record_survey(desk, tid, score, at=datetime(2026, 11, 5, 9))
    report = m.build_report(desk, NOV)
    assert report.figures.csat.mean == pytest.approx(14 / 3)  # kept exact: 4.6666...
    data = shown.report_dict(report)
    assert data["csat"]["mean"] == 4.667 and data["csat"]["satisfied_share"] == 1.0


def test_the_desk_time_zone_ties_go_to_the_calendar_created_first(desk):
    with session_scope(desk) as s:
        calendars = {c.name: (c.id, c.timezone) for c in s.scalars(select(Calendar))}
        assert m.desk_timezone(s) == TZ  # "Service Desk hours" serves P2-P4
    # Give every policy to two calendars, one each: a tie, and the one created first wins.
    (first_id, first_tz), (second_id, second_tz) = sorted(calendars.values())[:2]
    assert first_tz != second_tz  # else the tie-break would not show
    with write_session(desk) as s:
        ids = list(s.scalars(select(SlaPolicy.id).order_by(SlaPolicy.id)))
        s.execute(update(SlaPolicy).where(SlaPolicy.id.in_(ids[:1])).values(calendar_id=second_id))
        s.execute(update(SlaPolicy).where(SlaPolicy.id.in_(ids[1:2])).values(calendar_id=first_id))
        s.execute(delete(SlaPolicy).where(SlaPolicy.id.in_(ids[2:])))  # a fresh desk: no ticket uses them
    with session_scope(desk) as s:
        assert m.desk_timezone(s) == first_tz
