"""Business-calendar arithmetic over a fixed window, by table: what the generator's
SLA clock runs on (the same answers as the calendar, about ten times faster)."""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

_EPOCH = datetime(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)
# Due times of tickets still open at `end` can lie weeks after it.
WINDOW_DAYS_AFTER_END = 400


class WindowCalendar:
    """A BusinessCalendar's arithmetic over a fixed window, by bisection over its
    precomputed open intervals: the same answers (whole microseconds), ~10x faster.
    Outside the window it asks the calendar itself. ``evaluate`` only needs
    ``business_microseconds`` and ``add_business_microseconds``."""

    def __init__(self, calendar, lo: datetime, hi: datetime):
        from deskui.domain.calendar import to_us

        self.calendar = calendar
        self.name = calendar.name
        self.timezone = calendar.timezone
        self.lo, self.hi = to_us(lo), to_us(hi)
        starts, ends, before, through = [], [], [], []
        total = 0
        for s, e in calendar.open_intervals(lo, hi):
            s, e = to_us(s), to_us(e)
            starts.append(s)
            ends.append(e)
            before.append(total)
            total += e - s
            through.append(total)
        self.starts, self.ends, self.before, self.through = starts, ends, before, through

    def _position(self, t: int) -> int:
        """Business microseconds from the window's start to t."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def business_microseconds(self, start: datetime, end: datetime) -> int:
        a, b = (start - _EPOCH) // _ONE_US, (end - _EPOCH) // _ONE_US
        if b <= a:
            return 0
        if a < self.lo or b > self.hi:
            return self.calendar.business_microseconds(start, end)
        return self._position(b) - self._position(a)

    def add_business_microseconds(self, start: datetime, us: int) -> datetime:
        if us <= 0:
            return self.calendar.add_business_microseconds(start, us)
        t = (start - _EPOCH) // _ONE_US
        if t < self.lo:
            return self.calendar.add_business_microseconds(start, us)
        target = self._position(t) + us
        j = bisect.bisect_left(self.through, target)
        if t > self.hi or j >= len(self.through):
            return self.calendar.add_business_microseconds(start, us)
        return _EPOCH + timedelta(microseconds=self.starts[j] + target - self.before[j])

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        return self.add_business_microseconds(start, round(seconds * 1_000_000))
