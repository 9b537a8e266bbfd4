"""The SLA clock: a pure function of (events, targets, calendar, now) (DESIGN.md §2 SLA).

Only business time counts. Two targets run from the "open" event:

- response: stops at the first "respond" (first public reply by an analyst) or at
  "resolve"; it does not pause while the ticket is pending, and a reopen does not
  restart it.
- resolution: pauses at "pause" (pending), runs again at "resume", stops at "resolve";
  "reopen" resumes it where it stopped (elapsed time carries on).

Events may come unsorted or redundant: they are sorted stably by time, events after
``now`` have not happened yet and are ignored, events before the first "open" are
ignored, and an event that changes nothing (pause while paused, reopen while running,
a second "open") is a no-op. With no "open" event the earliest event opens the clock.

States. A target is due at the instant its elapsed business time reaches 100% of the
target, and BREACHED once the clock has run past that instant (the wall clock, not the
business clock: due at 18:00 when the office closes, a ticket still open at 18:05 is
breached): at the due instant itself it has not passed, so a target stopped (first
reply, resolution) or paused exactly then is MET or PAUSED. A running target is AT_RISK
once elapsed >= warn_share x target, else OK; a paused one is PAUSED unless its
deadline passed before the pause (BREACHED wins); a stopped one is MET or BREACHED.
The same rule decides the live state between refreshes (``deskui.domain.sla_state``:
breached when ``now > due_at``).

All arithmetic is in whole microseconds (see ``BusinessCalendar.business_microseconds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Sequence

from deskui.domain.calendar import BusinessCalendar, to_us
from deskui.domain.enums import SlaState

OPEN, PAUSE, RESUME, RESPOND, RESOLVE, REOPEN = "open", "pause", "resume", "respond", "resolve", "reopen"
# A cancellation stops the clock like a resolution, but what it stops was not met:
# a target it stops before its deadline is void (TargetStatus.void), one that had
# breached stays breached.
CANCEL = "cancel"
CLOCK_KINDS = frozenset({OPEN, PAUSE, RESUME, RESPOND, RESOLVE, REOPEN, CANCEL})
CANCELLED_REASON = "cancelled"

# Interval kinds (Interval.kind).
COUNTED, OUTSIDE, PAUSED, STOPPED = "counted", "outside", "paused", "stopped"

_US = 1_000_000


@dataclass(frozen=True)
class ClockEvent:
    at: datetime  # naive UTC
    kind: str  # one of CLOCK_KINDS
    note: str = ""  # e.g. "pending: awaiting_vendor", "first public reply by jdoe"


@dataclass(frozen=True)
class SlaTargets:
    response_seconds: int
    resolution_seconds: int
    warn_share: float = 0.75

    def __post_init__(self) -> None:
        for field_name in ("response_seconds", "resolution_seconds"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"SLA targets: {field_name} must be a whole number of seconds > 0, got {value!r}")
        if not 0 < self.warn_share <= 1:
            raise ValueError(f"SLA targets: warn_share must be in (0, 1], got {self.warn_share!r}")

    @classmethod
    def from_minutes(cls, response_minutes: int, resolution_minutes: int, warn_share: float = 0.75) -> "SlaTargets":
        """From the minutes stored on an ``SlaPolicy`` row."""
        return cls(int(response_minutes) * 60, int(resolution_minutes) * 60, warn_share)


@dataclass(frozen=True)
class Interval:
    """A stretch of the clock's life, for the explanation.

    ``business_seconds`` is the business time inside the interval: counted when
    ``counted`` is true, the business time the pause (or stop) held back otherwise,
    0 outside business hours.
    """

    start: datetime
    end: datetime
    counted: bool
    reason: str
    business_seconds: float
    kind: str = COUNTED  # counted | outside | paused | stopped


@dataclass(frozen=True)
class TargetStatus:
    name: str  # "response" | "resolution"
    target_seconds: int
    elapsed_seconds: float  # business seconds consumed up to now (or to the stop)
    # When it reaches (reached) 100% if the clock keeps running: None while paused and not
    # yet breached; the breach instant once breached; for a stopped target, the due time
    # it had when it stopped.
    due_at: datetime | None
    state: SlaState
    stopped_at: datetime | None
    breached_at: datetime | None  # instant elapsed reached 100%, when state is BREACHED
    intervals: tuple[Interval, ...]
    stop_reason: str = ""  # note of the event that stopped it ("first public reply by jdoe")
    # When it reaches (reached) the warning share if the clock keeps running: like
    # ``due_at``, None while paused and not yet at risk. Stored beside the due time so
    # the live state (deskui.domain.sla_state) turns at risk without a sweep.
    warn_at: datetime | None = None
    # Set when the target breached under an earlier policy, before a priority change
    # replaced it: "P2 High" (a breach stays a breach; deskui.domain.sla_in_force).
    breached_under: str = ""

    @property
    def share(self) -> float:
        """Elapsed / target (1.0 = 100%)."""
        return self.elapsed_seconds / self.target_seconds

    @property
    def remaining_seconds(self) -> float:
        """Target - elapsed; negative once past the target (overdue by that much)."""
        return self.target_seconds - self.elapsed_seconds

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def void(self) -> bool:
        """Stopped by a cancellation before its deadline: neither met nor breached
        (stored as met; the metrics leave it out, see docs/metrics.md)."""
        return self.state == SlaState.MET and self.stop_reason == CANCELLED_REASON


@dataclass(frozen=True)
class SlaStatus:
    response: TargetStatus
    resolution: TargetStatus

    @property
    def targets(self) -> tuple[TargetStatus, TargetStatus]:
        return (self.response, self.resolution)


# A segment of the clock's life: (start, end, mode, note) with mode "run", "pause" or "stop".
_Segment = tuple[datetime, datetime, str, str]


def _ordered(events: Sequence[ClockEvent], now: datetime) -> tuple[datetime | None, list[ClockEvent]]:
    """(open instant, events after the open up to now) -- sorted stably by time."""
    for event in events:
        if event.kind not in CLOCK_KINDS:
            raise ValueError(f"SLA clock event kind {event.kind!r} is not one of {', '.join(sorted(CLOCK_KINDS))}")
    ordered = sorted(events, key=attrgetter("at"))
    if not ordered:
        return None, []
    opener = next((i for i, event in enumerate(ordered) if event.kind == OPEN), 0)
    opened = ordered[opener]
    later = [event for event in ordered[opener + 1 :] if event.at <= now]
    return opened.at, later


def _response_segments(
    opened: datetime, later: list[ClockEvent], now: datetime
) -> tuple[list[_Segment], str, datetime | None, str]:
    for event in later:
        if event.kind == RESPOND:
            return [(opened, event.at, "run", "")], "stop", event.at, event.note or "responded"
        if event.kind == RESOLVE:
            why = "resolved before any response" + (f": {event.note}" if event.note else "")
            return [(opened, event.at, "run", "")], "stop", event.at, why
        if event.kind == CANCEL:
            return [(opened, event.at, "run", "")], "stop", event.at, CANCELLED_REASON
    return [(opened, now, "run", "")], "run", None, ""


def _resolution_segments(
    opened: datetime, later: list[ClockEvent], now: datetime
) -> tuple[list[_Segment], str, datetime | None, str]:
    segments: list[_Segment] = []
    mode, since, note = "run", opened, ""
    stopped_at, stop_reason = None, ""
    for event in later:
        kind = event.kind
        if kind == PAUSE and mode == "run":
            new_mode = "pause"
        elif kind == RESUME and mode == "pause":
            new_mode = "run"
        elif kind in (RESOLVE, CANCEL) and mode in ("run", "pause"):
            new_mode = "stop"
        elif kind == REOPEN and mode == "stop":
            new_mode = "run"
        else:
            continue  # no-op: redundant or irrelevant to this target
        if event.at > since:
            segments.append((since, event.at, mode, note))
        mode, since, note = new_mode, event.at, event.note
        if new_mode == "stop" and kind == CANCEL:
            stopped_at, stop_reason = event.at, CANCELLED_REASON
        elif new_mode == "stop":
            stopped_at, stop_reason = event.at, "resolved" + (f": {event.note}" if event.note else "")
        else:
            stopped_at, stop_reason = None, ""
    if mode != "stop" and now > since:
        segments.append((since, now, mode, note))
    return segments, mode, stopped_at, stop_reason


def _measure(
    name: str,
    target_seconds: int,
    warn_share: float,
    opened: datetime,
    segments: list[_Segment],
    final_mode: str,
    stopped_at: datetime | None,
    stop_reason: str,
    calendar: BusinessCalendar,
    now: datetime,
    detail: bool,
) -> TargetStatus:
    target = target_seconds * _US
    warn = math.ceil(warn_share * target)  # elapsed >= warn  <=>  elapsed >= share x target
    elapsed = 0
    reached_at: datetime | None = None  # instant elapsed reached 100%
    warned_at: datetime | None = None  # instant elapsed reached the warning share
    intervals: list[Interval] = []
    ran_until = opened  # the last instant the clock ran to (now, while it runs)
    for start, end, mode, note in segments:
        if mode == "run":
            ran_until = end
            if detail:
                used = _run_intervals(calendar, start, end, intervals)
            else:
                used = calendar.business_microseconds(start, end)
            if reached_at is None and elapsed + used >= target:
                reached_at = calendar.add_business_microseconds(start, target - elapsed)
            if warned_at is None and elapsed + used >= warn:
                warned_at = calendar.add_business_microseconds(start, warn - elapsed)
            elapsed += used
        elif detail:
            held = calendar.business_microseconds(start, end)
            if mode == "pause":
                reason = f"paused ({note})" if note else "paused"
                intervals.append(Interval(start, end, False, reason, held / _US, PAUSED))
            else:
                intervals.append(
                    Interval(start, end, False, "resolved: clock stopped until reopened", held / _US, STOPPED)
                )

    if final_mode == "run":
        ran_until = now
    # A deadline passes once the clock has run beyond it: at the due instant itself
    # it has not (one rule for the clock, the live state, the filters and the counts).
    passed = reached_at is not None and reached_at < ran_until
    if now < opened:  # not started yet
        state = SlaState.OK
        due_at = calendar.add_business_microseconds(opened, target)
        warned_at = calendar.add_business_microseconds(opened, warn)
    elif final_mode == "stop":
        state = SlaState.BREACHED if passed else SlaState.MET
        due_at = reached_at or calendar.add_business_microseconds(stopped_at, target - elapsed)
        warned_at = warned_at or calendar.add_business_microseconds(stopped_at, warn - elapsed)
    elif passed:
        state = SlaState.BREACHED
        due_at = reached_at
    elif final_mode == "pause":
        state = SlaState.PAUSED
        due_at = None
    else:
        state = SlaState.AT_RISK if elapsed >= warn else SlaState.OK
        due_at = reached_at or calendar.add_business_microseconds(now, target - elapsed)
        if warned_at is None:
            warned_at = calendar.add_business_microseconds(now, warn - elapsed)
    return TargetStatus(
        name=name,
        target_seconds=target_seconds,
        elapsed_seconds=elapsed / _US,
        due_at=due_at,
        state=state,
        stopped_at=stopped_at,
        breached_at=reached_at if state == SlaState.BREACHED else None,
        intervals=tuple(intervals),
        stop_reason=stop_reason,
        warn_at=warned_at,
    )


def _run_intervals(calendar: BusinessCalendar, start: datetime, end: datetime, out: list[Interval]) -> int:
    """Split a running stretch into counted business time and uncounted gaps; return counted us."""
    cursor = start
    used = 0
    for open_start, open_end in calendar.open_intervals(start, end):
        if open_start > cursor:
            out.append(Interval(cursor, open_start, False, calendar.describe_gap(cursor, open_start), 0.0, OUTSIDE))
        seconds = to_us(open_end) - to_us(open_start)
        used += seconds
        out.append(Interval(open_start, open_end, True, "business hours", seconds / _US, COUNTED))
        cursor = open_end
    if cursor < end:
        out.append(Interval(cursor, end, False, calendar.describe_gap(cursor, end), 0.0, OUTSIDE))
    return used


def evaluate(
    events: Sequence[ClockEvent],
    targets: SlaTargets,
    calendar: BusinessCalendar,
    now: datetime,
    *,
    detail: bool = True,
) -> SlaStatus:
    """The SLA state of one ticket as of ``now``. ``detail=False`` skips building the
    intervals (for sweeps); every other field is the same.

    Raises ValueError when there are no events or an event kind is unknown.
    """
    opened, later = _ordered(events, now)
    if opened is None:
        raise ValueError("SLA clock: no events (a ticket needs at least its 'open' event)")
    not_started: tuple[list[_Segment], str, None, str] = ([], "run", None, "")
    response = _measure(
        "response", targets.response_seconds, targets.warn_share, opened,
        *(_response_segments(opened, later, now) if now >= opened else not_started),
        calendar, now, detail,
    )
    resolution = _measure(
        "resolution", targets.resolution_seconds, targets.warn_share, opened,
        *(_resolution_segments(opened, later, now) if now >= opened else not_started),
        calendar, now, detail,
    )
    return SlaStatus(response=response, resolution=resolution)


def format_business_duration(seconds: float) -> str:
    """Business time as hours and minutes, never days: "45m", "3h 20m", "27h 10m".

    A "day" of business time is ambiguous (8 h? 10 h? 24 h?), so hours keep growing.
    Whole minutes, rounded down; "<1m" for a positive amount under a minute; a negative
    amount (overdue) gets a leading "-".
    """
    if seconds < 0:
        return "-" + format_business_duration(-seconds)
    if 0 < seconds < 60:
        return "<1m"
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return f"{minutes}m"
    return f"{hours}h {minutes}m"


def _when(at: datetime | None, calendar: BusinessCalendar | None) -> str:
    if at is None:
        return "-"
    if calendar is None or calendar.timezone == "UTC":
        return at.strftime("%a %Y-%m-%d %H:%M UTC")
    return calendar.local_time(at).strftime("%a %Y-%m-%d %H:%M %Z")


_VERDICTS = {
    SlaState.OK: "ok",
    SlaState.AT_RISK: "at risk",
    SlaState.BREACHED: "BREACHED",
    SlaState.PAUSED: "paused",
    SlaState.MET: "met",
}


def explain(status: SlaStatus, calendar: BusinessCalendar | None = None) -> list[str]:
    """Human lines: per target the verdict, each interval (counted, outside business hours
    or holiday, paused and why), and the breach instant. With a calendar, times are shown
    in its local time zone; otherwise in UTC."""
    lines: list[str] = []
    if calendar is not None:
        label = calendar.name or calendar.timezone
        lines.append(f"calendar: {label} ({calendar.timezone}); business time only")
    for target in status.targets:
        lines.extend(_explain_target(target, calendar))
    return lines


def _explain_target(target: TargetStatus, calendar: BusinessCalendar | None) -> list[str]:
    used = format_business_duration(target.elapsed_seconds)
    goal = format_business_duration(target.target_seconds)
    verdict = "not measured (the ticket was cancelled)" if target.void else _VERDICTS[target.state]
    head = (
        f"{target.name}: {verdict} -- {used} of {goal} business time used "
        f"({target.share:.0%})"
    )
    lines = [head]
    for interval in target.intervals:
        span = f"{_when(interval.start, calendar)} -> {_when(interval.end, calendar)}"
        if interval.kind == COUNTED:
            lines.append(f"  {span}  counted {format_business_duration(interval.business_seconds)}  ({interval.reason})")
        elif interval.kind == PAUSED:
            held = format_business_duration(interval.business_seconds)
            lines.append(f"  {span}  not counted: {interval.reason}; {held} of business time held back")
        else:
            lines.append(f"  {span}  not counted: {interval.reason}")
    if target.stopped_at is not None:
        why = f" ({target.stop_reason})" if target.stop_reason else ""
        lines.append(f"  stopped at {_when(target.stopped_at, calendar)}{why}")
    if target.breached_at is not None and target.breached_under:
        lines.append(f"  breached at {_when(target.breached_at, calendar)} under policy {target.breached_under}, "
                     "before the priority changed: a breach stays a breach")
    elif target.breached_at is not None:
        lines.append(f"  breached at {_when(target.breached_at, calendar)}")
    elif target.state == SlaState.PAUSED:
        lines.append(f"  due time on hold while paused; {format_business_duration(target.remaining_seconds)} left")
    elif target.due_at is not None:
        prefix = "was due" if target.stopped_at is not None else "due"
        left = "" if target.stopped_at is not None else f"; {format_business_duration(target.remaining_seconds)} left"
        lines.append(f"  {prefix} {_when(target.due_at, calendar)}{left}")
    return lines
