"""Ticket use cases. Each is one transaction that writes ticket events.

Optimistic locking (DESIGN.md §3): a mutation claims the row with
``UPDATE tickets SET version = seen + 1 WHERE id = :id AND version = :seen``
before changing anything. Zero rows means someone else changed the ticket
first: the transaction rolls back and ``ConflictError`` carries the fresh ticket.
Callers that pass ``version`` (what the analyst saw) also get a conflict when
the ticket moved on since they loaded it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import (
    ACTIVE_STATUSES, Channel, EventKind, Level, PendingReason, ResolutionCode, Status, TicketType, Visibility,
    parse_enum,
)
from deskui.domain.priority import PriorityMatrix
from deskui.domain.text import clean_subject, clean_text
from deskui.domain.workflow import WorkflowError, check_transition
from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.services import sla
from deskui.services.actors import Actor
from deskui.services.directory import (
    analyst_by_username, category_by_path, group_by_name, requester_for, routing_group_id,
)
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Comment, Group, GroupMember, Setting, Ticket, TicketEvent
from deskui.store.records import CommentRecord, TicketRecord
from deskui.store.tickets import ticket_record


def priority_matrix(session: Session) -> PriorityMatrix:
    row = session.get(Setting, "priority_matrix")
    return PriorityMatrix.from_rows(json.loads(row.value)) if row else PriorityMatrix()


def _enum(enum, value, field):
    try:
        return parse_enum(enum, value, field)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def record_event(session: Session, ticket_id: int, actor: Actor, at: datetime, kind: EventKind, *, field: str = "",
           old: object = "", new: object = "", detail: str = "", comment_id: int | None = None) -> None:
    session.add(TicketEvent(
        ticket_id=ticket_id, at=at, actor_id=actor.id, actor=actor.username, kind=kind.value, field=field,
        old=_s(old)[:300], new=_s(new)[:300], detail=detail, comment_id=comment_id,
    ))


def _s(value: object) -> str:
    return "" if value is None else str(value)


# ------------------------------------------------------------------ open

def open_ticket(
    engine: Engine,
    actor: Actor,
    *,
    subject: str,
    requester: str,
    requester_name: str = "",
    description: str = "",
    type: str = "incident",
    channel: str = "portal",
    category: str | None = None,
    impact: str = "medium",
    urgency: str = "medium",
    ci: str = "",
    group: str | None = None,
    assignee: str | None = None,
    external_ref: str | None = None,
    at: datetime | None = None,
) -> TicketRecord:
    """Open a ticket: priority from the matrix, routing from the category, SLA due times."""
    subject = clean_subject(subject)
    if not subject:
        raise ValidationError("subject: must not be empty")
    ticket_type = _enum(TicketType, type, "type")
    channel_value = _enum(Channel, channel, "channel")
    impact_value = _enum(Level, impact, "impact")
    urgency_value = _enum(Level, urgency, "urgency")
    now = at or clock.now()
    with write_session(engine) as session:
        matrix = priority_matrix(session)
        person = requester_for(session, requester, requester_name)
        category_row = category_by_path(session, category) if category else None
        group_id = None
        if group:
            group_id = group_by_name(session, group).id
        elif category_row is not None:
            group_id = routing_group_id(session, category_row)
        tier = session.get(Group, group_id).tier if group_id else 1
        ticket = Ticket(
            type=ticket_type.value, subject=subject, description=clean_text(description),
            requester_id=person.id, channel=channel_value.value,
            category_id=category_row.id if category_row else None,
            impact=impact_value.value, urgency=urgency_value.value,
            priority=matrix.priority(impact_value, urgency_value),
            priority_reason=matrix.reason(impact_value, urgency_value),
            status=Status.NEW.value, group_id=group_id, tier=tier, ci=clean_text(ci, single_line=True)[:200],
            created_at=now, updated_at=now, external_ref=external_ref, updated_by=actor.username,
        )
        session.add(ticket)
        session.flush()
        record_event(session, ticket.id, actor, now, EventKind.CREATED, detail=f"via {channel_value.value}")
        if assignee:
            analyst = analyst_by_username(session, assignee)
            _set_assignee(session, ticket, actor, now, analyst)
        else:  # assignment-on-open rules (issue 7: deskui/services/automation.py)
            from deskui.services.automation import on_open
            on_open(session, ticket, now)
        sla.refresh(session, ticket, actor.username, now)
        session.flush()
        return ticket_record(session, ticket.id)


# ------------------------------------------------------------------ mutation core

def _mutate(engine: Engine, actor: Actor, ticket_id: int, version: int | None,
            change: Callable[[Session, Ticket, datetime], None], *, at: datetime | None = None) -> TicketRecord:
    now = at or clock.now()
    with write_session(engine) as session:
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        seen = ticket.version
        if version is not None and version != seen:
            raise _conflict(session, ticket_id)
        claimed = session.execute(
            update(Ticket).where(Ticket.id == ticket_id, Ticket.version == seen).values(version=seen + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            session.rollback()
            raise _conflict_fresh(engine, ticket_id)
        ticket.version = seen + 1
        change(session, ticket, now)
        ticket.updated_at = now
        ticket.updated_by = actor.username
        sla.refresh(session, ticket, actor.username, now)
        session.flush()
        return ticket_record(session, ticket_id)


def _conflict(session: Session, ticket_id: int) -> ConflictError:
    fresh = ticket_record(session, ticket_id)
    # The last change an analyst made; a breach recorded alongside it is not "what they did".
    last = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind != EventKind.SLA_BREACH.value)
        .order_by(TicketEvent.id.desc()).limit(1)
    ).first()
    what = _describe(last) if last else "changed it"
    return ConflictError(
        f"ticket #{ticket_id} was changed by {fresh.updated_by or 'someone'} ({what}) since you loaded it",
        fresh=fresh, changed_by=fresh.updated_by, changes=[what],
    )


def _conflict_fresh(engine: Engine, ticket_id: int) -> ConflictError:
    with session_scope(engine) as session:
        return _conflict(session, ticket_id)


def _describe(event: TicketEvent) -> str:
    if event.field and (event.old or event.new):
        return f"{event.field} {event.old or '-'} -> {event.new or '-'}"
    return event.kind.replace("_", " ")


def _set_assignee(session: Session, ticket: Ticket, actor: Actor, now: datetime, analyst: Analyst | None) -> None:
    new_id = analyst.id if analyst else None
    if new_id == ticket.assignee_id:
        return
    old_name = session.get(Analyst, ticket.assignee_id).username if ticket.assignee_id else ""
    if ticket.assignee_id is not None and new_id is not None:
        ticket.reassignment_count += 1
    ticket.assignee_id = new_id
    if new_id is not None and ticket.first_assignee_id is None:
        ticket.first_assignee_id = new_id
    if new_id is not None and ticket.status == Status.NEW:
        record_event(session, ticket.id, actor, now, EventKind.STATUS, field="status", old=ticket.status, new=Status.OPEN)
        ticket.status = Status.OPEN.value
    record_event(session, ticket.id, actor, now, EventKind.ASSIGNED, field="assignee", old=old_name,
           new=analyst.username if analyst else "")


# ------------------------------------------------------------------ use cases

def assign(engine: Engine, actor: Actor, ticket_id: int, assignee: str | None, *, group: str | None = None,
           version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Assign to an analyst (None unassigns), optionally moving the ticket to a group."""

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        _require_active(ticket)
        if group:
            _set_group(session, ticket, actor, now, group_by_name(session, group))
        analyst = analyst_by_username(session, assignee) if assignee else None
        _set_assignee(session, ticket, actor, now, analyst)

    return _mutate(engine, actor, ticket_id, version, change, at=at)


def take(engine: Engine, actor: Actor, ticket_id: int, *, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    if not actor.is_analyst:
        raise ValidationError("take: only an analyst can take a ticket")
    return assign(engine, actor, ticket_id, actor.username, version=version, at=at)


def _set_group(session: Session, ticket: Ticket, actor: Actor, now: datetime, group: Group) -> None:
    if group.id == ticket.group_id:
        return
    old = session.get(Group, ticket.group_id).name if ticket.group_id else ""
    ticket.group_id = group.id
    record_event(session, ticket.id, actor, now, EventKind.GROUP, field="group", old=old, new=group.name)
    if ticket.assignee_id is not None:
        member = session.get(GroupMember, (group.id, ticket.assignee_id))
        if member is None:
            _set_assignee(session, ticket, actor, now, None)


def _require_active(ticket: Ticket) -> None:
    if ticket.status not in {s.value for s in ACTIVE_STATUSES}:
        raise WorkflowError(f"ticket #{ticket.id} is {ticket.status}; reopen it first")


def add_comment(engine: Engine, actor: Actor, ticket_id: int, body: str, *, internal: bool = False,
                author_name: str = "", message_id: str | None = None, at: datetime | None = None) -> CommentRecord:
    """A public reply or an internal note. Comments are inserts and never conflict;
    the first public reply by an analyst stops the response clock."""
    body = clean_text(body).strip()
    if not body:
        raise ValidationError("body: must not be empty")
    now = at or clock.now()
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    with write_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        comment = Comment(ticket_id=ticket_id, author_id=actor.id, author_name=author_name or actor.name,
                          visibility=visibility.value, body=body, created_at=now, message_id=message_id)
        session.add(comment)
        session.flush()
        record_event(session, ticket_id, actor, now, EventKind.COMMENT, field=visibility.value, comment_id=comment.id,
               detail=body[:120])
        if visibility is Visibility.PUBLIC and actor.is_analyst and ticket.first_response_at is None:
            # A single-statement claim: only the first reply ever sets it, even under races.
            first = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.first_response_at.is_(None))
                .values(first_response_at=now, updated_at=now, updated_by=actor.username, version=Ticket.version + 1)
                .execution_options(synchronize_session=False)
            )
            if first.rowcount == 1:
                session.refresh(ticket)
                record_event(session, ticket_id, actor, now, EventKind.FIRST_RESPONSE, detail=f"comment {comment.id}")
                sla.refresh(session, ticket, actor.username, now)
        return CommentRecord(id=comment.id, ticket_id=ticket_id, author=actor.username if actor.is_analyst else comment.author_name,
                             visibility=comment.visibility, body=body, created_at=now)


def change_status(engine: Engine, actor: Actor, ticket_id: int, status: str, *, pending_reason: str | None = None,
                  version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Move along the workflow. Resolving goes through :func:`resolve`, reopening through :func:`reopen`."""
    target = _enum(Status, status, "status")
    if target is Status.RESOLVED:
        raise WorkflowError("status: use resolve (a resolution code and notes are required)")
    if target is Status.CLOSED:
        return close(engine, actor, ticket_id, version=version, at=at)

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        current = Status(ticket.status)
        if current is Status.RESOLVED and target is Status.OPEN:
            reopen_in_session(session, ticket, actor, now, "status changed to open")
            return
        reason = _enum(PendingReason, pending_reason, "pending_reason").value if pending_reason else None
        check_transition(current, target, pending_reason=reason)
        ticket.status = target.value
        ticket.pending_reason = reason or ""
        record_event(session, ticket.id, actor, now, EventKind.STATUS, field="status", old=current.value, new=target.value,
               detail=reason or "")

    return _mutate(engine, actor, ticket_id, version, change, at=at)


def escalate(engine: Engine, actor: Actor, ticket_id: int, *, reason: str, tier: int | None = None,
             group: str | None = None, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Functional escalation: up a tier and/or to another group, with a reason."""
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationError("reason: an escalation needs a reason")
    if tier is not None and tier not in (1, 2, 3):
        raise ValidationError(f"tier: {tier!r} is not one of 1, 2, 3")
    if tier is None and not group:
        raise ValidationError("escalate: give a tier, a group or both")

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        _require_active(ticket)
        target_group = group_by_name(session, group) if group else None
        new_tier = tier if tier is not None else max(ticket.tier, target_group.tier)
        old_tier = ticket.tier
        if target_group is not None:
            _set_group(session, ticket, actor, now, target_group)
        ticket.tier = new_tier
        ticket.escalation_count += 1
        record_event(session, ticket.id, actor, now, EventKind.ESCALATED, field="tier", old=old_tier, new=new_tier,
               detail=reason)

    return _mutate(engine, actor, ticket_id, version, change, at=at)


def resolve(engine: Engine, actor: Actor, ticket_id: int, *, code: str, notes: str,
            version: int | None = None, at: datetime | None = None) -> TicketRecord:
    code_value = _enum(ResolutionCode, code, "resolution_code").value if code else ""
    notes = clean_text(notes or "").strip()
    return _mutate(engine, actor, ticket_id, version,
                   lambda s, t, now: resolve_in_session(s, t, actor, now, code_value, notes), at=at)


def resolve_in_session(session: Session, ticket: Ticket, actor: Actor, now: datetime, code: str, notes: str) -> None:
    """Resolve inside the caller's transaction (``code`` a ResolutionCode value,
    ``notes`` cleaned); the workflow checks that both are there."""
    check_transition(ticket.status, Status.RESOLVED, resolution_code=code, resolution_notes=notes)
    old = ticket.status
    ticket.status = Status.RESOLVED.value
    ticket.pending_reason = ""
    ticket.resolved_at = now
    ticket.resolution_code = code
    ticket.resolution_notes = notes
    record_event(session, ticket.id, actor, now, EventKind.RESOLVED, field="status", old=old, new=Status.RESOLVED,
                 detail=f"{code}: {notes}")


def close(engine: Engine, actor: Actor, ticket_id: int, *, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        check_transition(ticket.status, Status.CLOSED)
        ticket.status = Status.CLOSED.value
        ticket.closed_at = now
        record_event(session, ticket.id, actor, now, EventKind.CLOSED, field="status", old=Status.RESOLVED, new=Status.CLOSED)

    return _mutate(engine, actor, ticket_id, version, change, at=at)


def reopen_in_session(session: Session, ticket: Ticket, actor: Actor, now: datetime, reason: str) -> None:
    check_transition(ticket.status, Status.OPEN)
    if ticket.status != Status.RESOLVED:
        raise WorkflowError(f"reopen: ticket #{ticket.id} is {ticket.status}, only resolved tickets reopen")
    ticket.status = Status.OPEN.value
    ticket.resolved_at = None
    ticket.reopen_count += 1
    record_event(session, ticket.id, actor, now, EventKind.REOPENED, field="status", old=Status.RESOLVED, new=Status.OPEN,
           detail=reason)


def reopen(engine: Engine, actor: Actor, ticket_id: int, *, reason: str, version: int | None = None,
           at: datetime | None = None) -> TicketRecord:
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationError("reason: say why the ticket is reopened")
    return _mutate(engine, actor, ticket_id, version, lambda s, t, now: reopen_in_session(s, t, actor, now, reason), at=at)


def change_priority(engine: Engine, actor: Actor, ticket_id: int, *, impact: str | None = None,
                    urgency: str | None = None, priority: int | None = None, reason: str = "",
                    version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Re-derive priority from a new impact/urgency, or override it with a recorded reason."""
    reason = clean_text(reason).strip()
    if priority is not None:
        if priority not in (1, 2, 3, 4):
            raise ValidationError(f"priority: {priority!r} is not one of 1, 2, 3, 4")
        if not reason:
            raise ValidationError("reason: overriding the matrix priority needs a reason")
    elif impact is None and urgency is None:
        raise ValidationError("priority: give impact/urgency (matrix) or a priority with a reason (override)")

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        _require_active(ticket)
        old_priority = ticket.priority
        if impact is not None:
            ticket.impact = _enum(Level, impact, "impact").value
        if urgency is not None:
            ticket.urgency = _enum(Level, urgency, "urgency").value
        if priority is not None:
            ticket.priority = priority
            ticket.priority_reason = f"override by {actor.username}: {reason}"
        else:
            matrix = priority_matrix(session)
            ticket.priority = matrix.priority(ticket.impact, ticket.urgency)
            ticket.priority_reason = matrix.reason(ticket.impact, ticket.urgency)
        record_event(session, ticket.id, actor, now, EventKind.PRIORITY, field="priority", old=f"P{old_priority}",
               new=f"P{ticket.priority}", detail=ticket.priority_reason)

    return _mutate(engine, actor, ticket_id, version, change, at=at)


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    failed: list[tuple[int, str]]


def bulk(engine: Engine, ticket_ids: list[int], action: Callable[[int], object]) -> BulkResult:
    """Apply one use case to many tickets; each ticket is its own transaction so
    one conflict or workflow error does not undo the others."""
    done: list[int] = []
    failed: list[tuple[int, str]] = []
    for ticket_id in ticket_ids:
        try:
            action(ticket_id)
            done.append(ticket_id)
        except (ConflictError, WorkflowError, ValidationError, NotFound) as exc:
            failed.append((ticket_id, str(exc)))
    return BulkResult(done, failed)
