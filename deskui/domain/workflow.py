"""The status workflow: allowed transitions only (DESIGN.md §2)."""

from __future__ import annotations

from deskui.domain.enums import PendingReason, Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED, Status.CANCELLED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


class WorkflowError(ValueError):
    """A transition the workflow does not allow, or one missing what it requires."""


def allowed_targets(current: Status | str) -> frozenset[Status]:
    return TRANSITIONS[Status(current)]


def check_transition(
    current: Status | str,
    target: Status | str,
    *,
    pending_reason: PendingReason | str | None = None,
    resolution_code: str | None = None,
    resolution_notes: str | None = None,
) -> None:
    """Raise WorkflowError unless ``current -> target`` is allowed with what it needs."""
    current, target = Status(current), Status(target)
    if target not in TRANSITIONS[current]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (final)"
        raise WorkflowError(
            f"status: cannot go from {current.value} to {target.value}; allowed: {options}"
        )
    if target is Status.PENDING:
        if not pending_reason:
            choices = ", ".join(r.value for r in PendingReason)
            raise WorkflowError(f"pending_reason: required for pending; one of {choices}")
        PendingReason(pending_reason)
    if target is Status.RESOLVED:
        if not (resolution_code and str(resolution_code).strip()):
            raise WorkflowError("resolution_code: required to resolve")
        if not (resolution_notes and resolution_notes.strip()):
            raise WorkflowError("resolution_notes: required to resolve")
