"""What history a change writes: the one planner of every writer (DESIGN.md §1, §2 Tickets).

Given a ticket's state (:class:`TicketState`: the fields its history depends on) and
a change, the planner gives the new state and the events to write. Every writer
plans through it -- the services one use case at a time, the importers and the
generator whole batches -- and only the flushing differs (the ORM per use case,
bulk writers in ``deskui.store`` for batches)::

    plan = HistoryPlan(state, actor_id=7, actor="ann")
    plan.assign(now, 7, "ann")          # a change: rules applied, events planned
    plan.resolve(now, "solved", "Reset the token.")
    plan.state()                        # the new TicketState
    plan.events                         # [PlannedEvent(at, actor_id, actor, kind, field, old, new, detail, comment_id)]

A plan is a working copy (slots, no copies per change) so batch writers can plan
millions of changes; ``state()`` snapshots it. ``actor_id``/``actor`` are who acts
for the changes planned next (a writer may change them between changes). The
workflow (``deskui.domain.workflow``) is enforced by the changes an analyst or a
rule makes; an import follows its source (``deskui.domain.history_import``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import NamedTuple

from deskui.domain.enums import ACTIVE_STATUSES, EventKind, PendingReason, Status, Visibility
from deskui.domain.priority import matrix_reason
from deskui.domain.workflow import TRANSITIONS, WorkflowError, check_transition

# Plain strings (not enum members): bulk writers hand them to the driver as they are.
CREATED, STATUS, ASSIGNED, GROUP, PRIORITY, COMMENT, ESCALATED, RESOLVED_KIND, REOPENED, CLOSED_KIND = (
    k.value for k in (EventKind.CREATED, EventKind.STATUS, EventKind.ASSIGNED, EventKind.GROUP, EventKind.PRIORITY,
                      EventKind.COMMENT, EventKind.ESCALATED, EventKind.RESOLVED, EventKind.REOPENED,
                      EventKind.CLOSED))
FIRST_RESPONSE, SLA_BREACH, FIELD, IMPORTED, LINKED, RULE, NOTIFIED, APPROVAL, CHECKLIST = (
    k.value for k in (EventKind.FIRST_RESPONSE, EventKind.SLA_BREACH, EventKind.FIELD, EventKind.IMPORTED,
                      EventKind.LINKED, EventKind.RULE, EventKind.NOTIFIED, EventKind.APPROVAL, EventKind.CHECKLIST))
NEW, OPEN, PENDING, RESOLVED, CLOSED, CANCELLED = (s.value for s in Status)
ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)
PUBLIC = Visibility.PUBLIC.value
_PENDING_REASONS = frozenset(r.value for r in PendingReason)


def counts_as_reassignment(last_assignee: int | None, new_assignee: int | None) -> bool:
    """The reassignment rule, in one place: a ticket passes from one analyst to
    another, straight (A to B) or through nobody (A, unassigned, then B). Taking a
    ticket nobody ever had, unassigning, or giving it back to the analyst who had it
    last (A, unassigned, A) is not a reassignment. ``last_assignee``: the analyst
    the ticket was last assigned to, kept through an unassignment."""
    return last_assignee is not None and new_assignee is not None and new_assignee != last_assignee


@dataclass(frozen=True, slots=True)
class TicketState:
    """The fields of a ticket its history depends on (names beside ids, for events)."""

    ticket_id: int | None = None
    created_at: datetime | None = None
    status: str = NEW
    pending_reason: str = ""
    group_id: int | None = None
    group: str = ""
    tier: int = 1
    assignee_id: int | None = None
    assignee: str = ""
    first_assignee_id: int | None = None
    # The analyst the ticket was last assigned to, kept through an unassignment (not a
    # column: the assignee while there is one, else the history's last assignment).
    last_assignee_id: int | None = None
    impact: str = "medium"
    urgency: str = "medium"
    priority: int = 3
    priority_reason: str = ""
    resolution_code: str = ""
    resolution_notes: str = ""
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    reassignment_count: int = 0
    escalation_count: int = 0
    sla_breach_recorded: bool = False
    # Resolved, but the source gives no resolution time (resolved_at is then the
    # close time, for counting only): left out of every duration (issue 16.1).
    resolution_time_unknown: bool = False


STATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(TicketState))
# The state's fields stored as ticket columns of the same name (names are looked up).
COLUMN_FIELDS: tuple[str, ...] = tuple(f for f in STATE_FIELDS
                                       if f not in ("ticket_id", "group", "assignee", "last_assignee_id"))


class PlannedEvent(NamedTuple):
    """One event to write: who, when, what (DESIGN.md §2: every change writes one)."""

    at: datetime
    actor_id: int | None
    actor: str
    kind: str
    field: str = ""
    old: str = ""
    new: str = ""
    detail: str = ""
    comment_id: int | None = None


_event = tuple.__new__  # PlannedEvent from a full tuple, without NamedTuple's keyword handling


class HistoryPlan:
    """A ticket's state being changed, and the events the changes write (module docstring)."""

    __slots__ = (*STATE_FIELDS, "actor_id", "actor", "events")

    def __init__(self, state: TicketState = TicketState(), actor_id: int | None = None, actor: str = "",
                 **fields):
        """From ``state`` (default: a new ticket), with ``fields`` of it replaced
        (a batch writer starting a ticket need not build a TicketState first)."""
        # One line a field: a loop of setattr costs a batch writer ten times as much.
        self.ticket_id = state.ticket_id
        self.created_at = state.created_at
        self.status = state.status
        self.pending_reason = state.pending_reason
        self.group_id = state.group_id
        self.group = state.group
        self.tier = state.tier
        self.assignee_id = state.assignee_id
        self.assignee = state.assignee
        self.first_assignee_id = state.first_assignee_id
        self.last_assignee_id = state.last_assignee_id if state.assignee_id is None else state.assignee_id
        self.impact = state.impact
        self.urgency = state.urgency
        self.priority = state.priority
        self.priority_reason = state.priority_reason
        self.resolution_code = state.resolution_code
        self.resolution_notes = state.resolution_notes
        self.first_response_at = state.first_response_at
        self.resolved_at = state.resolved_at
        self.closed_at = state.closed_at
        self.reopen_count = state.reopen_count
        self.reassignment_count = state.reassignment_count
        self.escalation_count = state.escalation_count
        self.sla_breach_recorded = state.sla_breach_recorded
        self.resolution_time_unknown = state.resolution_time_unknown
        for name, value in fields.items():
            setattr(self, name, value)
        self.actor_id = actor_id
        self.actor = actor
        self.events: list[PlannedEvent] = []

    def state(self) -> TicketState:
        return TicketState(*(getattr(self, name) for name in STATE_FIELDS))

    def acting(self, actor_id: int | None, actor: str) -> "HistoryPlan":
        """Who acts for the changes planned next."""
        self.actor_id, self.actor = actor_id, actor
        return self

    def emit(self, at: datetime, kind: str, field: str = "", old: str = "", new: str = "", detail: str = "",
             comment_id: int | None = None) -> None:
        self.events.append(_event(PlannedEvent, (at, self.actor_id, self.actor, kind, field, old, new, detail,
                                                 comment_id)))

    # ------------------------------------------------------------------ workflow

    def require_active(self) -> None:
        if self.status not in ACTIVE:
            raise WorkflowError(f"ticket {self._ref()} is {self.status}; reopen it first")

    def check(self, target: str, *, pending_reason: str = "", code: str = "", notes: str = "") -> None:
        """The workflow's verdict on ``status -> target`` (a quick yes, else check_transition's error)."""
        if (target in TRANSITIONS.get(self.status, ()) and (target != PENDING or pending_reason in _PENDING_REASONS)
                and (target != RESOLVED or (code.strip() and notes.strip()))):
            return
        check_transition(self.status, target, pending_reason=pending_reason or None, resolution_code=code,
                         resolution_notes=notes)

    def _ref(self) -> str:
        return f"#{self.ticket_id}" if self.ticket_id is not None else "(new)"

    # ------------------------------------------------------------------ changes

    def create(self, at: datetime, channel: str, note: str = "") -> None:
        """The ticket is opened (``via <channel>``, and what else the writer notes)."""
        self.emit(at, CREATED, detail=f"via {channel}; {note}" if note else f"via {channel}")

    def assign(self, at: datetime, analyst_id: int | None, username: str, *, opens: bool = True) -> bool:
        """Assign to an analyst (None: nobody). The first assignment opens a new ticket
        (``opens=False``: an import keeps its source's status). False: no change."""
        if analyst_id == self.assignee_id:
            return False
        if counts_as_reassignment(self.last_assignee_id, analyst_id):
            self.reassignment_count += 1
        if analyst_id is not None:
            self.last_assignee_id = analyst_id
            if self.first_assignee_id is None:
                self.first_assignee_id = analyst_id
            if opens and self.status == NEW:
                self.emit(at, STATUS, "status", NEW, OPEN)
                self.status = OPEN
        self.emit(at, ASSIGNED, "assignee", self.assignee, username)
        self.assignee_id, self.assignee = analyst_id, username
        return True

    def set_group(self, at: datetime, group_id: int | None, name: str, *, keeps_assignee: bool) -> bool:
        """Move to a group; an assignee who is not a member of it (``keeps_assignee``
        False) is unassigned. False: already there."""
        if group_id == self.group_id:
            return False
        self.emit(at, GROUP, "group", self.group, name)
        self.group_id, self.group = group_id, name
        if not keeps_assignee and self.assignee_id is not None:
            self.assign(at, None, "")
        return True

    def route(self, at: datetime, group_id: int, name: str, tier: int, *, keeps_assignee: bool) -> bool:
        """Reach the group a ticket is routed to (a request once approved): its tier,
        which is not an escalation."""
        moved = self.set_group(at, group_id, name, keeps_assignee=keeps_assignee)
        self.tier = tier
        return moved

    def escalate(self, at: datetime, reason: str, *, tier: int | None = None, group_tier: int = 1) -> None:
        """Functional escalation: to ``tier``, else to the new group's tier when higher;
        counted even when the tier stays (a move to a specialist group)."""
        old = self.tier
        self.tier = tier if tier is not None else max(old, group_tier)
        self.escalation_count += 1
        self.emit(at, ESCALATED, "tier", str(old), str(self.tier), reason)

    def raise_tier(self, at: datetime, tier: int, detail: str) -> bool:
        """Up to ``tier`` when it is higher (a move to a higher-tier group by a rule or a source)."""
        if tier <= self.tier:
            return False
        self.escalate(at, detail, tier=tier)
        return True

    def change_status(self, at: datetime, target: str, *, pending_reason: str = "", note: str = "") -> None:
        """Move along the workflow (reopening, resolving and closing are their own
        changes). Pending needs a reason: the event's detail, else ``note``."""
        self.check(target, pending_reason=pending_reason)
        self.to_status(at, target, pending_reason, pending_reason or note)

    def to_status(self, at: datetime, target: str, pending_reason: str = "", detail: str = "") -> None:
        """The status event without the workflow's check (imports follow their source)."""
        self.emit(at, STATUS, "status", self.status, target, detail)
        self.status = target
        self.pending_reason = pending_reason

    def resolve(self, at: datetime, code: str, notes: str, *, checked: bool = True) -> None:
        """Resolved with a code and notes (both required by the workflow)."""
        if checked:
            self.check(RESOLVED, code=code, notes=notes)
        self.emit(at, RESOLVED_KIND, "status", self.status, RESOLVED, f"{code}: {notes}")
        self.status, self.pending_reason, self.resolved_at = RESOLVED, "", at
        self.resolution_code, self.resolution_notes = code, notes
        self.resolution_time_unknown = False

    def close(self, at: datetime) -> None:
        self.check(CLOSED)
        self.emit(at, CLOSED_KIND, "status", self.status, CLOSED)
        self.status, self.closed_at = CLOSED, at

    def reopen(self, at: datetime, reason: str, *, from_final: bool = False) -> None:
        """Resolved -> open, the resolution clock resumes (``from_final``: an import
        reopening a closed or cancelled ticket its source reopened)."""
        if not from_final:
            self.check(OPEN)
            if self.status != RESOLVED:
                raise WorkflowError(f"reopen: ticket {self._ref()} is {self.status}, only resolved tickets reopen")
        self.emit(at, REOPENED, "status", self.status, OPEN, reason)
        self.status, self.resolved_at, self.closed_at = OPEN, None, None
        self.reopen_count += 1

    def rerate(self, at: datetime, impact: str, urgency: str, priority: int) -> None:
        """New impact/urgency; ``priority`` is what the matrix gives for them."""
        self.impact, self.urgency = impact, urgency
        self.set_priority(at, priority, matrix_reason(impact, urgency, priority))

    def override_priority(self, at: datetime, priority: int, reason: str, *, by: str, impact: str | None = None,
                          urgency: str | None = None) -> None:
        """An analyst's priority instead of the matrix's, with the reason recorded
        (and impact/urgency as they now are, when they changed too)."""
        self.impact, self.urgency = impact or self.impact, urgency or self.urgency
        self.set_priority(at, priority, f"override by {by}: {reason}")

    def raise_priority(self, at: datetime, reason: str) -> bool:
        """One step up (P3 -> P2), unless already P1."""
        if self.priority <= 1:
            return False
        self.set_priority(at, self.priority - 1, reason)
        return True

    def set_priority(self, at: datetime, priority: int, reason: str) -> None:
        old = self.priority
        self.priority, self.priority_reason = priority, reason
        self.emit(at, PRIORITY, "priority", f"P{old}", f"P{priority}", reason)

    def comment(self, at: datetime, comment_id: int | None, visibility: str, body: str, *,
                by_analyst: bool = False) -> bool:
        """A comment was added. True when it is the first public reply by an analyst: the
        writer then plans :meth:`first_response` (after claiming it when others may race)."""
        self.emit(at, COMMENT, visibility, detail=body[:120], comment_id=comment_id)
        return by_analyst and visibility == PUBLIC and self.first_response_at is None

    def first_response(self, at: datetime, detail: str = "", *, comment_id: int | None = None) -> bool:
        """The response clock stops (once): at a first public reply (``comment N``), or
        where an import says. False when it already had."""
        if self.first_response_at is not None:
            return False
        self.first_response_at = at
        self.emit(at, FIRST_RESPONSE, detail=detail or f"comment {comment_id}")
        return True

    def sla_breach(self, at: datetime, target: str, policy: str) -> None:
        """A target breached (written once per target: the writer checks what is recorded)."""
        self.emit(at, SLA_BREACH, target, detail=f"{target} target of {policy} breached")
        self.sla_breach_recorded = True

    def link(self, at: datetime, what: str, ref: str, detail: str) -> None:
        """Linked to a problem, bulletin, article or earlier ticket (``what``)."""
        self.emit(at, LINKED, what, new=ref, detail=detail)

    def unlink(self, at: datetime, what: str, ref: str, detail: str = "unlinked") -> None:
        self.emit(at, LINKED, what, old=ref, detail=detail)

    def rule_fired(self, at: datetime, field: str, detail: str, new: str = "") -> None:
        """An automation rule fired (why); its actions follow as their own events."""
        self.emit(at, RULE, field, new=new, detail=detail)

    def notified(self, at: datetime, group: str, detail: str) -> None:
        self.emit(at, NOTIFIED, "group", new=group, detail=detail)

    def approval(self, at: datetime, field: str, new: str, detail: str, old: str = "") -> None:
        """Approval of a request: ``field`` "approval" (the request's) or "approver" (one decision)."""
        self.emit(at, APPROVAL, field, old, new, detail)

    def checklist(self, at: datetime, position: int, done: bool, text: str) -> None:
        self.emit(at, CHECKLIST, f"step {position}", "" if done else "done", "done" if done else "", text)

    def survey(self, at: datetime, score: int, comment: str) -> None:
        self.emit(at, FIELD, "survey", new=str(score), detail=comment[:300])

    def field(self, at: datetime, name: str, old: str = "", new: str = "", detail: str = "") -> None:
        """Any other field (an alert's state, an imported field)."""
        self.emit(at, FIELD, name, old, new, detail)

    def imported(self, at: datetime, old_version: str, new_version: str, note: str) -> None:
        """A source row applied (its version, the source's fields in ``note``)."""
        self.emit(at, IMPORTED, "source_version", old_version, new_version, note)
