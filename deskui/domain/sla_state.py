"""The live SLA state of a ticket at an instant, from its stored clock.

The SLA clock (``deskui.domain.sla.evaluate``) is exact but needs the ticket's
history. Every change (and the sweep) stores its outcome on the ticket: per
target the state at that moment, the instant it falls due and the instant it
turns at risk. Between two refreshes the only thing that moves is time, so the
state *now* follows from those three values alone. This module is that rule,
decided once: the queue's SLA cell, the ``sla:`` filter (``store/queue_filter``
states the same rule in SQL, and a test holds the two together), the view
counts, the wallboard and the sweep all use it. A ticket whose warning time
passed after the last sweep is at risk everywhere at once.

Per target (``live_target_state``):

- stored ``breached``, ``met`` or ``paused``: as stored (a paused clock does not
  move; a stopped one is final until a change refreshes it);
- running (stored ``ok`` or ``at_risk``): ``breached`` once ``now > due_at`` (a
  deadline at this very instant has not passed: the clock's own rule), else
  ``at_risk`` once stored so or ``now >= warn_at``, else ``ok``.

Per ticket (``live_ticket_state``): an active ticket (new, open, pending) is the
worse of its two targets (breached > at_risk > paused > ok); a resolved or
closed one is ``met`` unless a target breached; a cancelled one has no state.
"""

from __future__ import annotations

from datetime import datetime

from deskui.domain.enums import ACTIVE_STATUSES, SlaState, Status

RUNNING = frozenset({SlaState.OK, SlaState.AT_RISK})
SETTLED = frozenset({SlaState.BREACHED, SlaState.MET, SlaState.PAUSED})
# Worst first: the order the ticket's overall state is decided in.
SEVERITY = (SlaState.BREACHED, SlaState.AT_RISK, SlaState.PAUSED, SlaState.OK)
FINISHED = frozenset({Status.RESOLVED, Status.CLOSED})


def live_target_state(stored: str | SlaState, warn_at: datetime | None, due_at: datetime | None,
                      now: datetime) -> SlaState:
    """One target's state at ``now`` from what the last refresh stored."""
    state = SlaState(stored)
    if state in SETTLED:
        return state
    if due_at is not None and now > due_at:
        return SlaState.BREACHED
    if state is SlaState.AT_RISK or (warn_at is not None and now >= warn_at):
        return SlaState.AT_RISK
    return SlaState.OK


def worse(first: SlaState, second: SlaState) -> SlaState:
    """The worse of two live target states (breached > at_risk > paused > ok)."""
    for state in SEVERITY:
        if state in (first, second):
            return state
    return SlaState.OK


def live_ticket_state(status: str | Status, response: SlaState, resolution: SlaState) -> SlaState | None:
    """The ticket's overall state from its two live target states; None when it
    has none (cancelled)."""
    status = Status(status)
    if status in ACTIVE_STATUSES:
        return worse(response, resolution)
    if status in FINISHED:
        return SlaState.BREACHED if SlaState.BREACHED in (response, resolution) else SlaState.MET
    return None


def ticket_state_at(status: str | Status, response: tuple, resolution: tuple, now: datetime) -> SlaState | None:
    """Shortcut: ``response`` and ``resolution`` are (stored state, warn_at, due_at)."""
    return live_ticket_state(status, live_target_state(*response, now), live_target_state(*resolution, now))
