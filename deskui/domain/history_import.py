"""Changes an import plans: the source is the authority on what happened.

An imported row says what a ticket became in the old tool, not which transition an
analyst made, so these changes follow the source where the workflow would refuse
(a closed ticket reopened, pending without a reason) and say so in the events.
They plan through the same :class:`~deskui.domain.history.HistoryPlan` changes as
the services, so an imported status, resolution or reassignment writes the events
the use case would have.
"""

from __future__ import annotations

from datetime import datetime

from deskui.domain.history import ACTIVE, CANCELLED, CLOSED, NEW, OPEN, PENDING, RESOLVED, HistoryPlan

FINAL = frozenset({RESOLVED, CLOSED, CANCELLED})


def follow_status(plan: HistoryPlan, at: datetime, new: str, pending_reason: str, *, title: str,
                  resolved_at: datetime | None, closed_at: datetime | None, code: str, notes: str,
                  first_seen: bool = False) -> None:
    """The status the source gives (a ticket never goes back to new); a source that
    reopens a final ticket reopens it. ``resolved_at``/``closed_at``: the source's
    times; ``code``/``notes``: the resolution, defaults applied; ``first_seen``: this
    row is the first the import sees of the ticket (its time is no transition).

    The resolution time comes from the data, never from the close (docs/metrics.md):
    the source's resolved time; else the time of the row where the ticket turned
    resolved (an audit log's transition); else it is unknown: the ticket is resolved
    at its close (or the row's time), flagged, and left out of every duration."""
    old = plan.status
    if new == NEW and old != NEW:
        new = OPEN
    reason = pending_reason if new == PENDING else ""
    if old == new:
        if new == PENDING and reason and reason != plan.pending_reason:
            plan.field(at, "pending_reason", plan.pending_reason, reason)
            plan.pending_reason = reason
        return
    if old == RESOLVED and new == CLOSED:
        _close(plan, at, closed_at)
        return
    if old in FINAL:
        plan.reopen(at, f"reopened in {title}", from_final=True)
        if new == OPEN:
            return
    if new in ACTIVE or new == CANCELLED:
        plan.to_status(at, new, reason, reason)
    elif new == RESOLVED:
        transition = None if first_seen else at
        _resolve(plan, at, resolved_at or transition, code, notes, fallback=closed_at)
    elif new == CLOSED:  # closed without a resolved row: only the source's resolved time says when
        _resolve(plan, at, resolved_at, code, notes, fallback=closed_at)
        _close(plan, at, closed_at)


def _resolve(plan: HistoryPlan, at: datetime, when: datetime | None, code: str, notes: str, *,
             fallback: datetime | None) -> None:
    """Resolve at ``when``; without one, at ``fallback`` (the close) or the row's time,
    with the resolution time marked unknown."""
    plan.resolve(max(when or fallback or at, plan.created_at), code, notes, checked=False)
    plan.resolution_time_unknown = when is None


def _close(plan: HistoryPlan, at: datetime, when: datetime | None) -> None:
    plan.close(max(when or at, plan.resolved_at or plan.created_at))


def follow_priority(plan: HistoryPlan, at: datetime, impact: str, urgency: str, priority: int, reason: str) -> None:
    """Impact, urgency and priority as the source has them: a priority event when the
    priority moves, else a field event for each level that moved."""
    for name, value in (("impact", impact), ("urgency", urgency)):
        old = getattr(plan, name)
        if value != old:
            if priority == plan.priority:
                plan.field(at, name, old, value)
            setattr(plan, name, value)
    if priority != plan.priority:
        plan.set_priority(at, priority, reason)
    plan.priority_reason = reason


def follow_group(plan: HistoryPlan, at: datetime, group_id: int | None, name: str, tier: int, title: str) -> None:
    """The source's group (its assignee is the source's too); a higher-tier group escalates."""
    if plan.set_group(at, group_id, name, keeps_assignee=True) and group_id is not None:
        plan.raise_tier(at, tier, f"moved to {name} in {title}")


def keep_source_counters(plan: HistoryPlan, reopens: int | None, reassignments: int | None) -> None:
    """The source's own counters win over the ones the planned history gives."""
    if reopens is not None:
        plan.reopen_count = reopens
    if reassignments is not None:
        plan.reassignment_count = reassignments
