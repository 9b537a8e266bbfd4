"""Metrics as `deskui report` and the metrics screen read them: the report of
a period (overall, and per breakdown value), the screen's daily series and
heatmap, recurrence, and the desk's time zone. One assembly for both: the
figures come from deskui.store.metrics, their meaning from docs/metrics.md,
and their presentation (KPIs, JSON) from deskui.domain.report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.metrics import Period, Targets, choose_period
from deskui.domain.report import (
    DEFAULT_WINDOW_DAYS, DIMENSIONS, BreakdownRow, Figures, Kpi, RecurrenceFigures, Report, flatten, in_hours,
    in_minutes, kpis, report_dict,
)
from deskui.errors import UsageError, ValidationError
from deskui.store import metrics as m
from deskui.store import metrics_series as series
from deskui.store.db import session_scope
from deskui.store.metrics_series import DayCompliance, DayVolume, RecurringKey, RecurringTicket

__all__ = [
    "DEFAULT_WINDOW_DAYS", "DIMENSIONS", "BreakdownRow", "Charts", "DayCompliance", "DayVolume", "Figures", "Kpi",
    "RecurrenceFigures", "RecurringKey", "RecurringTicket", "Report", "breakdown", "charts", "desk_timezone",
    "flatten", "in_hours", "in_minutes", "kpis", "recurrence", "recurring_keys", "report", "report_dict",
    "report_for",
]


def desk_timezone(engine: Engine) -> str:
    """The zone days are counted in (the calendar most SLA policies use, else UTC)."""
    with session_scope(engine) as session:
        return m.desk_timezone(session)


def report(engine: Engine, period: Period, *, by: str | None = None, now: datetime | None = None,
           targets: Targets | None = None, window_days: int = DEFAULT_WINDOW_DAYS, **parts: bool) -> Report:
    """The report of ``period`` (``parts``: leave out percentiles, recurrence or the
    backlog where a caller does not show them; the command shows everything)."""
    if by is not None and by not in DIMENSIONS:
        raise ValidationError(f"--by: {by!r} is not one of {', '.join(DIMENSIONS)}")
    return m.build_report(engine, period, by=by, now=now, targets=targets, window_days=window_days, **parts)


def report_for(engine: Engine, since: str | None, until: str | None, *, timezone: str | None, default_days: int,
               by: str | None = None, targets: Targets | None = None,
               window_days: int = DEFAULT_WINDOW_DAYS) -> Report:
    """`deskui report --since --until`: the period chosen the documented way
    (the last ``default_days`` days, today included, by default) in the
    configured zone or the desk's. A bad --by, --since or --until is a UsageError."""
    if by is not None and by not in DIMENSIONS:
        raise UsageError("--by", f"{by!r} is not one of {', '.join(DIMENSIONS)}")
    now = clock.now()
    try:
        period = choose_period(since, until, now, timezone or desk_timezone(engine), default_days)
    except ValueError as exc:
        raise UsageError.from_message(str(exc)) from None
    return report(engine, period, by=by, now=now, targets=targets, window_days=window_days)


@dataclass(frozen=True)
class Charts:
    """The metrics screen's charts of a period."""

    volume: tuple[DayVolume, ...]
    compliance: tuple[DayCompliance, ...]
    heatmap: tuple[tuple[int, ...], ...]  # weekday (Mon=0) x hour


def charts(engine: Engine, period: Period, *, now: datetime | None = None) -> Charts:
    with session_scope(engine) as session:
        return Charts(tuple(series.volume_per_day(session, period)),
                      tuple(series.compliance_per_day(session, period, now=now)),
                      series.arrivals_heatmap(session, period))


def recurrence(engine: Engine, period: Period, window_days: int = DEFAULT_WINDOW_DAYS) -> RecurrenceFigures:
    with session_scope(engine) as session:
        return m.recurrence_figures(session, period, window_days)


def breakdown(engine: Engine, period: Period, by: str, *, now: datetime | None = None,
              window_days: int = DEFAULT_WINDOW_DAYS, percentiles: bool = True) -> list[BreakdownRow]:
    with session_scope(engine) as session:
        return m.breakdown(session, period, by, now=now, window_days=window_days, percentiles=percentiles)


def recurring_keys(engine: Engine, period: Period, *, window_days: int = DEFAULT_WINDOW_DAYS,
                   limit: int = 8) -> list[RecurringKey]:
    with session_scope(engine) as session:
        return series.top_recurring_keys(session, period, limit=limit, window_days=window_days)
