"""Ticket use cases. Each is one transaction that writes ticket events.

Optimistic locking (DESIGN.md §3): a mutation claims the row with
``UPDATE tickets SET version = seen + 1 WHERE id = :id AND version = :seen``
before changing anything. Zero rows means someone else changed the ticket
first: the transaction rolls back and ``ConflictError`` carries the fresh ticket.
Callers that pass ``version`` (what the analyst saw) also get a conflict when
the ticket moved on since they loaded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import (
    Channel, EventKind, Level, PendingReason, ResolutionCode, Status, TicketType, Visibility, parse_enum,
)
from deskui.domain.permissions import Action, assign_action, closing_action
from deskui.domain.text import check_body, clean_subject, clean_text
from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from deskui.services import sla
from deskui.services.actors import Actor, require
from deskui.services.assignment import on_open
from deskui.services.directory import (
    analyst_by_username, category_by_path, group_by_name, requester_for, routing_group_id,
)
from deskui.services.routing_auto import route_by_suggestion
from deskui.services.ticket_history import is_member, planning
from deskui.store.db import Retry, run_write, session_scope
from deskui.store.models import Comment, Group, Ticket, TicketEvent
from deskui.store.records import CommentRecord, TicketRecord
from deskui.store.tickets import priority_matrix, ticket_record


def _enum(enum, value, field):
    try:
        return parse_enum(enum, value, field)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


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
    require(actor, Action.OPEN_TICKET)
    if assignee and assignee.strip() != actor.username:
        require(actor, Action.REASSIGN)  # opening it for another analyst is assigning it to them
    subject = clean_subject(subject)
    if not subject:
        raise ValidationError("subject: must not be empty")
    description = checked_body(clean_text(description), "description")
    ticket_type = _enum(TicketType, type, "type")
    channel_value = _enum(Channel, channel, "channel")
    impact_value = _enum(Level, impact, "impact")
    urgency_value = _enum(Level, urgency, "urgency")
    now = at or clock.now()

    def work(session: Session) -> TicketRecord:
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
            type=ticket_type.value, subject=subject, description=description,
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
        with planning(session, ticket, actor, names=False) as plan:
            plan.create(now, channel_value.value)
            if assignee:
                analyst = analyst_by_username(session, assignee)
                plan.assign(now, analyst.id, analyst.username)
        if group_id is None:  # routing by suggestion, when the admin allows it (issue 16.2)
            route_by_suggestion(session, ticket, now)
        if not assignee:  # assignment-on-open rules (issue 7: deskui/services/assignment.py)
            on_open(session, ticket, now)
        sla.refresh(session, ticket, actor.username, now)
        session.flush()
        return ticket_record(session, ticket.id)

    return run_write(engine, work)


# ------------------------------------------------------------------ mutation core

def mutate(engine: Engine, actor: Actor, ticket_id: int, version: int | None,
           change: Callable[[Session, Ticket, datetime], None], *, at: datetime | None = None) -> TicketRecord:
    """One use case on one ticket: claim its version, apply ``change``, refresh its SLA.

    Without ``version`` the caller asked for the change on the ticket as it is: a
    claim lost to a concurrent writer anyway re-runs the whole transaction on the
    fresh ticket. With ``version`` it is a conflict, as it always was."""
    now = at or clock.now()

    def work(session: Session) -> TicketRecord:
        # FOR UPDATE (PostgreSQL; SQLite holds the file's write lock already): concurrent
        # writers of one ticket queue on its row instead of losing the claim below.
        ticket = session.get(Ticket, ticket_id, populate_existing=True, with_for_update=True)
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
            if version is None:
                raise Retry(lambda: _conflict_fresh(engine, ticket_id))
            session.rollback()
            raise _conflict_fresh(engine, ticket_id)
        ticket.version = seen + 1
        change(session, ticket, now)
        ticket.updated_at = now
        ticket.updated_by = actor.username
        sla.refresh(session, ticket, actor.username, now)
        session.flush()
        return ticket_record(session, ticket_id)

    return run_write(engine, work)


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


# ------------------------------------------------------------------ use cases

def assign(engine: Engine, actor: Actor, ticket_id: int, assignee: str | None, *, group: str | None = None,
           version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Assign to an analyst (None unassigns), optionally moving the ticket to a group."""

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        analyst = analyst_by_username(session, assignee) if assignee else None
        require(actor, assign_action(actor.id, ticket.assignee_id, analyst.id if analyst else None))
        with planning(session, ticket, actor) as plan:
            plan.require_active()
            if group:
                target = group_by_name(session, group)
                plan.set_group(now, target.id, target.name, keeps_assignee=is_member(session, target.id, plan.assignee_id))
            plan.assign(now, analyst.id if analyst else None, analyst.username if analyst else "")

    return mutate(engine, actor, ticket_id, version, change, at=at)


def take(engine: Engine, actor: Actor, ticket_id: int, *, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    if not actor.is_analyst:
        raise ValidationError("take: only an analyst can take a ticket")
    return assign(engine, actor, ticket_id, actor.username, version=version, at=at)


def add_comment(engine: Engine, actor: Actor, ticket_id: int, body: str, *, internal: bool = False,
                author_name: str = "", message_id: str | None = None, at: datetime | None = None) -> CommentRecord:
    """A public reply or an internal note. Comments are inserts and never conflict;
    the first public reply by an analyst stops the response clock."""
    require(actor, Action.NOTE if internal else Action.REPLY)
    body = checked_body(clean_text(body).strip(), "comment")
    if not body:
        raise ValidationError("body: must not be empty")
    now = at or clock.now()
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC

    def work(session: Session) -> CommentRecord:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        comment = Comment(ticket_id=ticket_id, author_id=actor.id, author_name=author_name or actor.name,
                          visibility=visibility.value, body=body, created_at=now, message_id=message_id)
        session.add(comment)
        session.flush()
        first = False
        with planning(session, ticket, actor, names=False) as plan:
            if plan.comment(now, comment.id, visibility.value, body, by_analyst=actor.is_analyst):
                # A single-statement claim: only the first reply ever sets it, even under races.
                first = session.execute(
                    update(Ticket).where(Ticket.id == ticket_id, Ticket.first_response_at.is_(None))
                    .values(first_response_at=now, updated_at=now, updated_by=actor.username, version=Ticket.version + 1)
                    .execution_options(synchronize_session=False)
                ).rowcount == 1
                if first:
                    plan.first_response(now, comment_id=comment.id)
        if first:
            session.refresh(ticket)
            sla.refresh(session, ticket, actor.username, now)
        return CommentRecord(id=comment.id, ticket_id=ticket_id, author=actor.username if actor.is_analyst else comment.author_name,
                             visibility=comment.visibility, body=body, created_at=now)

    return run_write(engine, work)


def change_status(engine: Engine, actor: Actor, ticket_id: int, status: str, *, pending_reason: str | None = None,
                  version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Move along the workflow. Resolving goes through :func:`resolve`, reopening through :func:`reopen`."""
    target = _enum(Status, status, "status")
    if target is Status.RESOLVED:
        raise WorkflowError("status: use resolve (a resolution code and notes are required)")
    if target is Status.CLOSED:
        return close(engine, actor, ticket_id, version=version, at=at)
    require(actor, Action.STATUS)

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        if target is Status.CANCELLED:
            require(actor, closing_action(actor.id, ticket.assignee_id))
        elif ticket.status == Status.RESOLVED and target is Status.OPEN:
            require(actor, Action.REOPEN)
        with planning(session, ticket, actor, names=False) as plan:
            if plan.status == Status.RESOLVED and target is Status.OPEN:
                plan.reopen(now, "status changed to open")
                return
            reason = _enum(PendingReason, pending_reason, "pending_reason").value if pending_reason else ""
            plan.change_status(now, target.value, pending_reason=reason)

    return mutate(engine, actor, ticket_id, version, change, at=at)


def escalate(engine: Engine, actor: Actor, ticket_id: int, *, reason: str, tier: int | None = None,
             group: str | None = None, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Functional escalation: up a tier and/or to another group, with a reason."""
    require(actor, Action.ESCALATE)
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationError("reason: an escalation needs a reason")
    if tier is not None and tier not in (1, 2, 3):
        raise ValidationError(f"tier: {tier!r} is not one of 1, 2, 3")
    if tier is None and not group:
        raise ValidationError("escalate: give a tier, a group or both")

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        with planning(session, ticket, actor) as plan:
            plan.require_active()
            target = group_by_name(session, group) if group else None
            if target is not None:
                plan.set_group(now, target.id, target.name, keeps_assignee=is_member(session, target.id, plan.assignee_id))
            plan.escalate(now, reason, tier=tier, group_tier=target.tier if target is not None else 1)

    return mutate(engine, actor, ticket_id, version, change, at=at)


def resolve(engine: Engine, actor: Actor, ticket_id: int, *, code: str, notes: str,
            version: int | None = None, at: datetime | None = None) -> TicketRecord:
    require(actor, Action.RESOLVE)
    code_value = _enum(ResolutionCode, code, "resolution_code").value if code else ""
    notes = clean_text(notes or "").strip()
    return mutate(engine, actor, ticket_id, version,
                  lambda s, t, now: _plan(s, t, actor, lambda plan: plan.resolve(now, code_value, notes)), at=at)


def _plan(session: Session, ticket: Ticket, actor: Actor, change: Callable) -> None:
    with planning(session, ticket, actor, names=False) as plan:
        change(plan)


def close(engine: Engine, actor: Actor, ticket_id: int, *, version: int | None = None, at: datetime | None = None) -> TicketRecord:
    require(actor, Action.STATUS)

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        require(actor, closing_action(actor.id, ticket.assignee_id))
        _plan(session, ticket, actor, lambda plan: plan.close(now))

    return mutate(engine, actor, ticket_id, version, change, at=at)


def reopen(engine: Engine, actor: Actor, ticket_id: int, *, reason: str, version: int | None = None,
           at: datetime | None = None) -> TicketRecord:
    require(actor, Action.REOPEN)
    reason = clean_text(reason).strip()
    if not reason:
        raise ValidationError("reason: say why the ticket is reopened")
    return mutate(engine, actor, ticket_id, version,
                  lambda s, t, now: _plan(s, t, actor, lambda plan: plan.reopen(now, reason)), at=at)


def change_priority(engine: Engine, actor: Actor, ticket_id: int, *, impact: str | None = None,
                    urgency: str | None = None, priority: int | None = None, reason: str = "",
                    version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Re-derive priority from a new impact/urgency, or override it with a recorded reason."""
    require(actor, Action.PRIORITY_OVERRIDE if priority is not None else Action.RATE)
    reason = clean_text(reason).strip()
    if priority is not None:
        if priority not in (1, 2, 3, 4):
            raise ValidationError(f"priority: {priority!r} is not one of 1, 2, 3, 4")
        if not reason:
            raise ValidationError("reason: overriding the matrix priority needs a reason")
    elif impact is None and urgency is None:
        raise ValidationError("priority: give impact/urgency (matrix) or a priority with a reason (override)")

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        with planning(session, ticket, actor, names=False) as plan:
            plan.require_active()
            new_impact = _enum(Level, impact, "impact").value if impact is not None else plan.impact
            new_urgency = _enum(Level, urgency, "urgency").value if urgency is not None else plan.urgency
            if priority is not None:
                plan.override_priority(now, priority, reason, by=actor.username, impact=new_impact,
                                       urgency=new_urgency)
            else:
                plan.rerate(now, new_impact, new_urgency, priority_matrix(session).priority(new_impact, new_urgency))

    return mutate(engine, actor, ticket_id, version, change, at=at)


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
        except (ConflictError, WorkflowError, ValidationError, NotFound, PermissionDenied) as exc:
            failed.append((ticket_id, str(exc)))
    return BulkResult(done, failed)


def checked_body(text: str, field: str) -> str:
    """A description or comment within BODY_MAX_LENGTH characters (README "Limits")."""
    try:
        return check_body(text, field)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
