"""Parsing the values other tools export: dates, booleans, counts, levels, priorities.

Every parser takes the raw (already sanitised) text and returns the value or
raises ``ValueError`` with a message that says what was expected; the caller
adds ``file:line:column: field:`` in front.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskui.domain.enums import Level
from deskui.errors import ValidationError

# What "no value" looks like in exports: ServiceNow writes "?" for an empty
# reference, others leave the cell empty.
DEFAULT_MISSING = frozenset({"", "?"})

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
# 29/2/2016 01:16, 02/29/2016 1:16 PM, 29.02.16 01:16:09
_SLASHED = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_UTC = timezone.utc


def zone_for(name: str):
    """A tzinfo for an IANA name (or UTC); ValidationError naming the option otherwise."""
    if name.strip().upper() in ("UTC", "Z", "GMT", ""):
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"--tz: {name!r} is not a time zone; use an IANA name such as Europe/London, "
                              "America/New_York or UTC") from None


class DateParser:
    """Turns exported timestamps into naive UTC.

    Accepts ISO 8601 (``2016-02-29 13:05:00``, ``2016-02-29T13:05Z``, with an
    offset or without), slashed dates (``29/2/2016 13:05``: day first with
    ``dayfirst``, else month first; a 12-hour clock with AM/PM works), and the
    extra ``strptime`` formats a mapping names. Times without an offset are in
    ``tz``. Results are cached: exports repeat the same timestamps a lot.
    """

    def __init__(self, *, dayfirst: bool = False, tz: str = "UTC", formats: tuple[str, ...] = ()):
        self.dayfirst = dayfirst
        self.zone = zone_for(tz)
        self.formats = tuple(formats)
        self._cached = lru_cache(maxsize=16384)(self._parse)

    def __call__(self, text: str) -> datetime:
        return self._cached(text.strip())

    def expected(self) -> str:
        order = "day-first like 29/02/2016 13:05" if self.dayfirst else "month-first like 02/29/2016 13:05 (--dayfirst for 29/02/2016)"
        extra = f", or {' / '.join(self.formats)}" if self.formats else ""
        return f"expected ISO 8601 like 2016-02-29 13:05, {order}{extra}"

    def _parse(self, text: str) -> datetime:
        match = _ISO.match(text)
        if match:
            return self._from_iso(match, text)
        match = _SLASHED.match(text)
        if match:
            return self._from_slashed(match, text)
        for fmt in self.formats:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if value.tzinfo is not None:
                return value.astimezone(_UTC).replace(tzinfo=None)
            return self._to_utc(value)
        raise ValueError(f"{text!r} is not a date; {self.expected()}")

    def _from_iso(self, m: re.Match, text: str) -> datetime:
        year, month, day, hour, minute, second, fraction, offset = m.groups()
        try:
            value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                             int((fraction or "0").ljust(6, "0")))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date ({exc})") from None
        if offset:
            if offset.upper() == "Z":
                return value
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return value - sign * delta
        return self._to_utc(value)

    def _from_slashed(self, m: re.Match, text: str) -> datetime:
        first, second, year, hour, minute, sec, ampm = m.groups()
        day, month = (first, second) if self.dayfirst else (second, first)
        year_value = int(year)
        if len(year) == 2:
            year_value += 2000 if year_value < 70 else 1900
        hour_value = int(hour or 0)
        if ampm:
            if not 1 <= hour_value <= 12:
                raise ValueError(f"{text!r}: hour {hour_value} does not go with {ampm.upper()}")
            hour_value = hour_value % 12 + (12 if ampm.lower() == "pm" else 0)
        try:
            value = datetime(year_value, int(month), int(day), hour_value, int(minute or 0), int(sec or 0))
        except ValueError:
            order = "day-first" if self.dayfirst else "month-first"
            hint = "" if self.dayfirst else "; if the file is day-first pass --dayfirst"
            raise ValueError(f"{text!r} is not a valid {order} date{hint}") from None
        return self._to_utc(value)

    def _to_utc(self, value: datetime) -> datetime:
        if self.zone is None:
            return value
        return value.replace(tzinfo=self.zone).astimezone(_UTC).replace(tzinfo=None)


_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def parse_bool(text: str) -> bool:
    key = text.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean; expected true or false")


def parse_count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{text!r} must not be negative")
    return value


_NUMBERED = re.compile(r"^\s*[Pp]?(\d+)\s*(?:-\s*(.*))?$")
_LEVEL_NUMBERS = {1: Level.HIGH, 2: Level.MEDIUM, 3: Level.LOW}
_LEVEL_NAMES = {"high": Level.HIGH, "medium": Level.MEDIUM, "low": Level.LOW, "critical": Level.HIGH,
                "moderate": Level.MEDIUM}


def parse_level(text: str) -> str:
    """ "1 - High" / "2 - Medium" / "3 - Low" (ServiceNow) or high / medium / low."""
    match = _NUMBERED.match(text)
    if match and int(match.group(1)) in _LEVEL_NUMBERS:
        return _LEVEL_NUMBERS[int(match.group(1))].value
    level = _LEVEL_NAMES.get(text.strip().lower())
    if level is None:
        raise ValueError(f"{text!r} is not a level; expected 1 - High, 2 - Medium, 3 - Low (or high, medium, low)")
    return level.value


_PRIORITY_NAMES = {"critical": 1, "high": 2, "moderate": 3, "medium": 3, "low": 4, "planning": 4}


def parse_priority(text: str) -> int:
    """ "1 - Critical" ... "4 - Low" (and "5 - Planning", taken as 4), P1..P4, 1..4 or the names."""
    match = _NUMBERED.match(text)
    if match:
        number = int(match.group(1))
        if 1 <= number <= 5:
            return min(number, 4)
    number = _PRIORITY_NAMES.get(text.strip().lower())
    if number is None:
        raise ValueError(f"{text!r} is not a priority; expected 1 - Critical, 2 - High, 3 - Moderate, 4 - Low "
                         "(or P1..P4)")
    return number


def slug(text: str) -> str:
    """A lower-case dotted identifier from a display name ("Zoë Brown" -> "zoe.brown")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return ".".join(re.findall(r"[0-9a-z]+", ascii_text.lower())) or "unknown"
