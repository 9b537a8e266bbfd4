"""Event writing shared by the operations services (problems, rules, requests,
bulletins). Every effect they have on a ticket is a ``TicketEvent`` so the
ticket's history shows who (or which rule) did what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from deskui.services.actors import Actor, system_actor
from deskui.store.models import Ticket, TicketEvent

# Event kinds written here, beside deskui.domain.enums.EventKind.
LINKED = "linked"          # field "problem" / "bulletin"
RULE = "rule"              # a rule fired: why (detail); its actions follow as their own events
NOTIFIED = "notified"      # a rule notified a group
APPROVAL = "approval"      # field "approval" (overall: requested/approved/rejected) or "approver"
CHECKLIST = "checklist"    # a fulfilment step ticked or unticked

RULE_PREFIX = "rule:"


def rule_actor(name: str) -> Actor:
    """The actor of a rule's effects: history shows ``rule:NAME``."""
    return system_actor(f"{RULE_PREFIX}{name}")


def ticket_event(session: Session, ticket_id: int, actor: Actor, at: datetime, kind: str, *, field: str = "",
                 old: object = "", new: object = "", detail: str = "") -> None:
    session.add(TicketEvent(
        ticket_id=ticket_id, at=at, actor_id=actor.id, actor=actor.username, kind=kind, field=field,
        old=_s(old)[:300], new=_s(new)[:300], detail=detail,
    ))


def touch_ticket(session: Session, ticket_id: int, actor: Actor, at: datetime) -> None:
    """Record that a ticket changed (version + 1) without a conflict check: links and
    similar additions are independent of what the other analyst saw, but their
    screens must learn the ticket moved on."""
    session.execute(
        update(Ticket).where(Ticket.id == ticket_id)
        .values(version=Ticket.version + 1, updated_at=at, updated_by=actor.username[:64])
        .execution_options(synchronize_session=False)
    )


def _s(value: object) -> str:
    return "" if value is None else str(value)
