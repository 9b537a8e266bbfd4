"""Metric formulas, targets and period maths (DESIGN.md §2 Metrics). Pure: no I/O.

The SQL that counts lives in ``deskui.store.metrics``; this module holds what is
the same whatever the database: how a percentile interpolates, which way a KPI
is good, how a period of local days becomes UTC instants, and how UTC instants
become local wall-clock time (as a short table of UTC offsets the SQL applies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1)
DAY_SECONDS = 86_400

# --------------------------------------------------------------------- percentiles

MEDIAN = 0.5
P90 = 0.9


def percentile_positions(p: float, n: int) -> tuple[int, int, float]:
    """(lower index, upper index, fraction) of the p-quantile of n sorted values.

    Linear interpolation between closest ranks, PostgreSQL's ``percentile_cont``
    (also R type 7, Excel PERCENTILE.INC): h = p * (n - 1) in double precision,
    lower = floor(h), upper = ceil(h), fraction = h - lower.
    """
    if n <= 0:
        raise ValueError("percentile of no values")
    h = p * (n - 1)
    lower = math.floor(h)
    return lower, math.ceil(h), h - lower


def interpolate(lower_value: float, upper_value: float, fraction: float) -> float:
    """The same float arithmetic as PostgreSQL's float8_lerp, so both engines agree bit for bit."""
    lower_value, upper_value = float(lower_value), float(upper_value)
    return lower_value + fraction * (upper_value - lower_value)


def percentile(sorted_values, p: float) -> float | None:
    """Reference implementation over an in-memory sorted list (tests, tiny inputs)."""
    n = len(sorted_values)
    if n == 0:
        return None
    lower, upper, fraction = percentile_positions(p, n)
    return interpolate(sorted_values[lower], sorted_values[upper], fraction)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (an empty period)."""
    return part / whole if whole else None


def mean(total: float, count: int) -> float | None:
    return total / count if count else None


# --------------------------------------------------------------------- targets

HIGHER, LOWER = "higher", "lower"  # which way is better


@dataclass(frozen=True)
class Targets:
    """Default targets shown beside each KPI (DESIGN.md §2); ``[targets]`` in config.toml overrides.

    Shares are fractions (0.70); a value above 1 for a share is read as a
    percentage (70 -> 0.70). Durations are in the unit the name says.
    """

    fcr_rate: float = 0.70
    first_response_minutes_p1_p2: float = 30.0  # median, P1 and P2 tickets
    first_response_minutes_other: float = 240.0  # median, P3 and P4 tickets
    mttr_hours_incident: float = 8.0  # mean resolution time, incidents
    mttr_hours_request: float = 72.0  # mean resolution time, service requests (3 days)
    sla_compliance: float = 0.95  # response and resolution alike
    csat_satisfied_share: float = 0.85
    backlog_past_sla_share: float = 0.05

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None) -> "Targets":
        allowed_keys = [f.name for f in fields(cls)]
        given: dict[str, float] = {}
        for key, raw in (values or {}).items():
            if key not in allowed_keys:
                raise ValueError(f"targets: unknown key {key!r}; allowed: {', '.join(allowed_keys)}")
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0 or math.isnan(raw):
                raise ValueError(f"targets.{key}: {raw!r} is not a number >= 0")
            value = float(raw)
            if key in SHARE_TARGETS and value > 1:
                if value > 100:
                    raise ValueError(f"targets.{key}: {raw!r} is not a share (0-1) or a percentage (0-100)")
                value /= 100
            given[key] = value
        return cls(**given)


SHARE_TARGETS = frozenset({"fcr_rate", "sla_compliance", "csat_satisfied_share", "backlog_past_sla_share"})

GOOD, NEAR, BAD, NONE = "good", "near", "bad", "none"
# Missing a target by less than this share of it is "near" (amber), not "bad" (red).
NEAR_MARGIN = 0.10


def assess(value: float | None, target: float | None, better: str) -> str:
    """good (target met), near (missed by < 10% of the target), bad, or none (no value).

    "Met" is inclusive for higher-is-better targets (95% meets 95%) and strict for
    lower-is-better ones (the targets read "< 30 min"): 30 min does not meet "< 30 min".
    """
    if value is None or target is None:
        return NONE
    if better == HIGHER:
        if value >= target:
            return GOOD
        return NEAR if value >= target * (1 - NEAR_MARGIN) else BAD
    if value < target:
        return GOOD
    return NEAR if value < target * (1 + NEAR_MARGIN) else BAD


def change(current: float | None, previous: float | None) -> float | None:
    """Current minus previous (absolute difference, same unit), None when either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


# --------------------------------------------------------------------- periods

def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: {name!r} is not an IANA time zone (e.g. Europe/London, UTC)") from None


def local_midnight_utc(day: date, tz: str) -> datetime:
    """The naive UTC instant at which local ``day`` starts in ``tz``."""
    local = datetime.combine(day, time(0), tzinfo=zone(tz))
    return local.astimezone(dt_timezone.utc).replace(tzinfo=None)


def local_date(at: datetime, tz: str) -> date:
    """The local date of a naive UTC instant."""
    return at.replace(tzinfo=dt_timezone.utc).astimezone(zone(tz)).date()


@dataclass(frozen=True)
class Period:
    """A half-open range of local days [first_day, end_day), as UTC instants [since, until)."""

    first_day: date
    end_day: date  # exclusive
    since: datetime  # naive UTC
    until: datetime  # naive UTC, exclusive
    timezone: str

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> "Period":
        """The period of the same number of days just before this one."""
        return period_of_days(self.first_day - timedelta(days=self.days), self.first_day, self.timezone)

    def label(self) -> str:
        return f"{self.first_day.isoformat()} .. {self.last_day.isoformat()}"


def period_of_days(first_day: date, end_day: date, tz: str) -> Period:
    if end_day <= first_day:
        raise ValueError(f"period: until ({end_day.isoformat()}) must be after since ({first_day.isoformat()})")
    return Period(first_day, end_day, local_midnight_utc(first_day, tz), local_midnight_utc(end_day, tz), tz)


def last_days(now: datetime, tz: str, days: int = 30) -> Period:
    """The last ``days`` local days, today included."""
    if days < 1:
        raise ValueError(f"period: days must be >= 1, got {days}")
    end_day = local_date(now, tz) + timedelta(days=1)
    return period_of_days(end_day - timedelta(days=days), end_day, tz)


# Report days a period may start or end on: the previous period (as long again,
# before it) and the local-time arithmetic stay inside what a date can hold.
FIRST_REPORT_DAY = date(1900, 1, 1)
LAST_REPORT_DAY = date(2999, 12, 31)


def parse_day(text: str, option: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_REPORT_DAY <= day <= LAST_REPORT_DAY:
        raise ValueError(f"{option}: {day.isoformat()} is out of range; give a day from "
                         f"{FIRST_REPORT_DAY.isoformat()} to {LAST_REPORT_DAY.isoformat()}")
    return day


def choose_period(since: str | None, until: str | None, now: datetime, tz: str, default_days: int = 30) -> Period:
    """Period from optional --since / --until dates (local days, until exclusive).

    Neither: the last ``default_days`` days including today. Only --since: up to and
    including today. Only --until: the ``default_days`` days before it.
    """
    first = parse_day(since, "--since") if since else None
    end = parse_day(until, "--until") if until else None
    if first is None and end is None:
        return last_days(now, tz, default_days)
    if end is None:
        end = local_date(now, tz) + timedelta(days=1)
        if end <= first:
            end = first + timedelta(days=1)
    if first is None:
        first = end - timedelta(days=default_days)
    if end <= first:
        raise ValueError(f"--until ({end.isoformat()}) must be after --since ({first.isoformat()})")
    return period_of_days(first, end, tz)


# --------------------------------------------------------------------- local time in SQL

def epoch_seconds(at: datetime) -> int:
    """Whole seconds since 1970-01-01 of a naive UTC instant (floored, like the SQL)."""
    return math.floor((at - _EPOCH).total_seconds())


def utc_offsets(tz: str, start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The UTC offsets of ``tz`` over [start, end) as [(from_epoch_second, offset_seconds), ...].

    The first entry starts at -infinity (from_epoch_second of the first entry is
    ignored by users); each later one starts at a transition. Found by sampling
    every 6 hours and bisecting to the second where the offset changes, which is
    exact for every real zone (transitions are at least days apart).
    """
    info = zone(tz)

    def offset_at(second: int) -> int:
        moment = datetime.fromtimestamp(second, dt_timezone.utc)
        return int(moment.astimezone(info).utcoffset().total_seconds())

    lo_s, hi_s = epoch_seconds(start), max(epoch_seconds(end), epoch_seconds(start) + 1)
    step = 6 * 3600
    current = offset_at(lo_s)
    result = [(lo_s, current)]
    probe = lo_s
    while probe < hi_s:
        nxt = min(probe + step, hi_s)
        offset = offset_at(nxt)
        if offset != current:
            a, b = probe, nxt  # offset(a) == current, offset(b) != current
            while b - a > 1:
                mid = (a + b) // 2
                if offset_at(mid) == current:
                    a = mid
                else:
                    b = mid
            result.append((b, offset_at(b)))
            current = offset_at(b)
        probe = nxt
    return result


def local_parts(at: datetime, tz: str) -> tuple[int, int, int]:
    """(local day number since 1970-01-01, weekday Mon=0, hour) of a naive UTC instant:
    the same integer arithmetic the SQL does, for tests and labels."""
    offset = int(at.replace(tzinfo=dt_timezone.utc).astimezone(zone(tz)).utcoffset().total_seconds())
    local = epoch_seconds(at) + offset
    day = local // DAY_SECONDS
    return day, (day + 3) % 7, (local % DAY_SECONDS) // 3600


def day_from_number(day_number: int) -> date:
    return (_EPOCH + timedelta(days=day_number)).date()


def day_number(day: date) -> int:
    return (day - _EPOCH.date()).days


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Backlog aging buckets: [0, 1d), [1d, 3d), [3d, 7d), [7d, infinity).
AGING_BUCKETS = (("under_1d", 0, 1), ("1d_to_3d", 1, 3), ("3d_to_7d", 3, 7), ("over_7d", 7, None))


@dataclass(frozen=True)
class MetricsConfig:
    """What config.toml may change: ``[targets]`` (see Targets) and ``[metrics]``::

        [metrics]
        timezone = "Europe/London"     # days and hours of the report; default: the desk calendar's
        recurrence_window_days = 30
        default_days = 30              # the report's period when no --since/--until
    """

    targets: Targets = Targets()
    timezone: str | None = None
    window_days: int = 30
    default_days: int = 30

    @classmethod
    def from_config(cls, targets: Mapping[str, object] | None, metrics: Mapping[str, object] | None) -> "MetricsConfig":
        metrics = dict(metrics or {})
        allowed_keys = ("timezone", "recurrence_window_days", "default_days")
        for key in metrics:
            if key not in allowed_keys:
                raise ValueError(f"metrics: unknown key {key!r}; allowed: {', '.join(allowed_keys)}")
        tz = metrics.get("timezone")
        if tz is not None:
            if not isinstance(tz, str):
                raise ValueError(f"metrics.timezone: {tz!r} is not a time zone name")
            zone(tz)
        return cls(
            targets=Targets.from_mapping(targets),
            timezone=tz,
            window_days=_whole_days(metrics, "recurrence_window_days", 30),
            default_days=_whole_days(metrics, "default_days", 30),
        )


def _whole_days(values: Mapping[str, object], key: str, default: int) -> int:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3660:
        raise ValueError(f"metrics.{key}: {value!r} is not a whole number of days (1-3660)")
    return value


# --------------------------------------------------------------------- display

def format_share(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def format_minutes(minutes: float | None) -> str:
    """Calendar minutes, compact: "42m", "3h 05m", "2d 4h"."""
    if minutes is None:
        return "-"
    total = int(round(minutes))
    if total < 60:
        return f"{total}m"
    hours, mins = divmod(total, 60)
    if hours < 48:
        return f"{hours}h {mins:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def format_hours(hours: float | None) -> str:
    return "-" if hours is None else format_minutes(hours * 60)


def format_value(value: float | None, unit: str) -> str:
    """A KPI value in its unit: "%" shares, "min" minutes, "h" hours, "" counts, "/5" scores."""
    if value is None:
        return "-"
    if unit == "%":
        return format_share(value)
    if unit == "min":
        return format_minutes(value)
    if unit == "h":
        return format_hours(value)
    if unit == "/5":
        return f"{value:.2f}/5"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def format_target(target: float | None, unit: str, better: str) -> str:
    if target is None:
        return ""
    return ("≥ " if better == HIGHER else "< ") + format_value(target, unit)


def format_change(delta: float | None, unit: str) -> str:
    """A change against the previous period: "+3.2 pt", "-12m", "+1h 05m", "+40"."""
    if delta is None:
        return ""
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    size = abs(delta)
    if unit == "%":
        return f"{sign}{size * 100:.1f} pt"
    if unit in ("min", "h"):
        return sign + format_value(size, unit)
    return f"{sign}{format_value(size, unit)}"
