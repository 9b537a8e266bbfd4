"""Ticket changes inside the caller's transaction, for intake (mail and alerts).

The ticket use cases in :mod:`deskui.services.tickets` each own a transaction.
One incoming message may need several of them at once -- a reply is a comment
*and* a reopen; a recovery alert is a note *and* a resolution -- and those must
land together or not at all. These functions do the same work as the use cases
inside a session the caller holds, through the same helpers, so the rows and
events are the ones the use cases write: ``created``/``via email``, the SLA
cache by ``sla.refresh``, the optimistic version claim before a mutation.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from sqlalchemy import update
from sqlmodel import Session

from deskui.domain.enums import Channel, Level, ResolutionCode, Status, TicketType, Visibility
from deskui.domain.history import HistoryPlan
from deskui.domain.text import clean_subject, clean_text
from deskui.errors import ConflictError, ValidationError
from deskui.services import sla
from deskui.services.actors import Actor
from deskui.services.directory import group_by_name, requester_for
# The use cases' own planner and flush: one definition of what they record.
from deskui.services.ticket_history import noting, planning
from deskui.services.tickets import checked_body
from deskui.store.tickets import priority_matrix
from deskui.store.models import Comment, Ticket


def open_ticket(session: Session, actor: Actor, *, subject: str, requester: str, requester_name: str = "",
                description: str = "", type: str = TicketType.INCIDENT.value, channel: str = Channel.EMAIL.value,
                impact: str = Level.MEDIUM.value, urgency: str = Level.MEDIUM.value, ci: str = "",
                group: str | None = None, external_ref: str | None = None, at: datetime, note: str = "") -> Ticket:
    """As ``tickets.open_ticket``: priority from the matrix, SLA due times, a ``created`` event."""
    subject = clean_subject(subject) or "(no subject)"
    description = checked_body(clean_text(description), "description")
    matrix = priority_matrix(session)
    person = requester_for(session, requester, requester_name)
    group_row = group_by_name(session, group) if group else None
    ticket = Ticket(
        type=TicketType(type).value, subject=subject, description=description,
        requester_id=person.id, channel=Channel(channel).value, category_id=None,
        impact=Level(impact).value, urgency=Level(urgency).value, priority=matrix.priority(impact, urgency),
        priority_reason=matrix.reason(impact, urgency), status=Status.NEW.value,
        group_id=group_row.id if group_row else None, tier=group_row.tier if group_row else 1,
        ci=clean_text(ci, single_line=True)[:200], created_at=at, updated_at=at, external_ref=external_ref,
        updated_by=actor.username,
    )
    session.add(ticket)
    session.flush()
    with noting(session, ticket.id, actor) as plan:
        plan.create(at, ticket.channel, note)
    sla.refresh(session, ticket, actor.username, at)
    session.flush()
    return ticket


def add_comment(session: Session, actor: Actor, ticket: Ticket, body: str, *, internal: bool = False,
                author_name: str = "", message_id: str | None = None, at: datetime) -> Comment:
    """As ``tickets.add_comment`` for a non-analyst author (a requester's mail, a monitor):
    an insert and a ``comment`` event; it never stops the response clock."""
    body = checked_body(clean_text(body).strip(), "comment")
    if not body:
        raise ValidationError("body: must not be empty")
    visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    comment = Comment(ticket_id=ticket.id, author_id=actor.id, author_name=(author_name or actor.name)[:200],
                      visibility=visibility.value, body=body, created_at=at, message_id=message_id)
    session.add(comment)
    session.flush()
    with noting(session, ticket.id, actor) as plan:
        plan.comment(at, comment.id, visibility.value, body)
    return comment


def claim(session: Session, ticket: Ticket) -> None:
    """The optimistic lock of every mutation: bump the version seen, or ConflictError."""
    seen = ticket.version
    claimed = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.version == seen).values(version=seen + 1)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise ConflictError(f"ticket #{ticket.id} was changed by someone else meanwhile")
    ticket.version = seen + 1


def finish(session: Session, actor: Actor, ticket: Ticket, at: datetime) -> None:
    ticket.updated_at = max(ticket.updated_at, at)
    ticket.updated_by = actor.username
    sla.refresh(session, ticket, actor.username, at)
    session.flush()


def reopen(session: Session, actor: Actor, ticket: Ticket, reason: str, at: datetime) -> None:
    claim(session, ticket)
    with planning(session, ticket, actor, names=False) as plan:
        plan.reopen(at, clean_text(reason).strip() or "reopened")
    finish(session, actor, ticket, at)


def resume(session: Session, actor: Actor, ticket: Ticket, reason: str, at: datetime) -> None:
    """Pending -> open (the requester answered): the resolution clock runs again."""
    claim(session, ticket)
    with planning(session, ticket, actor, names=False) as plan:
        plan.change_status(at, Status.OPEN.value, note=reason)
    finish(session, actor, ticket, at)


def resolve(session: Session, actor: Actor, ticket: Ticket, *, code: str, notes: str, at: datetime) -> None:
    claim(session, ticket)
    with planning(session, ticket, actor, names=False) as plan:
        plan.resolve(at, ResolutionCode(code).value, clean_text(notes).strip())
    finish(session, actor, ticket, at)


@contextmanager
def noting_on(session: Session, actor: Actor, ticket: Ticket) -> Iterator[HistoryPlan]:
    """Extra events on a ticket (a link, an alert state), planned as the use cases plan theirs."""
    with noting(session, ticket.id, actor) as plan:
        yield plan

