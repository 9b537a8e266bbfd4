"""Metrics as SQL aggregates (DESIGN.md §2 Metrics, §4), the same answers on SQLite and PostgreSQL.

Every figure is one GROUP BY (or window-function) query over ``tickets`` or
``surveys``; Python only divides the sums the database returns. The exact
definitions are in docs/metrics.md; in short, over a period [since, until):

- opened: created in the period; resolved: ``resolved_at`` in the period.
- first response: tickets whose first response is in the period, minutes
  created -> first response; resolution: tickets resolved in the period, hours
  created -> resolved (calendar time).
- FCR, reopen, escalation and reassignment rates: over the tickets resolved in
  the period, whose counters are final.
- SLA compliance: over the targets that fell due in [since, min(until, now)),
  "fell due" meaning the stored due time of the target (see ``_sla``).
- backlog: active tickets now (the period does not apply).
- CSAT: survey answers given in the period.
- recurrence: incidents resolved in the period; a correlated subquery finds the
  next incident with the same recurrence key.

Durations are whole seconds between timestamps truncated to the second (both
engines agree), percentiles interpolate like PostgreSQL's ``percentile_cont``
(used on PostgreSQL; on SQLite a window-function scan picks the two ranks and
Python applies the same float formula). Local days and hours (volume per day,
the arrivals heatmap) use the desk's time zone through a table of UTC offsets
compiled into the SQL, so no engine time-zone support is needed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import (
    BigInteger, Float, and_, case, cast, func, literal, or_, select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES, SlaState, TicketType
from deskui.domain.metrics import (
    AGING_BUCKETS, DAY_SECONDS, HIGHER, LOWER, MEDIAN, P90, Period, Targets, assess, day_number, interpolate,
    mean, percentile_positions, share, utc_offsets,
)
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Calendar, Category, Group, Requester, SlaPolicy, Survey, Ticket, TicketEvent

DIMENSIONS = ("priority", "category", "group", "analyst", "channel", "type")
DEFAULT_WINDOW_DAYS = 30
_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
_RUNNING = (SlaState.OK.value, SlaState.AT_RISK.value)
ALL = "__all__"  # the key of the single group when there is no breakdown
# Up to this many (group, percentile) pairs, one ordered LIMIT/OFFSET query each beats a window pass.
FEW_RANK_QUERIES = 4


# ===================================================================== SQL helpers

class epoch(FunctionElement):
    """Whole seconds since 1970-01-01 of a naive UTC timestamp column (floored)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({arg})"
    return f"CAST(strftime('%s', {arg}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element, compiler, **kw):
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def _local_seconds(column, offsets: Sequence[tuple[int, int]]) -> ColumnElement:
    """Local wall-clock seconds since the epoch: UTC seconds + the offset in force."""
    seconds = epoch(column)
    if len(offsets) == 1:
        return seconds + offsets[0][1]
    whens = [(seconds < start, previous[1]) for previous, (start, _) in zip(offsets, offsets[1:])]
    return seconds + case(*whens, else_=offsets[-1][1])


def _int(value: Any) -> int:
    return int(value or 0)


def _count_if(condition) -> ColumnElement:
    return func.sum(case((condition, 1), else_=0))


def _in(column, since: datetime, until: datetime):
    return and_(column >= since, column < until)


def dimension_column(by: str):
    columns = {
        "priority": Ticket.priority, "category": Ticket.category_id, "group": Ticket.group_id,
        "analyst": Ticket.assignee_id, "channel": Ticket.channel, "type": Ticket.type,
    }
    try:
        return columns[by]
    except KeyError:
        raise ValueError(f"--by: {by!r} is not one of {', '.join(DIMENSIONS)}") from None


def _select_grouped(key, *columns):
    """SELECT key, columns... (key is a constant when there is no breakdown)."""
    key_column = (key if key is not None else literal(ALL)).label("k")
    return select(key_column, *columns)


def _group(stmt, key):
    return stmt.group_by(key) if key is not None else stmt


def _keyed(rows) -> dict:
    return {row[0]: row[1:] for row in rows}


# ===================================================================== results

@dataclass(frozen=True)
class Distribution:
    """A duration distribution in seconds. ``total_seconds`` gives the mean."""

    count: int = 0
    total_seconds: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None

    @property
    def mean_seconds(self) -> float | None:
        return mean(self.total_seconds, self.count)


class _Compliance:
    """The compliance shares of a record with response/resolution due and met counts
    (the period's ``SlaFigures`` and each day's ``DayCompliance``)."""

    response_due: int
    response_met: int
    resolution_due: int
    resolution_met: int

    @property
    def response_compliance(self) -> float | None:
        return share(self.response_met, self.response_due)

    @property
    def resolution_compliance(self) -> float | None:
        return share(self.resolution_met, self.resolution_due)


@dataclass(frozen=True)
class SlaFigures(_Compliance):
    response_due: int = 0
    response_met: int = 0
    resolution_due: int = 0
    resolution_met: int = 0


@dataclass(frozen=True)
class BacklogFigures:
    open: int = 0
    past_sla: int = 0
    aging: tuple[int, ...] = (0, 0, 0, 0)  # AGING_BUCKETS order

    @property
    def past_sla_share(self) -> float | None:
        return share(self.past_sla, self.open)


@dataclass(frozen=True)
class CsatFigures:
    responses: int = 0
    satisfied: int = 0  # answers of 4 or 5
    score_total: int = 0

    @property
    def satisfied_share(self) -> float | None:
        return share(self.satisfied, self.responses)

    @property
    def mean(self) -> float | None:
        return mean(self.score_total, self.responses)


@dataclass(frozen=True)
class RecurrenceFigures:
    resolved_incidents: int = 0
    recurring: int = 0
    gap_seconds_total: int = 0  # sum over recurring incidents of (next creation - resolution)
    window_days: int = DEFAULT_WINDOW_DAYS

    @property
    def rate(self) -> float | None:
        return share(self.recurring, self.resolved_incidents)

    @property
    def mean_hours_between(self) -> float | None:
        return in_hours(mean(self.gap_seconds_total, self.recurring))


@dataclass(frozen=True)
class Figures:
    opened: int = 0
    resolved: int = 0
    first_response: Distribution = Distribution()
    resolution: Distribution = Distribution()
    fcr: int = 0  # resolved tickets that were first contact resolutions
    reopened: int = 0  # resolved tickets reopened at least once
    escalated: int = 0
    reassigned: int = 0
    sla: SlaFigures = SlaFigures()
    backlog: BacklogFigures | None = BacklogFigures()  # None: not computed
    csat: CsatFigures = CsatFigures()
    recurrence: RecurrenceFigures | None = RecurrenceFigures()  # None: not computed

    @property
    def fcr_rate(self) -> float | None:
        return share(self.fcr, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return share(self.reopened, self.resolved)

    @property
    def escalation_rate(self) -> float | None:
        return share(self.escalated, self.resolved)

    @property
    def reassignment_rate(self) -> float | None:
        return share(self.reassigned, self.resolved)


@dataclass(frozen=True)
class TargetFigures:
    """What the default targets compare with (DESIGN.md §2), overall only: first response
    distributions carry count and median, resolution ones count and total (the mean)."""

    first_response_p1_p2: Distribution = Distribution()
    first_response_other: Distribution = Distribution()
    resolution_incident: Distribution = Distribution()
    resolution_request: Distribution = Distribution()


@dataclass(frozen=True)
class BreakdownRow:
    value: Any  # the raw key (priority number, id, name), None for "none"
    label: str | None  # human label; None for "none"
    figures: Figures


@dataclass(frozen=True)
class Report:
    period: Period
    as_of: datetime
    now: datetime
    figures: Figures
    target_figures: TargetFigures
    targets: Targets
    by: str | None = None
    breakdown: tuple[BreakdownRow, ...] = ()


# ===================================================================== queries

def _distribution_query(session: Session, seconds, where: list, key, ps: Sequence[float] = (MEDIAN, P90)) -> dict:
    """{key: Distribution} of a duration in seconds over the rows matching ``where``:
    count, total, median and p90 (one query with percentile_cont on PostgreSQL; on
    SQLite a GROUP BY for counts, then ordered scans for just the ranks needed).
    ``ps``: the percentiles, (median, p90) or () for count and total only."""
    if session.get_bind().dialect.name == "postgresql":
        value = cast(seconds, Float)
        stmt = _group(_select_grouped(key, func.count(), func.sum(seconds),
                                      *(func.percentile_cont(p).within_group(value) for p in ps)).where(*where), key)
        return {
            row[0]: Distribution(_int(row[1]), _int(row[2]), *_spread(ps, [None if v is None else float(v)
                                                                           for v in row[3:]]))
            for row in session.execute(stmt)
        }
    # SQLite: counts and totals by group, then only the ranks the percentiles need.
    totals = {row[0]: (_int(row[1]), _int(row[2])) for row in session.execute(
        _group(_select_grouped(key, func.count(), func.sum(seconds)).where(*where), key))}
    needed = {k: [percentile_positions(p, n) for p in ps] for k, (n, _total) in totals.items() if n}
    sizes = {k: n for k, (n, _total) in totals.items()}
    values = _ranked_values(session, seconds, where, key, needed, sizes) if ps else {}
    return {
        k: Distribution(totals[k][0], totals[k][1], *_spread(ps, [
            interpolate(values[k][lo], values[k][hi], fraction) for lo, hi, fraction in needed[k]]))
        for k in needed
    }


def _spread(ps: Sequence[float], values: list) -> tuple:
    """(median, p90) from the percentiles computed for ``ps``."""
    found = dict(zip(ps, values))
    return found.get(MEDIAN), found.get(P90)


def _ranked_values(session: Session, seconds, where: list, key, needed: dict,
                   sizes: dict) -> dict[Any, dict[int, float]]:
    """{key: {rank: value}} for the ranks in ``needed`` ({key: [(lower, upper, fraction)]});
    ``sizes``: {key: number of values}.

    For a few groups, one ``ORDER BY v LIMIT 2 OFFSET lower`` per group and percentile
    (a top-N sort, the cheapest ordered scan SQLite has; ranks in the upper half are
    counted from the top, ``ORDER BY v DESC``, so the sort keeps fewer rows); for many,
    a single pass of ``row_number()`` per group keeps the rows whose rank some group needs.
    """
    result: dict[Any, dict[int, float]] = {}
    if key is None or sum(len(positions) for positions in needed.values()) <= FEW_RANK_QUERIES:
        for k, positions in needed.items():
            scope = list(where)
            if key is not None:
                scope.append(key.is_(None) if k is None else key == k)
            n = sizes[k]
            for lower, upper, _fraction in positions:
                query = select(seconds.label("v")).where(*scope).limit(upper - lower + 1)
                if 2 * lower < n:
                    got = session.execute(query.order_by(seconds).offset(lower)).scalars().all()
                    ranked_values = {lower + i: v for i, v in enumerate(got)}
                else:  # from the top: rank n - 1 - offset
                    got = session.execute(query.order_by(seconds.desc()).offset(n - 1 - upper)).scalars().all()
                    ranked_values = {upper - i: v for i, v in enumerate(got)}
                result.setdefault(k, {}).update(ranked_values)
        return result
    ranks = sorted({rank for positions in needed.values() for lower, upper, _f in positions for rank in (lower, upper)})
    ranked = select(
        key.label("k"), seconds.label("v"),
        (func.row_number().over(partition_by=[key], order_by=seconds) - 1).label("i"),
    ).where(*where).subquery()
    for k, i, v in session.execute(select(ranked.c.k, ranked.c.i, ranked.c.v).where(ranked.c.i.in_(ranks))):
        result.setdefault(k, {})[i] = v
    return result


def _opened(session: Session, period: Period, key) -> dict:
    stmt = _select_grouped(key, func.count()).where(_in(Ticket.created_at, period.since, period.until))
    return {k: _int(n) for k, n in session.execute(_group(stmt, key))}


def _fcr_condition():
    # Resolved at tier 1 by the first assignee, never escalated, reassigned or reopened.
    return and_(
        Ticket.tier == 1, Ticket.assignee_id == Ticket.first_assignee_id, Ticket.escalation_count == 0,
        Ticket.reassignment_count == 0, Ticket.reopen_count == 0,
    )


def _resolved_counts(session: Session, period: Period, key) -> dict:
    stmt = _select_grouped(
        key,
        _count_if(_fcr_condition()),
        _count_if(Ticket.reopen_count > 0),
        _count_if(Ticket.escalation_count > 0),
        _count_if(Ticket.reassignment_count > 0),
    ).where(_in(Ticket.resolved_at, period.since, period.until))
    return {row[0]: tuple(_int(v) for v in row[1:]) for row in session.execute(_group(stmt, key))}


def _resolution_seconds():
    return epoch(Ticket.resolved_at) - epoch(Ticket.created_at)


def _first_response_seconds():
    return epoch(Ticket.first_response_at) - epoch(Ticket.created_at)


def _resolution(session: Session, period: Period, key, ps: Sequence[float] = (MEDIAN, P90)) -> dict:
    where = [_in(Ticket.resolved_at, period.since, period.until)]
    return _distribution_query(session, _resolution_seconds(), where, key, ps)


def _first_response(session: Session, period: Period, key, ps: Sequence[float] = (MEDIAN, P90)) -> dict:
    where = [_in(Ticket.first_response_at, period.since, period.until)]
    return _distribution_query(session, _first_response_seconds(), where, key, ps)


def _sla(session: Session, period: Period, as_of: datetime, key) -> dict:
    """{key: (response_due, response_met, resolution_due, resolution_met)}.

    A target falls due at its stored due time: the deadline it had when it
    stopped (met), its breach instant (breached), or, for a running target,
    the projected deadline, which is exact because every pause, resume and stop
    refreshes it. A target counts in the period when that instant is in
    [since, min(until, now)); it is met only when its state is "met", so a
    running target whose deadline passed counts as a breach even if the stored
    state was not refreshed yet. Paused targets have no deadline and wait.
    Imported tickets with ``external_made_sla`` use it as their resolution
    outcome (when their resolution target has a due time).
    """
    end = min(period.until, as_of)
    if end <= period.since:
        return {}
    response = _select_grouped(key, func.count(), _count_if(Ticket.response_state == SlaState.MET.value)).where(
        _in(Ticket.response_due_at, period.since, end))
    resolution = _select_grouped(key, func.count(), func.sum(_resolution_met())).where(
        _in(Ticket.resolution_due_at, period.since, end))
    result: dict[Any, list[int]] = {}
    for k, due, met in session.execute(_group(response, key)):
        result.setdefault(k, [0, 0, 0, 0])[0:2] = [_int(due), _int(met)]
    for k, due, met in session.execute(_group(resolution, key)):
        result.setdefault(k, [0, 0, 0, 0])[2:4] = [_int(due), _int(met)]
    return {k: SlaFigures(*v) for k, v in result.items()}


def _resolution_met():
    """1 when the resolution target was met: the imported outcome when there is one, else the state."""
    return case(
        (Ticket.external_made_sla.is_not(None), case((Ticket.external_made_sla, 1), else_=0)),
        (Ticket.resolution_state == SlaState.MET.value, 1),
        else_=0,
    )


def past_sla_condition(now: datetime):
    """An active ticket is past SLA when either target is breached (stored, or a running
    target whose deadline passed since the last refresh)."""
    def breached(state, due):
        return or_(state == SlaState.BREACHED.value, and_(state.in_(_RUNNING), due <= now))

    return or_(breached(Ticket.response_state, Ticket.response_due_at),
               breached(Ticket.resolution_state, Ticket.resolution_due_at))


def at_risk_condition(now: datetime):
    """Not past SLA and at least one target at risk."""
    return and_(~past_sla_condition(now), or_(Ticket.response_state == SlaState.AT_RISK.value,
                                             Ticket.resolution_state == SlaState.AT_RISK.value))


def _backlog(session: Session, now: datetime, key) -> dict:
    buckets = []
    for _name, low_days, high_days in AGING_BUCKETS:
        # age in [low, high): created in (now - high, now - low]
        cond = [Ticket.created_at <= now - timedelta(days=low_days)]
        if high_days is not None:
            cond.append(Ticket.created_at > now - timedelta(days=high_days))
        buckets.append(_count_if(and_(*cond)))
    stmt = _select_grouped(key, func.count(), _count_if(past_sla_condition(now)), *buckets).where(
        Ticket.status.in_(_ACTIVE))
    return {
        row[0]: BacklogFigures(_int(row[1]), _int(row[2]), tuple(_int(v) for v in row[3:]))
        for row in session.execute(_group(stmt, key))
    }


def _csat(session: Session, period: Period, key) -> dict:
    stmt = _select_grouped(key, func.count(), _count_if(Survey.score >= 4), func.sum(Survey.score)).where(
        _in(Survey.created_at, period.since, period.until))
    if key is not None:
        stmt = stmt.join(Ticket, Ticket.id == Survey.ticket_id)
    else:
        stmt = stmt.select_from(Survey)
    return {k: CsatFigures(_int(n), _int(sat), _int(total)) for k, n, sat, total in session.execute(_group(stmt, key))}


def _next_recurrence():
    """The creation time of the next incident with the same recurrence key after this
    ticket's resolution: the CI when it has one, else requester + category."""
    other = aliased(Ticket)
    common = [other.type == TicketType.INCIDENT.value, other.created_at > Ticket.resolved_at]
    by_ci = select(func.min(other.created_at)).where(other.ci == Ticket.ci, *common).scalar_subquery()
    by_requester = select(func.min(other.created_at)).where(
        other.ci == "", other.requester_id == Ticket.requester_id, other.category_id == Ticket.category_id, *common,
    ).scalar_subquery()
    return case((Ticket.ci != "", by_ci), else_=by_requester)


def _recurrence_rows(period: Period, key, *extra_columns):
    """One row per incident resolved in the period, with k, resolved_at and next_at.

    A MATERIALIZED common table expression, so the correlated subqueries run once
    per incident instead of once per use of ``next_at`` in the outer query.
    """
    key_column = (key if key is not None else literal(ALL)).label("k")
    rows = select(key_column, Ticket.resolved_at.label("resolved_at"), _next_recurrence().label("next_at"),
                  *extra_columns).where(
        Ticket.type == TicketType.INCIDENT.value, _in(Ticket.resolved_at, period.since, period.until),
    ).cte("recurrences").prefix_with("MATERIALIZED", dialect="postgresql")
    if sqlite3.sqlite_version_info >= (3, 35):  # MATERIALIZED is new in SQLite 3.35
        rows = rows.prefix_with("MATERIALIZED", dialect="sqlite")
    return rows


def _recurs(rows, window_days: int):
    gap = epoch(rows.c.next_at) - epoch(rows.c.resolved_at)
    return gap, and_(rows.c.next_at.is_not(None), gap <= window_days * DAY_SECONDS)


def _recurrence(session: Session, period: Period, key, window_days: int) -> dict:
    rows = _recurrence_rows(period, key)
    gap, recurs = _recurs(rows, window_days)
    stmt = select(rows.c.k, func.count(), _count_if(recurs), func.sum(case((recurs, gap), else_=0))).group_by(rows.c.k)
    return {
        k: RecurrenceFigures(_int(n), _int(rec), _int(total), window_days)
        for k, n, rec, total in session.execute(stmt)
    }


def recurrence_figures(session: Session, period: Period, window_days: int = DEFAULT_WINDOW_DAYS) -> RecurrenceFigures:
    return _recurrence(session, period, None, window_days).get(ALL, RecurrenceFigures(window_days=window_days))


def _figures(session: Session, period: Period, as_of: datetime, now: datetime, key, window_days: int, *,
             percentiles: bool = True, recurrence: bool = True, backlog: bool = True) -> dict:
    """Every figure by key. The flags leave out the costlier parts a caller does not show:
    medians and p90s (distributions keep count and total), recurrence and backlog (None)."""
    ps = (MEDIAN, P90) if percentiles else ()
    opened = _opened(session, period, key)
    counts = _resolved_counts(session, period, key)
    resolution = _resolution(session, period, key, ps)
    first_response = _first_response(session, period, key, ps)
    sla = _sla(session, period, as_of, key)
    open_now = _backlog(session, now, key) if backlog else {}
    csat = _csat(session, period, key)
    recurring = _recurrence(session, period, key, window_days) if recurrence else {}
    keys = (set(opened) | set(counts) | set(first_response) | set(sla) | set(open_now) | set(csat)
            | set(recurring))
    result = {}
    for k in keys:
        fcr, reopened, escalated, reassigned = counts.get(k, (0, 0, 0, 0))
        dist = resolution.get(k, Distribution())
        result[k] = Figures(
            opened=opened.get(k, 0), resolved=dist.count, first_response=first_response.get(k, Distribution()),
            resolution=dist, fcr=fcr, reopened=reopened, escalated=escalated, reassigned=reassigned,
            sla=sla.get(k, SlaFigures()),
            backlog=open_now.get(k, BacklogFigures()) if backlog else None,
            csat=csat.get(k, CsatFigures()),
            recurrence=recurring.get(k, RecurrenceFigures(window_days=window_days)) if recurrence else None,
        )
    return result


def figures(session: Session, period: Period, *, now: datetime | None = None,
            window_days: int = DEFAULT_WINDOW_DAYS, **parts: bool) -> Figures:
    """Every figure over the period, no breakdown (``parts``: see ``_figures``)."""
    now = now or clock.now()
    found = _figures(session, period, min(period.until, now), now, None, window_days, **parts)
    if ALL in found:
        return found[ALL]
    return Figures(backlog=BacklogFigures() if parts.get("backlog", True) else None,
                   recurrence=RecurrenceFigures(window_days=window_days) if parts.get("recurrence", True) else None)


def target_figures(session: Session, period: Period) -> TargetFigures:
    """What the targets compare with: the median first response of P1-P2 and of P3-P4,
    the mean resolution time of incidents and of requests (p90s are not needed)."""
    first = _first_response(session, period, case((Ticket.priority <= 2, 1), else_=0), (MEDIAN,))
    resolution = _resolution(session, period, Ticket.type, ())
    return TargetFigures(first.get(1, Distribution()), first.get(0, Distribution()),
                         resolution.get(TicketType.INCIDENT.value, Distribution()),
                         resolution.get(TicketType.REQUEST.value, Distribution()))


def labels(session: Session, by: str, values: Iterable) -> dict:
    """Human labels for breakdown values (None stays None: "no category", "unassigned")."""
    values = [v for v in values if v is not None]
    if by == "priority":
        return {v: f"P{v}" for v in values}
    if by in ("channel", "type"):
        return {v: str(v) for v in values}
    table, column = {"category": (Category, Category.path), "group": (Group, Group.name),
                     "analyst": (Analyst, Analyst.username)}[by]
    if not values:
        return {}
    return dict(session.execute(select(table.id, column).where(table.id.in_(values))).all())


def _sort_key(by: str, row: BreakdownRow):
    if by == "priority":
        return (row.value is None, row.value or 0)
    return (row.label is None, (row.label or "").lower())


def breakdown(session: Session, period: Period, by: str, *, now: datetime | None = None,
              window_days: int = DEFAULT_WINDOW_DAYS, **parts: bool) -> tuple[BreakdownRow, ...]:
    """One row of figures per value of ``by`` (``parts``: see ``_figures``)."""
    now = now or clock.now()
    key = dimension_column(by)
    grouped = _figures(session, period, min(period.until, now), now, key, window_days, **parts)
    names = labels(session, by, grouped)
    rows = [BreakdownRow(k, names.get(k, None if k is None else str(k)), f) for k, f in grouped.items()]
    return tuple(sorted(rows, key=lambda row: _sort_key(by, row)))


def build_report(engine: Engine, period: Period, *, by: str | None = None, now: datetime | None = None,
                 targets: Targets | None = None, window_days: int = DEFAULT_WINDOW_DAYS, parallel: bool = True,
                 **parts: bool) -> Report:
    """The whole report. ``parts`` leave out what a caller does not show (see ``_figures``);
    the CLI shows everything.

    The independent query groups (the figures, recurrence, the target figures, the
    breakdown) run on two connections at once: both engines execute SQL without the GIL,
    so a 2-core machine answers in about half the time. Each group is one read
    transaction; groups may see writes committed between them (a report is a reading of
    a live desk, not an audit).
    """
    if by is not None:
        dimension_column(by)  # validate before touching the database
    now = now or clock.now()
    want_recurrence = parts.pop("recurrence", True)
    tasks = {"figures": lambda s: figures(s, period, now=now, window_days=window_days, recurrence=False, **parts)}
    if by:
        tasks["breakdown"] = lambda s: breakdown(s, period, by, now=now, window_days=window_days)
    elif want_recurrence:
        tasks["recurrence"] = lambda s: recurrence_figures(s, period, window_days)
    tasks["targets"] = lambda s: target_figures(s, period)
    done = _run_read_tasks(engine, tasks, workers=2 if parallel else 1)
    recurrence = done.get("recurrence")
    if by and want_recurrence:
        # Every incident is in exactly one breakdown row, so the rows' recurrence sums to
        # the overall one: the costly correlated query is not run a second time.
        rows = [row.figures.recurrence for row in done["breakdown"]]
        recurrence = RecurrenceFigures(sum(r.resolved_incidents for r in rows), sum(r.recurring for r in rows),
                                       sum(r.gap_seconds_total for r in rows), window_days)
    overall = replace(done["figures"], recurrence=recurrence)
    return Report(period=period, as_of=min(period.until, now), now=now, figures=overall,
                  target_figures=done["targets"], targets=targets or Targets(), by=by,
                  breakdown=done.get("breakdown", ()))


def _run_read_tasks(engine: Engine, tasks: dict, workers: int) -> dict:
    """{name: task(session)}, each task in its own read transaction; ``workers`` at a time."""
    def run(task):
        with session_scope(engine) as session:
            return task(session)

    in_memory = engine.dialect.name == "sqlite" and (engine.url.database or ":memory:") == ":memory:"
    if workers <= 1 or in_memory or len(tasks) == 1:
        return {name: run(task) for name, task in tasks.items()}
    from concurrent.futures import ThreadPoolExecutor

    # The two biggest groups (figures, then recurrence or the breakdown) start together; the rest follow.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deskui-metrics") as pool:
        futures = {name: pool.submit(run, task) for name, task in tasks.items()}
        return {name: future.result() for name, future in futures.items()}


# ===================================================================== the desk's time zone

def desk_timezone(session: Session) -> str:
    """The time zone days and hours are counted in: the calendar used by the most SLA
    policies (ties: the lowest calendar id), else UTC. ``timezone`` in config.toml wins
    (see ``deskui.services`` callers)."""
    row = session.execute(
        select(Calendar.timezone, func.count(SlaPolicy.id).label("uses"))
        .join(SlaPolicy, SlaPolicy.calendar_id == Calendar.id)
        .group_by(Calendar.id, Calendar.timezone)
        .order_by(func.count(SlaPolicy.id).desc(), Calendar.id)
        .limit(1)
    ).first()
    return row[0] if row else "UTC"


# ===================================================================== series for the screen

@dataclass(frozen=True)
class DayVolume:
    day: date
    opened: int
    resolved: int


@dataclass(frozen=True)
class DayCompliance(_Compliance):
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


# ===================================================================== the wallboard

@dataclass(frozen=True)
class GroupLoad:
    group: str | None
    open: int
    unassigned: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class AnalystLoad:
    username: str
    name: str
    open: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class Breach:
    id: int
    priority: int
    subject: str
    group: str | None
    assignee: str | None
    breached_at: datetime | None  # the earlier breached target's deadline


@dataclass(frozen=True)
class Wallboard:
    now: datetime
    open: int
    at_risk: int
    breached: int
    unassigned: int
    groups: tuple[GroupLoad, ...]
    analysts: tuple[AnalystLoad, ...]
    oldest_breaches: tuple[Breach, ...]
    marker: int  # max(ticket_events.id): changes whenever anything changes


def change_marker(session: Session) -> int:
    """One cheap question for live refresh: the newest event id."""
    return _int(session.execute(select(func.max(TicketEvent.id))).scalar())


def wallboard(session: Session, *, now: datetime | None = None, breaches: int = 10,
              analysts: int = 12) -> Wallboard:
    """Live counts over active tickets: by group, by analyst, and the oldest breaches."""
    now = now or clock.now()
    past = past_sla_condition(now)
    risk = at_risk_condition(now)
    active = Ticket.status.in_(_ACTIVE)
    group_rows = session.execute(
        select(Group.name, func.count(), _count_if(Ticket.assignee_id.is_(None)), _count_if(risk), _count_if(past))
        .select_from(Ticket).outerjoin(Group, Group.id == Ticket.group_id).where(active)
        .group_by(Group.name).order_by(_count_if(past).desc(), func.count().desc(), Group.name)
    ).all()
    groups = tuple(GroupLoad(name, _int(n), _int(u), _int(r), _int(b)) for name, n, u, r, b in group_rows)
    analyst_rows = session.execute(
        select(Analyst.username, Analyst.name, func.count(), _count_if(risk), _count_if(past))
        .select_from(Ticket).join(Analyst, Analyst.id == Ticket.assignee_id).where(active)
        .group_by(Analyst.username, Analyst.name).order_by(func.count().desc(), Analyst.username).limit(analysts)
    ).all()
    loads = tuple(AnalystLoad(u, name, _int(n), _int(r), _int(b)) for u, name, n, r, b in analyst_rows)
    # The breach instant of a target is its due time; the earlier breached one counts.
    def breach_at(state, due):
        return case((or_(state == SlaState.BREACHED.value, and_(state.in_(_RUNNING), due <= now)), due), else_=None)

    response_at = breach_at(Ticket.response_state, Ticket.response_due_at)
    resolution_at = breach_at(Ticket.resolution_state, Ticket.resolution_due_at)
    first_breach = case(
        (response_at.is_(None), resolution_at),
        (resolution_at.is_(None), response_at),
        (response_at <= resolution_at, response_at),
        else_=resolution_at,
    )
    assignee = aliased(Analyst)
    breach_rows = session.execute(
        select(Ticket.id, Ticket.priority, Ticket.subject, Group.name, assignee.username, first_breach.label("b"))
        .outerjoin(Group, Group.id == Ticket.group_id).outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(active, past).order_by(first_breach.is_(None), first_breach, Ticket.id).limit(breaches)
    ).all()
    # Every active ticket is in exactly one group row (no group: None), so the rows sum to the totals.
    return Wallboard(
        now=now, open=sum(g.open for g in groups), at_risk=sum(g.at_risk for g in groups),
        breached=sum(g.breached for g in groups), unassigned=sum(g.unassigned for g in groups),
        groups=groups, analysts=loads,
        oldest_breaches=tuple(Breach(*row) for row in breach_rows), marker=change_marker(session),
    )


# ===================================================================== KPIs and JSON

@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    target: float | None
    better: str  # HIGHER or LOWER
    unit: str  # "%", "min", "h", "", "/5"
    status: str  # good | near | bad | none (deskui.domain.metrics.assess)


def in_minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def in_hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def kpis(f: Figures, tf: TargetFigures, targets: Targets) -> list[Kpi]:
    """The KPI tiles: each with its value, target and status against the target."""
    rows = [
        ("fcr_rate", "First contact resolution", f.fcr_rate, targets.fcr_rate, HIGHER, "%"),
        ("first_response_minutes_p1_p2", "First response P1-P2 (median)",
         in_minutes(tf.first_response_p1_p2.median_seconds), targets.first_response_minutes_p1_p2, LOWER, "min"),
        ("first_response_minutes_other", "First response P3-P4 (median)",
         in_minutes(tf.first_response_other.median_seconds), targets.first_response_minutes_other, LOWER, "min"),
        ("mttr_hours_incident", "MTTR incidents (mean)", in_hours(tf.resolution_incident.mean_seconds),
         targets.mttr_hours_incident, LOWER, "h"),
        ("mttr_hours_request", "MTTR requests (mean)", in_hours(tf.resolution_request.mean_seconds),
         targets.mttr_hours_request, LOWER, "h"),
        ("sla_response_compliance", "SLA response", f.sla.response_compliance, targets.sla_compliance, HIGHER, "%"),
        ("sla_resolution_compliance", "SLA resolution", f.sla.resolution_compliance, targets.sla_compliance,
         HIGHER, "%"),
        ("csat_satisfied_share", "CSAT (4-5)", f.csat.satisfied_share, targets.csat_satisfied_share, HIGHER, "%"),
        ("backlog_past_sla_share", "Backlog past SLA", f.backlog.past_sla_share if f.backlog else None,
         targets.backlog_past_sla_share, LOWER, "%"),
    ]
    return [Kpi(key, label, value, target, better, unit, assess(value, target, better))
            for key, label, value, target, better, unit in rows]


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def figures_dict(f: Figures) -> dict:
    """The stable JSON shape of a set of figures (documented in docs/metrics.md)."""
    backlog = f.backlog or BacklogFigures()  # None: not computed (callers that skip it)
    recurrence = f.recurrence or RecurrenceFigures()
    aging = {name: count for (name, _lo, _hi), count in zip(AGING_BUCKETS, backlog.aging)}
    return {
        "tickets_opened": f.opened,
        "tickets_resolved": f.resolved,
        "first_response_minutes": {
            "responses": f.first_response.count,
            "median": _r(in_minutes(f.first_response.median_seconds), 3),
            "p90": _r(in_minutes(f.first_response.p90_seconds), 3),
        },
        "resolution_hours": {
            "resolved": f.resolution.count,
            "mean": _r(in_hours(f.resolution.mean_seconds), 3),
            "median": _r(in_hours(f.resolution.median_seconds), 3),
            "p90": _r(in_hours(f.resolution.p90_seconds), 3),
        },
        "fcr_rate": _r(f.fcr_rate, 4),
        "reopen_rate": _r(f.reopen_rate, 4),
        "escalation_rate": _r(f.escalation_rate, 4),
        "reassignment_rate": _r(f.reassignment_rate, 4),
        "sla": {
            "response_compliance": _r(f.sla.response_compliance, 4),
            "resolution_compliance": _r(f.sla.resolution_compliance, 4),
            "response_due": f.sla.response_due,
            "response_met": f.sla.response_met,
            "resolution_due": f.sla.resolution_due,
            "resolution_met": f.sla.resolution_met,
        },
        "backlog": {
            "open": backlog.open,
            "past_sla": backlog.past_sla,
            "past_sla_share": _r(backlog.past_sla_share, 4),
            "aging": aging,
        },
        "csat": {
            "responses": f.csat.responses,
            "satisfied_share": _r(f.csat.satisfied_share, 4),
            "mean": _r(f.csat.mean, 3),
        },
        "recurrence": {
            "resolved_incidents": recurrence.resolved_incidents,
            "recurring": recurrence.recurring,
            "rate": _r(recurrence.rate, 4),
            "mean_hours_between": _r(recurrence.mean_hours_between, 3),
            "window_days": recurrence.window_days,
        },
    }


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds") + "Z"


def report_dict(report: Report) -> dict:
    p = report.period
    result = {
        "period": {
            "since": _iso(p.since), "until": _iso(p.until), "first_day": p.first_day.isoformat(),
            "last_day": p.last_day.isoformat(), "timezone": p.timezone, "as_of": _iso(report.as_of),
        },
        **figures_dict(report.figures),
        "kpis": {
            k.key: {"value": _r(k.value, 4), "target": k.target, "status": k.status}
            for k in kpis(report.figures, report.target_figures, report.targets)
        },
    }
    if report.by:
        result["by"] = report.by
        result["breakdown"] = [
            {"value": row.label, **figures_dict(row.figures)} for row in report.breakdown
        ]
    return result


def flatten(data: Mapping, prefix: str = "") -> dict:
    """{"a": {"b": 1}} -> {"a.b": 1} for CSV columns."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out
