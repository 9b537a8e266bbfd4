"""The SLA of a ticket whose priority changed: which policy measures it, and why a
breach stays a breach.

The rule (docs/metrics.md, issue 19.3): the policy of the ticket's current
priority measures both targets **from the opening** (the business time already
used carries over; only the goal changes, as service desks usually do it). But
a target that had breached under the policy in force before a change stays
breached at the instant it breached, whatever the new policy would say: lowering
a ticket's priority cannot turn a miss into a success. The earliest breach wins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Sequence

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import SlaState
from deskui.domain.sla import ClockEvent, SlaStatus, SlaTargets, TargetStatus, evaluate


@dataclass(frozen=True)
class PolicyInForce:
    """A policy and the instant it started to apply (the opening, for the first)."""

    since: datetime | None
    name: str
    targets: SlaTargets
    calendar: BusinessCalendar


def evaluate_in_force(events: Sequence[ClockEvent], policies: Sequence[PolicyInForce], now: datetime, *,
                      detail: bool = True) -> SlaStatus:
    """The ticket's SLA as of ``now`` under the last policy of ``policies`` (in
    order of ``since``), keeping any breach that happened under an earlier one
    before it was replaced."""
    current = policies[-1]
    status = evaluate(events, current.targets, current.calendar, now, detail=detail)
    for earlier, replaced_by in zip(policies, policies[1:]):
        until = min(replaced_by.since or now, now)
        before = evaluate(events, earlier.targets, earlier.calendar, until, detail=False)
        status = SlaStatus(_kept(status.response, before.response, earlier.name),
                           _kept(status.resolution, before.resolution, earlier.name))
    return status


def _kept(now_: TargetStatus, before: TargetStatus, policy: str) -> TargetStatus:
    """``now_``, unless ``before`` (the same target under an earlier policy) breached earlier."""
    if before.state != SlaState.BREACHED or before.breached_at is None:
        return now_
    if now_.breached_at is not None and now_.breached_at <= before.breached_at:
        return now_
    return replace(now_, state=SlaState.BREACHED, breached_at=before.breached_at, due_at=before.breached_at,
                   breached_under=policy)
