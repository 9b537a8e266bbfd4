"""Planning a use case's changes on a stored ticket, and flushing them through the ORM.

The history planner (:mod:`deskui.domain.history`) decides what a change does and
which events it writes; here a use case gets a plan from the ticket row it holds
and, when the change is planned, the changed fields go back onto the row and the
events into the session, in the same transaction (batch writers flush the same
plans in bulk: ``deskui.store.bulk_import``, ``deskui.store.bulk_generate``).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import select, update
from sqlmodel import Session

from deskui.domain.enums import EventKind
from deskui.domain.history import COLUMN_FIELDS, HistoryPlan, PlannedEvent, TicketState
from deskui.services.actors import Actor
from deskui.services.mail import notify
from deskui.store.models import Analyst, Group, GroupMember, Ticket, TicketEvent


def state_of(session: Session, ticket: Ticket, *, names: bool = True) -> TicketState:
    """The ticket row's history state; ``names``: look up the group and assignee
    names its events would show (a change that moves neither needs none)."""
    values = {name: getattr(ticket, name) for name in COLUMN_FIELDS}
    if names:
        values["assignee"] = session.get(Analyst, ticket.assignee_id).username if ticket.assignee_id else ""
        values["group"] = session.get(Group, ticket.group_id).name if ticket.group_id else ""
    if ticket.assignee_id is None and ticket.first_assignee_id is not None:
        values["last_assignee_id"] = last_assignee(session, ticket.id)
    return TicketState(ticket_id=ticket.id, **values)


def last_assignee(session: Session, ticket_id: int) -> int | None:
    """The analyst an unassigned ticket was last assigned to (its history's last
    assignment to somebody), for the reassignment rule."""
    username = session.scalar(
        select(TicketEvent.new)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.ASSIGNED.value,
               TicketEvent.new != "")
        .order_by(TicketEvent.id.desc()).limit(1))
    return session.scalar(select(Analyst.id).where(Analyst.username == username)) if username else None


@contextmanager
def planning(session: Session, ticket: Ticket, actor: Actor, *, names: bool = True) -> Iterator[HistoryPlan]:
    """A plan of changes to ``ticket`` by ``actor``; flushed onto the row and into the
    session when the block ends (nothing is written if it raises)."""
    before = state_of(session, ticket, names=names)
    plan = HistoryPlan(before, actor.id, actor.username)
    yield plan
    write_back(session, ticket, plan, before, acting_admin=actor.acting_admin)


def write_back(session: Session, ticket: Ticket, plan: HistoryPlan, before: TicketState, *,
               acting_admin: str = "") -> None:
    for name in COLUMN_FIELDS:
        value = getattr(plan, name)
        if value != getattr(before, name):
            setattr(ticket, name, value)
    add_events(session, ticket.id, plan.events, acting_admin=acting_admin)
    plan.events = []


@contextmanager
def noting(session: Session, ticket_id: int, actor: Actor) -> Iterator[HistoryPlan]:
    """A plan of events that change none of the ticket's history fields (links,
    approvals, checklist steps, surveys, alert states)."""
    plan = HistoryPlan(TicketState(ticket_id=ticket_id), actor.id, actor.username)
    yield plan
    add_events(session, ticket_id, plan.events, acting_admin=actor.acting_admin)


def add_events(session: Session, ticket_id: int, events: Iterable[PlannedEvent], *, acting_admin: str = "") -> None:
    """The planned events as rows; ``acting_admin``: the admin login that acted for the
    event's analyst (PostgreSQL ``--as``), recorded on every one of them."""
    events = list(events)
    notify.on_events(session, ticket_id, events)
    for e in events:
        session.add(TicketEvent(
            ticket_id=ticket_id, at=e.at, actor_id=e.actor_id, actor=e.actor, kind=e.kind, field=e.field,
            old=e.old[:300], new=e.new[:300], detail=e.detail, comment_id=e.comment_id,
            acting_admin=acting_admin[:64] or None,
        ))


# ------------------------------------------------------------------ changes shared by the use cases

def is_member(session: Session, group_id: int, analyst_id: int | None) -> bool:
    return analyst_id is not None and session.get(GroupMember, (group_id, analyst_id)) is not None


def set_assignee(session: Session, ticket: Ticket, actor: Actor, now: datetime, analyst: Analyst | None) -> None:
    """Assign (None: unassign), with the planner's rules (new -> open, counters)."""
    with planning(session, ticket, actor) as plan:
        plan.assign(now, analyst.id if analyst else None, analyst.username if analyst else "")


def set_group(session: Session, ticket: Ticket, actor: Actor, now: datetime, group: Group) -> None:
    """Move to a group; an assignee who is not a member of it is unassigned."""
    with planning(session, ticket, actor) as plan:
        plan.set_group(now, group.id, group.name, keeps_assignee=is_member(session, group.id, ticket.assignee_id))


def touch_ticket(session: Session, ticket_id: int, actor: Actor, at: datetime) -> None:
    """Record that a ticket changed (version + 1) without a conflict check: links and
    similar additions are independent of what the other analyst saw, but their
    screens must learn the ticket moved on."""
    session.execute(
        update(Ticket).where(Ticket.id == ticket_id)
        .values(version=Ticket.version + 1, updated_at=at, updated_by=actor.username[:64])
        .execution_options(synchronize_session=False)
    )
