"""What a metrics report holds, and how it is shown: the figures of a period
(and of each breakdown row), the KPIs against their targets, and the stable
JSON shape of docs/metrics.md. Pure values: the store computes them
(deskui.store.metrics), the report command and the metrics screen show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from deskui.domain.metrics import AGING_BUCKETS, HIGHER, LOWER, Period, Targets, assess, mean, share

DIMENSIONS = ("priority", "category", "group", "analyst", "channel", "type")
DEFAULT_WINDOW_DAYS = 30


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


class Compliance:
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
class SlaFigures(Compliance):
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
    opened: int = 0  # every ticket created in the period, cancelled ones included
    resolved: int = 0
    cancelled: int = 0  # of the opened, those now cancelled
    resolution_unknown: int = 0  # of the resolved, those without a known resolution time (not in durations)
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
        "tickets_cancelled": f.cancelled,
        "first_response_minutes": {
            "responses": f.first_response.count,
            "median": _r(in_minutes(f.first_response.median_seconds), 3),
            "p90": _r(in_minutes(f.first_response.p90_seconds), 3),
        },
        "resolution_hours": {
            "resolved": f.resolution.count,
            "unknown": f.resolution_unknown,
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
