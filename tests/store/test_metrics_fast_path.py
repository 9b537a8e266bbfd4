"""Issue 17.1: the report's durations come from generated columns and ordered index walks;
on random periods of generated data they equal the straightforward computation (every
ticket read into Python, durations from its timestamps, percentiles by sorting), exactly.

The straightforward computation is the definition in docs/metrics.md; the fast path is
deskui.store.metrics (percentile_cont on PostgreSQL, ordered walks of the duration
indexes on SQLite)."""

from __future__ import annotations

import calendar
import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from deskui.domain.metrics import MEDIAN, P90, percentile, period_of_days
from deskui.services.generate import generate_history
from deskui.services.seed import seed_demo_org
from deskui.resources import sample_data_dir
from deskui.store import metrics as m
from deskui.store.db import session_scope
from deskui.store.models import Ticket

END = datetime(2026, 11, 16, 9, 0, 0)
TZ = "Europe/London"


@pytest.fixture
def generated(engine):
    seed_demo_org(engine, sample_data_dir())
    generate_history(engine, tickets=1200, seed=17, days=60, end=END, workers=0)
    return engine


def _seconds(start: datetime, end: datetime) -> int:
    """Whole seconds between timestamps truncated to the second (docs/metrics.md)."""
    return calendar.timegm(end.timetuple()) - calendar.timegm(start.timetuple())


def _reference(tickets, period, key: str | None):
    """{key: (resolution (n, total, median, p90), first response (n, total, median, p90))}."""
    found: dict = {}
    for t in tickets:
        k = getattr(t, key) if key else m.ALL
        res, first = found.setdefault(k, ([], []))
        if t.resolved_at and period.since <= t.resolved_at < period.until and not t.resolution_time_unknown:
            res.append(_seconds(t.created_at, t.resolved_at))
        if (t.first_response_at and period.since <= t.first_response_at < period.until
                and t.status != "cancelled"):
            first.append(_seconds(t.created_at, t.first_response_at))

    def spread(values):
        values = sorted(values)
        return (len(values), sum(values), percentile(values, MEDIAN), percentile(values, P90))

    return {k: (spread(res), spread(first)) for k, (res, first) in found.items() if res or first}


def _fast(session, period, key: str | None):
    column = getattr(Ticket, key) if key else None
    res = m._resolution(session, period, column)
    first = m._first_response(session, period, column)
    empty = (0, 0, None, None)

    def spread(d):
        return (d.count, d.total_seconds, d.median_seconds, d.p90_seconds) if d else empty

    return {k: (spread(res.get(k)), spread(first.get(k))) for k in set(res) | set(first)}


def test_durations_and_percentiles_equal_the_straightforward_computation_on_random_periods(generated):
    rng = random.Random(17)
    with session_scope(generated) as s:
        tickets = s.execute(select(Ticket.created_at, Ticket.resolved_at, Ticket.first_response_at, Ticket.status,
                                   Ticket.resolution_time_unknown, Ticket.group_id, Ticket.priority,
                                   Ticket.assignee_id, Ticket.channel)).all()
        periods = [period_of_days(date(2026, 9, 1), date(2026, 12, 1), TZ)]  # the whole history
        for _ in range(6):
            first = date(2026, 9, 10) + timedelta(days=rng.randrange(60))
            periods.append(period_of_days(first, first + timedelta(days=rng.choice([1, 3, 7, 30, 90])), TZ))
        for period in periods:
            for key in (None, "group_id", "priority", "assignee_id"):
                assert _fast(s, period, key) == _reference(tickets, period, key), (period.label(), key)
