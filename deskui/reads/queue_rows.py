"""One queue line as the screen shows it: its plain values, its SLA calendar,
and the SLA cell (countdown and live state) at an instant.

The state comes from ``deskui.domain.sla_state`` (the rule the ``sla:`` filter,
the view counts and the wallboard also use); this module only picks which
deadline the countdown shows and how much business time is left before it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import ACTIVE_STATUSES, SlaState
from deskui.domain.sla_state import FINISHED, ticket_state_at
from deskui.store.queue_live import QueueLine

_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)
_FINISHED = frozenset(status.value for status in FINISHED)


@dataclass(frozen=True, slots=True)
class QueueRow(QueueLine):
    """One queue line's data (plain values only) and its SLA policy's calendar
    (None: no policy, or a 24x7 clock)."""

    calendar: BusinessCalendar | None = None

    @classmethod
    def from_line(cls, line: QueueLine, calendar: BusinessCalendar | None) -> "QueueRow":
        return cls(*(getattr(line, f.name) for f in fields(QueueLine)), calendar=calendar)

    def sla_state(self, now: datetime) -> SlaState | None:
        """The live overall state (deskui.domain.sla_state.ticket_state_at)."""
        return ticket_state_at(self.status, (self.response_state, self.response_warn_at, self.response_due_at),
                               (self.resolution_state, self.resolution_warn_at, self.resolution_due_at), now)


def age(since: datetime, now: datetime) -> str:
    """Wall-clock age, short: now, 12m, 5h, 3d, 12w, 3y."""
    seconds = (now - since).total_seconds()
    if seconds < 60:
        return "now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    days = minutes // 1440
    if days < 14:
        return f"{days}d"
    if days < 730:
        return f"{days // 7}w"
    return f"{days // 365}y"


def countdown(seconds: float) -> str:
    """Business time left ('-' once overdue), at most 7 cells: 45m, 3h05m, 12d04h, 123d."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds)) // 60
    if minutes < 60:
        return f"{sign}{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 100:
        return f"{sign}{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{sign}{days}d{hours:02d}h" if days < 100 else f"{sign}{days}d"


def business_left(calendar: BusinessCalendar | None, now: datetime, due: datetime) -> float:
    """Business seconds from ``now`` to ``due`` (negative once past)."""
    if calendar is None:
        return (due - now).total_seconds()
    if due >= now:
        return calendar.business_seconds(now, due)
    return -calendar.business_seconds(due, now)


def sla_cell(row: QueueRow, now: datetime) -> tuple[str, str]:
    """(text, state) of the SLA column: the countdown to the next running
    deadline in business time ("r" in front when that is the first response),
    or how the SLA ended. The state is the ticket's live state: ok, at_risk,
    breached, paused, met, or none (no SLA, or cancelled)."""
    state = row.sla_state(now)
    if row.status in _FINISHED:
        return ("missed", "breached") if state is SlaState.BREACHED else ("met", "met")
    if row.status not in _ACTIVE or state is None:
        return ("—", "none")
    running = []
    if row.first_response_at is None and row.response_due_at is not None and row.response_state != "met":
        running.append((row.response_due_at, True))
    if row.resolution_due_at is not None and row.resolution_state != "paused":
        running.append((row.resolution_due_at, False))
    if not running:
        if row.resolution_state == "paused" or row.status == "pending":
            return ("paused", "breached" if state is SlaState.BREACHED else "paused")
        return ("—", "breached" if state is SlaState.BREACHED else "none")
    due, is_response = min(running)
    # "r": the first response is the next deadline (the sort follows resolution).
    return ("r" if is_response else "") + countdown(business_left(row.calendar, now, due)), state.value
