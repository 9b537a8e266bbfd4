"""The metrics screen's series: volume and SLA compliance per local day, the
arrivals heatmap, and the recurring incidents' keys (DESIGN.md §2 Metrics).
The same definitions as the report (deskui.store.metrics), by local day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import SlaState, TicketType
from deskui.domain.metrics import DAY_SECONDS, Period, day_number, utc_offsets
from deskui.domain.report import DEFAULT_WINDOW_DAYS, Compliance
from deskui.store.metrics import _count_if, _in, _int, _local_seconds, _recurrence_rows, _recurs, _resolution_met
from deskui.store.models import Category, Requester, Ticket


@dataclass(frozen=True)
class DayVolume:
    day: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class DayCompliance(Compliance):
    day: date
    response_due: int
    response_met: int
    resolution_due: int
    resolution_met: int


def _offsets(period: Period) -> list[tuple[int, int]]:
    return utc_offsets(period.timezone, period.since - timedelta(days=1), period.until + timedelta(days=1))


def _day_counts(session: Session, column, period: Period, end: datetime, offsets, *extra) -> dict[int, tuple]:
    day = _local_seconds(column, offsets) // DAY_SECONDS
    stmt = select(day.label("d"), func.count(), *extra).where(_in(column, period.since, end)).group_by(day)
    return {row[0]: tuple(_int(v) for v in row[1:]) for row in session.execute(stmt)}


def volume_per_day(session: Session, period: Period) -> list[DayVolume]:
    """Tickets opened and resolved per local day of the desk's time zone, every day listed."""
    offsets = _offsets(period)
    opened = _day_counts(session, Ticket.created_at, period, period.until, offsets)
    resolved = _day_counts(session, Ticket.resolved_at, period, period.until, offsets)
    return [
        DayVolume(day, opened.get(n, (0,))[0], resolved.get(n, (0,))[0])
        for day, n in _numbered_days(period)
    ]


def _numbered_days(period: Period):
    return [(day, day_number(day)) for day in period.day_list()]


def compliance_per_day(session: Session, period: Period, *, now: datetime | None = None) -> list[DayCompliance]:
    """SLA compliance by the local day each target fell due (the same rules as the report)."""
    now = now or clock.now()
    end = min(period.until, now)
    offsets = _offsets(period)
    if end <= period.since:
        return [DayCompliance(day, 0, 0, 0, 0) for day in period.day_list()]
    response = _day_counts(session, Ticket.response_due_at, period, end, offsets,
                           _count_if(Ticket.response_state == SlaState.MET.value))
    resolution = _day_counts(session, Ticket.resolution_due_at, period, end, offsets, func.sum(_resolution_met()))
    return [
        DayCompliance(day, *response.get(n, (0, 0)), *resolution.get(n, (0, 0)))
        for day, n in _numbered_days(period)
    ]


def arrivals_heatmap(session: Session, period: Period) -> tuple[tuple[int, ...], ...]:
    """Tickets created in the period by local weekday (rows, Mon=0) and hour (24 columns)."""
    local = _local_seconds(Ticket.created_at, _offsets(period))
    weekday = ((local // DAY_SECONDS) + 3) % 7  # 1970-01-01 was a Thursday
    hour = (local % DAY_SECONDS) // 3600
    stmt = (select(weekday.label("w"), hour.label("h"), func.count())
            .where(_in(Ticket.created_at, period.since, period.until)).group_by(weekday, hour))
    grid = [[0] * 24 for _ in range(7)]
    for w, h, n in session.execute(stmt):
        grid[int(w)][int(h)] = _int(n)
    return tuple(tuple(row) for row in grid)


@dataclass(frozen=True)
class RecurringTicket:
    id: int
    subject: str
    status: str
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class RecurringKey:
    ci: str
    requester_id: int | None
    category_id: int | None
    label: str
    recurrences: int  # incidents resolved in the period that recurred
    tickets: tuple[RecurringTicket, ...]  # the key's most recent incidents


def top_recurring_keys(session: Session, period: Period, *, limit: int = 8, window_days: int = DEFAULT_WINDOW_DAYS,
                       tickets_per_key: int = 10) -> list[RecurringKey]:
    """The recurrence keys with the most recurring incidents in the period, each with
    its most recent incidents (so a ticket is one key away on the screen)."""
    ci_key = Ticket.ci.label("ci")
    requester_key = case((Ticket.ci == "", Ticket.requester_id), else_=None).label("rq")
    category_key = case((Ticket.ci == "", Ticket.category_id), else_=None).label("cat")
    rows = _recurrence_rows(period, None, ci_key, requester_key, category_key)
    _gap, recurs = _recurs(rows, window_days)
    stmt = (select(rows.c.ci, rows.c.rq, rows.c.cat, func.count()).where(recurs)
            .group_by(rows.c.ci, rows.c.rq, rows.c.cat)
            .order_by(func.count().desc(), rows.c.ci, rows.c.rq, rows.c.cat).limit(limit))
    result = []
    for ci, requester_id, category_id, count in session.execute(stmt).all():
        incident = Ticket.type == TicketType.INCIDENT.value
        if ci:
            where = [Ticket.ci == ci, incident]
            label = ci
        else:
            where = [Ticket.ci == "", Ticket.requester_id == requester_id, Ticket.category_id == category_id, incident]
            who = session.get(Requester, requester_id)
            what = session.get(Category, category_id)
            label = f"{who.name if who else '?'} · {what.path if what else '?'}"
        tickets = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at, Ticket.resolved_at)
            .where(*where, Ticket.created_at < period.until)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(tickets_per_key)
        ).all()
        result.append(RecurringKey(ci, requester_id, category_id, label, _int(count),
                                   tuple(RecurringTicket(*t) for t in tickets)))
    return result
