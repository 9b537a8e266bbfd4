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
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import (
    Column, Float, and_, case, cast, func, literal, literal_column, or_, select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES, SlaState, Status, TicketType
from deskui.domain.metrics import (
    AGING_BUCKETS, DAY_SECONDS, MEDIAN, P90, Period, Targets, interpolate,
    percentile_positions,
)
from deskui.domain.report import (
    DEFAULT_WINDOW_DAYS, DIMENSIONS, BacklogFigures, BreakdownRow, CsatFigures, Distribution, Figures,
    RecurrenceFigures, Report, SlaFigures, TargetFigures,
)
from deskui.store.db import session_scope
from deskui.store.epoch import epoch  # noqa: F401 (metrics_series and wallboard import it from here)
from deskui.store.sla_live import any_breached, ticket_state_is
from deskui.store.models import Analyst, Calendar, Category, Group, SlaPolicy, Survey, Ticket

_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
ALL = "__all__"  # the key of the single group when there is no breakdown


# ===================================================================== SQL helpers

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


# ===================================================================== queries

def _distribution_query(session: Session, seconds, where: list, key, ps: Sequence[float] = (MEDIAN, P90),
                        rank_where: list | None = None) -> dict:
    """{key: Distribution} of a duration in seconds (a generated column of ``tickets``)
    over the rows matching ``where``: count, total, median and p90.

    PostgreSQL: one query with ``percentile_cont``. SQLite: counts and totals from the
    period's covering index, then the ranks each percentile needs from ordered walks of
    the duration's own index (no sort; ``rank_where`` is ``where`` with the period
    column kept out of index choice, so SQLite walks the duration index). Exact: the
    same two ranks and float formula as ``percentile_cont``.
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
    totals = {row[0]: (_int(row[1]), _int(row[2])) for row in session.execute(
        _group(_select_grouped(key, func.count(), func.sum(seconds)).where(*where), key)) if row[1]}
    if not ps:
        return {k: Distribution(n, total) for k, (n, total) in totals.items()}
    needed = {k: [percentile_positions(p, n) for p in ps] for k, (n, _total) in totals.items()}
    scope = rank_where if rank_where is not None else where
    # One short walk per group and percentile: a single merged walk in Python over every
    # group's values (or fetching them all) measured 2-3x slower at a million tickets.
    values = {k: _ranks(session, seconds, scope, key, k, positions, totals[k][0]) for k, positions in needed.items()}
    return {
        k: Distribution(n, total, *_spread(ps, [
            interpolate(values[k][lo], values[k][hi], fraction) for lo, hi, fraction in needed[k]]))
        for k, (n, total) in totals.items()
    }


def _unindexed_key(key):
    """A breakdown column kept out of index choice (it has indexes of its own; the rank
    walks must use the duration's index); an expression key stays as it is."""
    column = getattr(key, "expression", key)  # Ticket.group_id -> its Column
    return _unindexed(column) if isinstance(column, Column) else key


def _ranks(session: Session, seconds, where: list, key, k, positions: list, n: int) -> dict[int, Any]:
    """{rank: value} for the (lower, upper, fraction) ``positions`` of group ``k`` (n values):
    one ``ORDER BY seconds LIMIT 2 OFFSET lower`` each, an ordered walk of the duration's
    index that stops at the rank (no sort); a rank in the upper half is counted from the
    top (``DESC``), so the walk is short for a p90."""
    scope = list(where)
    if key is not None:
        keyed = _unindexed_key(key)
        scope.append(keyed.is_(None) if k is None else keyed == k)
    result: dict[int, Any] = {}
    for lower, upper, _fraction in positions:
        query = select(seconds).where(*scope).limit(upper - lower + 1)
        if 2 * lower < n:
            got = session.execute(query.order_by(seconds).offset(lower)).scalars().all()
            result.update({lower + i: v for i, v in enumerate(got)})
        else:
            got = session.execute(query.order_by(seconds.desc()).offset(n - 1 - upper)).scalars().all()
            result.update({upper - i: v for i, v in enumerate(got)})
    return result


def _spread(ps: Sequence[float], values: list) -> tuple:
    """(median, p90) from the percentiles computed for ``ps``."""
    found = dict(zip(ps, values))
    return found.get(MEDIAN), found.get(P90)


def _unindexed(column):
    """``+column`` on SQLite: the same value, but not a candidate for index choice, so a
    rank scan walks the duration's index instead of the period's."""
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _opened(session: Session, period: Period, key) -> dict:
    """{key: (opened, of which now cancelled)}: every ticket created in the period counts as opened."""
    stmt = _select_grouped(key, func.count(), _count_if(_cancelled())).where(
        _in(Ticket.created_at, period.since, period.until))
    return {k: (_int(n), _int(c)) for k, n, c in session.execute(_group(stmt, key))}


def _cancelled():
    return Ticket.status == Status.CANCELLED.value


def _counted_target(state):
    """Whether a target with a due time counts in compliance: every target, except
    those of a cancelled ticket, which are neither met nor breached, unless one had
    already breached before the cancellation (cancelling cannot hide a miss)."""
    return or_(~_cancelled(), state == SlaState.BREACHED.value)


def _fcr_condition():
    # Resolved at tier 1 by the first assignee, never escalated, reassigned or reopened.
    return and_(
        Ticket.tier == 1, Ticket.assignee_id == Ticket.first_assignee_id, Ticket.escalation_count == 0,
        Ticket.reassignment_count == 0, Ticket.reopen_count == 0,
    )


def _resolved_counts(session: Session, period: Period, key) -> dict:
    """{key: (resolved, of which with an unknown resolution time, fcr, reopened, escalated, reassigned)}."""
    stmt = _select_grouped(
        key,
        func.count(),
        _count_if(Ticket.resolution_time_unknown),
        _count_if(_fcr_condition()),
        _count_if(Ticket.reopen_count > 0),
        _count_if(Ticket.escalation_count > 0),
        _count_if(Ticket.reassignment_count > 0),
    ).where(_in(Ticket.resolved_at, period.since, period.until))
    return {row[0]: tuple(_int(v) for v in row[1:]) for row in session.execute(_group(stmt, key))}


def _resolution_seconds():
    """created -> resolved in whole seconds: the generated column (migration 0011)."""
    return Ticket.__table__.c.resolution_seconds


def _first_response_seconds():
    """created -> first response in whole seconds: the generated column (migration 0011)."""
    return Ticket.__table__.c.first_response_seconds


def _resolution(session: Session, period: Period, key, ps: Sequence[float] = (MEDIAN, P90)) -> dict:
    # A ticket resolved without a known resolution time (an import) has no duration.
    known = Ticket.resolution_time_unknown.is_(False)
    where = [_in(Ticket.resolved_at, period.since, period.until), known]
    ranks = [_in(_unindexed(Ticket.resolved_at), period.since, period.until), known]
    return _distribution_query(session, _resolution_seconds(), where, key, ps, ranks)


def _first_response(session: Session, period: Period, key, ps: Sequence[float] = (MEDIAN, P90)) -> dict:
    # A cancelled ticket is out of the first-response figures (issue 19: most are
    # duplicates and mistakes, answered or not, not a measure of the desk's speed).
    where = [_in(Ticket.first_response_at, period.since, period.until), ~_cancelled()]
    ranks = [_in(_unindexed(Ticket.first_response_at), period.since, period.until), ~_cancelled()]
    return _distribution_query(session, _first_response_seconds(), where, key, ps, ranks)


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
        _in(Ticket.response_due_at, period.since, end), _counted_target(Ticket.response_state))
    resolution = _select_grouped(key, func.count(), func.sum(_resolution_met())).where(
        _in(Ticket.resolution_due_at, period.since, end), _counted_target(Ticket.resolution_state))
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
    """Either target breached: stored, or a running target whose deadline passed
    since the last refresh (deskui.store.sla_live, the queue's rule)."""
    return any_breached(now, Ticket.__table__.c)


def at_risk_condition(now: datetime):
    """An active ticket at risk now, by the queue's rule (not breached, a target
    stored at risk or past its warning time)."""
    return ticket_state_is(SlaState.AT_RISK, now, Ticket.__table__.c)


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
    # A cancelled incident (a duplicate, a mistake) is no recurrence.
    common = [other.type == TicketType.INCIDENT.value, other.created_at > Ticket.resolved_at,
              other.status != Status.CANCELLED.value]
    # ORDER BY created_at LIMIT 1, not min(): the seek stops at the first incident that
    # is not cancelled instead of reading every later one with the same key (issue 17.1).
    by_ci = select(other.created_at).where(other.ci == Ticket.ci, *common).order_by(
        other.created_at).limit(1).scalar_subquery()
    by_requester = select(other.created_at).where(
        other.ci == "", other.requester_id == Ticket.requester_id, other.category_id == Ticket.category_id, *common,
    ).order_by(other.created_at).limit(1).scalar_subquery()
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
        resolved, unknown, fcr, reopened, escalated, reassigned = counts.get(k, (0, 0, 0, 0, 0, 0))
        dist = resolution.get(k, Distribution())
        result[k] = Figures(
            opened=opened.get(k, (0, 0))[0], cancelled=opened.get(k, (0, 0))[1], resolved=resolved,
            resolution_unknown=unknown, first_response=first_response.get(k, Distribution()),
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
