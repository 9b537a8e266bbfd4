"""Business calendars: weekly opening hours in a time zone, minus holidays (DESIGN.md §2 SLA).

Every datetime in or out is NAIVE UTC. Opening hours are local wall-clock intervals in
the calendar's IANA time zone; each local interval's endpoints are converted to UTC with
zoneinfo, so a day with a DST change has correspondingly more or fewer real seconds of
business time. Each boundary is the instant the wall clock passes it: a time the clock
skips (spring-forward gap, e.g. 01:30 London on the last Sunday of March) is passed at
the change itself (01:00 UTC = 02:00 BST), and a time the clock shows twice (fall-back)
is passed at its first occurrence. A day's business time is the union of its converted
intervals, kept within the day's own UTC range so days never overlap.

Speed: each local day is turned into UTC intervals (integer microseconds since the epoch)
once and cached on the calendar, and whole weeks are skipped arithmetically, so adding a
few business days costs a handful of dict lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from functools import lru_cache
from typing import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Hours = tuple[tuple[time, time], ...]

# Mon..Sun, each open 00:00-24:00 (an end of time(0) means midnight at the end of the day).
ALWAYS: tuple[Hours, ...] = tuple(((time(0), time(0)),) for _ in range(7))

_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_ONE_US = timedelta(microseconds=1)
# A calendar whose every day in ten years is closed is broken; stop looking rather than loop.
_MAX_CLOSED_DAYS = 3660
_DAY_CACHE_LIMIT = 200_000

_DAY_KEYS = {key: short for short, full in zip(DAY_NAMES, (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
)) for key in (short, full)}

_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def to_us(at: datetime) -> int:
    """Naive UTC datetime -> integer microseconds since 1970-01-01."""
    return (at - _EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    """Integer microseconds since 1970-01-01 -> naive UTC datetime."""
    return _EPOCH + timedelta(microseconds=us)


@lru_cache(maxsize=512)
def _country_holidays(country: str, year: int) -> Mapping[date, str]:
    """Holidays of a country (``"GB"``) or subdivision (``"GB-ENG"``) for one year, cached."""
    import holidays as holidays_lib  # imported lazily: it is slow to import

    code, _, subdiv = country.partition("-")
    found = holidays_lib.country_holidays(code, subdiv=subdiv or None, years=year)
    return dict(found.items())


def _check_country(country: str, label: str) -> None:
    try:
        _country_holidays(country, 2000)
    except NotImplementedError as exc:
        raise ValueError(
            f"{label}: holiday_country: {country!r} is not a country code known to the holidays "
            f"package (e.g. 'GB', 'US', 'DE', or with a subdivision 'GB-ENG', 'US-NY'): {exc}"
        ) from None


def _time_seconds(value: time, *, is_end: bool) -> int:
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    if is_end and seconds == 0 and value.microsecond == 0:
        return 86_400  # time(0) as an end means 24:00
    return seconds


def _format_time(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _parse_time(text: str, where: str) -> time | None:
    """Parse ``HH:MM[:SS]``; ``24:00`` returns None (midnight at the end of the day)."""
    match = _TIME_RE.match(str(text))
    if not match:
        raise ValueError(f"{where}: {text!r} is not a time HH:MM (00:00 to 24:00)")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if (h, m, s) == (24, 0, 0):
        return None
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"{where}: {text!r} is not a time HH:MM (00:00 to 24:00)")
    return time(h, m, s)


class _Day:
    """One local day's business time as UTC microsecond intervals."""

    __slots__ = ("bounds", "total", "closed_reason")

    def __init__(self, bounds: tuple[int, ...], closed_reason: str | None):
        self.bounds = bounds  # flat (start, end, start, end, ...), sorted, non-overlapping
        self.total = sum(bounds[i + 1] - bounds[i] for i in range(0, len(bounds), 2))
        self.closed_reason = closed_reason  # None when the day has hours


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly hours in a time zone, minus holidays. See the module docstring."""

    timezone: str = "UTC"
    weekly: tuple[Hours, ...] = ALWAYS
    holidays: frozenset[date] = frozenset()
    holiday_country: str = ""
    name: str = ""

    # ------------------------------------------------------------------ building

    def __post_init__(self) -> None:
        label = f"calendar {self.name!r}" if self.name else "calendar"
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(
                f"{label}: timezone {self.timezone!r} is not a known IANA time zone "
                f"(e.g. 'UTC', 'Europe/London', 'America/New_York')"
            ) from None
        if len(self.weekly) != 7:
            raise ValueError(f"{label}: weekly needs 7 entries (Mon..Sun), got {len(self.weekly)}")
        week_seconds: list[tuple[tuple[int, int], ...]] = []
        weekly: list[Hours] = []
        for day_index, hours in enumerate(self.weekly):
            spans = []
            try:
                pairs = [(start, end) for start, end in hours]
                if not all(isinstance(t, time) for pair in pairs for t in pair):
                    raise TypeError
            except (TypeError, ValueError):
                raise ValueError(
                    f"{label}: weekly {DAY_NAMES[day_index]}: expected (start, end) pairs of "
                    f"datetime.time, got {hours!r}"
                ) from None
            pairs.sort(key=lambda p: _time_seconds(p[0], is_end=False))
            weekly.append(tuple(pairs))
            for start, end in pairs:
                if start.microsecond or end.microsecond or start.tzinfo or end.tzinfo:
                    raise ValueError(
                        f"{label}: weekly {DAY_NAMES[day_index]}: times must be naive whole seconds, "
                        f"got {start!r}-{end!r}"
                    )
                s = _time_seconds(start, is_end=False)
                e = _time_seconds(end, is_end=True)
                if s >= e:
                    raise ValueError(
                        f"{label}: weekly {DAY_NAMES[day_index]}: start {start} must be "
                        f"before end {end} (use time(0) or '24:00' for midnight)"
                    )
                spans.append((s, e))
            for (s1, e1), (s2, _e2) in zip(spans, spans[1:]):
                if s2 < e1:
                    raise ValueError(
                        f"{label}: weekly {DAY_NAMES[day_index]}: intervals "
                        f"{_format_time(s1)}-{_format_time(e1)} and {_format_time(s2)}-... overlap"
                    )
            week_seconds.append(tuple(spans))
        if not any(week_seconds):
            raise ValueError(f"{label}: weekly hours are empty; at least one day must have open hours")
        if self.holiday_country:
            _check_country(self.holiday_country, label)
        object.__setattr__(self, "weekly", tuple(weekly))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_is_utc", self.timezone in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu"))
        object.__setattr__(self, "_week_seconds", tuple(week_seconds))
        object.__setattr__(self, "_days", {})
        object.__setattr__(self, "_weeks", {})

    @classmethod
    def always_open(cls) -> "BusinessCalendar":
        """24x7, no holidays: business time equals wall-clock time."""
        return cls(name="24x7")

    @classmethod
    def from_config(
        cls,
        *,
        name: str,
        timezone: str,
        weekly_hours: Mapping[str, Sequence[str] | Sequence[Sequence[str]] | str],
        holidays: Sequence[str] = (),
        holiday_country: str = "",
    ) -> "BusinessCalendar":
        """Build from config/JSON data (the shape of the ``calendars`` table).

        ``weekly_hours`` keys are mon..sun; values are ``["08:00-12:00", "13:00-18:00"]``
        or ``[["08:00", "18:00"]]``; "24:00" is allowed as an end; a missing day is closed.
        Raises ValueError naming the field and the bad value.
        """
        label = f"calendar {name!r}"
        if not isinstance(weekly_hours, Mapping):
            raise ValueError(f"{label}: weekly_hours must be a table of mon..sun, got {weekly_hours!r}")
        weekly: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for key, value in weekly_hours.items():
            day_key = _DAY_KEYS.get(str(key).strip().lower())
            if day_key is None:
                raise ValueError(
                    f"{label}: weekly_hours: {key!r} is not a day; use {', '.join(DAY_NAMES)}"
                )
            items = [value] if isinstance(value, str) else list(value or ())
            for index, item in enumerate(items):
                where = f"{label}: weekly_hours.{day_key}[{index}]"
                if isinstance(item, str):
                    if item.strip().lower() == "closed":
                        continue
                    parts = item.split("-")
                    if len(parts) != 2:
                        raise ValueError(f"{where}: {item!r} is not an interval like '08:00-18:00'")
                else:
                    parts = list(item)
                    if len(parts) != 2:
                        raise ValueError(f"{where}: {item!r} is not a pair like ['08:00', '18:00']")
                start = _parse_time(parts[0], where)
                end = _parse_time(parts[1], where)
                if start is None:
                    raise ValueError(f"{where}: an interval cannot start at 24:00 ({item!r})")
                end = time(0) if end is None else end
                if _time_seconds(start, is_end=False) >= _time_seconds(end, is_end=True):
                    raise ValueError(f"{where}: start must be before end in {item!r}")
                weekly[DAY_NAMES.index(day_key)].append((start, end))
        closed: set[date] = set()
        if isinstance(holidays, str):
            holidays = [holidays]
        for index, text in enumerate(holidays):
            try:
                closed.add(date.fromisoformat(str(text).strip()))
            except ValueError:
                raise ValueError(
                    f"{label}: holidays[{index}]: {text!r} is not a date YYYY-MM-DD"
                ) from None
        code, dash, subdiv = str(holiday_country or "").strip().partition("-")
        country = code.upper() + dash + subdiv
        try:
            return cls(
                timezone=str(timezone).strip(),
                weekly=tuple(tuple(sorted(day)) for day in weekly),
                holidays=frozenset(closed),
                holiday_country=country,
                name=name,
            )
        except ValueError as exc:
            message = str(exc)
            raise ValueError(message if message.startswith(label) else f"{label}: {message}") from None

    def to_json_dict(self) -> dict:
        """Plain data that :meth:`from_config` turns back into an equal calendar."""
        return {
            "name": self.name,
            "timezone": self.timezone,
            "weekly_hours": {
                DAY_NAMES[i]: [[_format_time(s), _format_time(e)] for s, e in spans]
                for i, spans in enumerate(self._week_seconds)
            },
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "holiday_country": self.holiday_country,
        }

    # ------------------------------------------------------------------ days

    def holiday_name(self, day: date) -> str | None:
        """The holiday's name if the local date is a holiday ("holiday" when unnamed), else None."""
        if self.holiday_country:
            found = _country_holidays(self.holiday_country, day.year).get(day)
            if found is not None:
                return found
        return "holiday" if day in self.holidays else None

    def is_closed_day(self, day: date) -> bool:
        """True when the local date has no business hours (holiday or no weekly hours)."""
        return self._day(day.toordinal()).closed_reason is not None

    def closed_reason(self, day: date) -> str | None:
        """Why a local date is closed ("holiday: Christmas Day", "no hours on Sat"), else None."""
        return self._day(day.toordinal()).closed_reason

    def weekly_seconds(self) -> float:
        """Nominal business seconds in a week without holidays or DST changes."""
        return float(sum(e - s for spans in self._week_seconds for s, e in spans))

    def _local_ordinal(self, at_us: int) -> int:
        """The proleptic ordinal of the local date containing the UTC instant."""
        if self._is_utc:
            return _EPOCH_ORDINAL + at_us // _DAY_US
        local = self._tz.fromutc(from_us(at_us).replace(tzinfo=self._tz))
        return local.toordinal()

    def _local_to_us(self, local_us: int, local: datetime) -> int:
        """The UTC instant the wall clock reads ``local`` (its first reading after a
        fall-back). A time the clock skips (spring-forward gap) has no reading: the
        wall clock passes it at the change itself, so that instant is returned."""
        if self._is_utc:
            return local_us
        before = self._tz.utcoffset(local) // _ONE_US  # fold=0: the offset before a change
        after = self._tz.utcoffset(local.replace(fold=1)) // _ONE_US
        if before >= after:
            return local_us - before  # no change, or fall-back: the first occurrence
        utc = local_us - before
        if self._offset_us(utc) == before:
            return utc  # not in a gap
        # In the gap: the change lies in (local - after, local - before]; find it.
        lo, hi = local_us - after, utc  # offset(lo) == before, offset(hi) == after
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._offset_us(mid) == before:
                lo = mid
            else:
                hi = mid
        return hi

    def _offset_us(self, at_us: int) -> int:
        """The zone's UTC offset at a UTC instant, in microseconds."""
        local = self._tz.fromutc(from_us(at_us).replace(tzinfo=self._tz))
        return local.utcoffset() // _ONE_US

    def _day(self, ordinal: int) -> _Day:
        day = self._days.get(ordinal)
        if day is None:
            day = self._build_day(ordinal)
            if len(self._days) >= _DAY_CACHE_LIMIT:
                self._days.clear()
                self._weeks.clear()
            self._days[ordinal] = day
        return day

    def _build_day(self, ordinal: int) -> _Day:
        local_date = date.fromordinal(ordinal)
        weekday = (ordinal - 1) % 7  # ordinal 1 (0001-01-01) was a Monday
        holiday = self.holiday_name(local_date)
        if holiday is not None:
            return _Day((), "holiday" if holiday == "holiday" else f"holiday: {holiday}")
        spans = self._week_seconds[weekday]
        if not spans:
            return _Day((), f"no hours on {_DAY_TITLES[weekday]}")
        midnight_local_us = (ordinal - _EPOCH_ORDINAL) * _DAY_US
        midnight = datetime(local_date.year, local_date.month, local_date.day)
        # The day's UTC range; intervals are clipped into it so days never overlap.
        day_lo = self._local_to_us(midnight_local_us, midnight)
        day_hi = self._local_to_us(midnight_local_us + _DAY_US, midnight + timedelta(days=1))
        converted = []
        for s, e in spans:
            start = self._local_to_us(midnight_local_us + s * _US, midnight + timedelta(seconds=s))
            end = self._local_to_us(midnight_local_us + e * _US, midnight + timedelta(seconds=e))
            start, end = max(start, day_lo), min(end, day_hi)
            if end > start:  # else wholly inside a DST gap
                converted.append((start, end))
        # Around a DST gap converted intervals can overlap or swap order: take their union.
        converted.sort()
        bounds: list[int] = []
        for start, end in converted:
            if bounds and start <= bounds[-1]:
                bounds[-1] = max(bounds[-1], end)
            else:
                bounds += (start, end)
        return _Day(tuple(bounds), None)

    def _week_total(self, monday: int) -> int:
        total = self._weeks.get(monday)
        if total is None:
            total = sum(self._day(monday + i).total for i in range(7))
            self._weeks[monday] = total
        return total

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        t = to_us(at)
        bounds = self._day(self._local_ordinal(t)).bounds
        for i in range(0, len(bounds), 2):
            if bounds[i] <= t < bounds[i + 1]:
                return True
        return False

    def _intervals_us(self, lo: int, hi: int) -> Iterator[tuple[int, int]]:
        """Business intervals within [lo, hi) in epoch microseconds, adjacent ones merged."""
        if hi <= lo:
            return
        ordinal = self._local_ordinal(lo)
        last = self._local_ordinal(hi)
        pending: tuple[int, int] | None = None
        while ordinal <= last:
            if ordinal % 7 == 1 and ordinal + 7 <= last and self._week_total(ordinal) == 0:
                ordinal += 7
                continue
            bounds = self._day(ordinal).bounds
            for i in range(0, len(bounds), 2):
                s, e = bounds[i], bounds[i + 1]
                if e <= lo:
                    continue
                if s >= hi:
                    break
                s, e = max(s, lo), min(e, hi)
                if pending is not None and pending[1] == s:
                    pending = (pending[0], e)
                else:
                    if pending is not None:
                        yield pending
                    pending = (s, e)
            ordinal += 1
        if pending is not None:
            yield pending

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """UTC intervals of business time within [start, end), in order, adjacent ones merged."""
        for s, e in self._intervals_us(to_us(start), to_us(end)):
            yield from_us(s), from_us(e)

    def business_microseconds(self, start: datetime, end: datetime) -> int:
        """Exact business time in [start, end) as integer microseconds; 0 if end <= start."""
        lo, hi = to_us(start), to_us(end)
        if hi <= lo:
            return 0
        first = ordinal = self._local_ordinal(lo)
        last = self._local_ordinal(hi)
        total = 0
        while ordinal <= last:
            # Whole weeks strictly inside the span count without looking at their days' edges.
            if ordinal % 7 == 1 and ordinal > first and ordinal + 6 < last:
                total += self._week_total(ordinal)
                ordinal += 7
                continue
            day = self._day(ordinal)
            bounds = day.bounds
            if bounds and bounds[0] >= lo and bounds[-1] <= hi:
                total += day.total
            else:
                for i in range(0, len(bounds), 2):
                    s, e = max(bounds[i], lo), min(bounds[i + 1], hi)
                    if e > s:
                        total += e - s
            ordinal += 1
        return total

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Business seconds in [start, end); 0 if end <= start."""
        return self.business_microseconds(start, end) / _US

    def add_business_microseconds(self, start: datetime, us: int) -> datetime:
        """Earliest instant t with business_microseconds(start, t) == us (us >= 0)."""
        if us < 0:
            raise ValueError(f"add_business_seconds: seconds must be >= 0, got {us / _US}")
        if us == 0:
            return start
        t = to_us(start)
        remaining = us
        first = ordinal = self._local_ordinal(t)
        idle_days = 0  # consecutive days without business time: guards a broken calendar
        while True:
            if ordinal > first and ordinal % 7 == 1:  # a Monday wholly after start
                while (week := self._week_total(ordinal)) < remaining:
                    remaining -= week
                    ordinal += 7
                    idle_days = idle_days + 7 if week == 0 else 0
                    self._check_idle(idle_days, start)
            day = self._day(ordinal)
            if ordinal > first and day.total < remaining:
                remaining -= day.total
            else:
                bounds = day.bounds
                for i in range(0, len(bounds), 2):
                    s, e = bounds[i], bounds[i + 1]
                    if e <= t:
                        continue
                    if s < t:
                        s = t
                    if remaining <= e - s:
                        return from_us(s + remaining)
                    remaining -= e - s
            idle_days = idle_days + 1 if day.total == 0 else 0
            self._check_idle(idle_days, start)
            ordinal += 1

    def _check_idle(self, idle_days: int, start: datetime) -> None:
        if idle_days > _MAX_CLOSED_DAYS:
            raise ValueError(
                f"calendar {self.name!r}: no business hours in the ten years after {start}"
            )

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        """Earliest instant t with business_seconds(start, t) == seconds; seconds == 0 -> start.

        Time is kept in whole microseconds: ``seconds`` is rounded to the nearest one.
        Raises ValueError for negative seconds.
        """
        return self.add_business_microseconds(start, round(seconds * _US))

    # ------------------------------------------------------------------ explaining

    def describe_gap(self, start: datetime, end: datetime, *, limit: int = 4) -> str:
        """Why [start, end) holds no business time: 'outside business hours' plus closed days."""
        lo, hi = to_us(start), to_us(end)
        if hi <= lo:
            return "outside business hours"
        first = self._local_ordinal(lo)
        last = self._local_ordinal(hi - 1)
        holidays: list[str] = []
        no_hours: list[str] = []
        for ordinal in range(first, last + 1):
            reason = self._day(ordinal).closed_reason
            if reason is None:
                continue
            if reason.startswith("holiday"):
                name = reason.partition(": ")[2]
                label = date.fromordinal(ordinal).isoformat()
                holidays.append(f"{label} {name}" if name else label)
            else:
                title = _DAY_TITLES[(ordinal - 1) % 7]
                if title not in no_hours:
                    no_hours.append(title)
        parts = []
        if holidays:
            shown = holidays[:limit] + ([f"+{len(holidays) - limit} more"] if len(holidays) > limit else [])
            parts.append("holiday " + ", ".join(shown))
        if no_hours:
            parts.append("no hours on " + ", ".join(no_hours))
        return "outside business hours" + (f" ({'; '.join(parts)})" if parts else "")

    def local_time(self, at: datetime) -> datetime:
        """The aware local datetime of a naive UTC instant (for display)."""
        return at.replace(tzinfo=dt_timezone.utc).astimezone(self._tz)
