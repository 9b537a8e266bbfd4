"""Read queries for tickets, returning frozen records."""

from __future__ import annotations

import json
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from deskui.domain.priority import PriorityMatrix
from deskui.domain.ids import id_in_range
from deskui.errors import NotFound
from deskui.store.models import Analyst, Category, Comment, Group, Requester, Setting, Ticket, TicketEvent
from deskui.store.records import CommentRecord, EventRecord, TicketRecord

_assignee = aliased(Analyst)


def _record_select():
    return (
        select(
            Ticket,
            Requester.name,
            Requester.email,
            Category.path,
            Group.name,
            _assignee.username,
            _assignee.name,
        )
        .outerjoin(Requester, Requester.id == Ticket.requester_id)
        .outerjoin(Category, Category.id == Ticket.category_id)
        .outerjoin(Group, Group.id == Ticket.group_id)
        .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
    )


def _to_record(row) -> TicketRecord:
    t, req_name, req_email, cat_path, group_name, assignee, assignee_name = row
    return TicketRecord(
        id=t.id, type=t.type, subject=t.subject, description=t.description, status=t.status,
        pending_reason=t.pending_reason, priority=t.priority, priority_reason=t.priority_reason,
        impact=t.impact, urgency=t.urgency, channel=t.channel, tier=t.tier, ci=t.ci,
        requester_id=t.requester_id, requester_name=req_name or "", requester_email=req_email or "",
        category_id=t.category_id, category=cat_path or "", group_id=t.group_id, group=group_name or "",
        assignee_id=t.assignee_id, assignee=assignee or "", assignee_name=assignee_name or "",
        problem_id=t.problem_id, created_at=t.created_at, updated_at=t.updated_at,
        first_response_at=t.first_response_at, resolved_at=t.resolved_at, closed_at=t.closed_at,
        resolution_code=t.resolution_code, resolution_notes=t.resolution_notes,
        external_ref=t.external_ref, response_due_at=t.response_due_at,
        resolution_due_at=t.resolution_due_at, response_state=t.response_state,
        resolution_state=t.resolution_state, reopen_count=t.reopen_count,
        reassignment_count=t.reassignment_count, escalation_count=t.escalation_count,
        external_made_sla=t.external_made_sla, updated_by=t.updated_by, version=t.version,
    )


def ticket_record(session: Session, ticket_id: int) -> TicketRecord:
    if not id_in_range(ticket_id):  # a number the database cannot compare names no ticket
        raise NotFound(f"ticket #{ticket_id} not found")
    row = session.execute(_record_select().where(Ticket.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    return _to_record(row)


def ticket_records(session: Session, ids: Sequence[int]) -> list[TicketRecord]:
    """Records for ids, in the order given (missing ids are skipped)."""
    if not ids:
        return []
    rows = session.execute(_record_select().where(Ticket.id.in_(list(ids)))).all()
    by_id = {r[0].id: _to_record(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def list_tickets(session: Session, conditions: Sequence = (), order_by: Sequence = (), limit: int = 50, offset: int = 0) -> list[TicketRecord]:
    stmt = _record_select().where(*conditions)
    stmt = stmt.order_by(*(order_by or (Ticket.id.desc(),))).limit(limit).offset(offset)
    return [_to_record(r) for r in session.execute(stmt).all()]


def comments(session: Session, ticket_id: int) -> list[CommentRecord]:
    stmt = (
        select(Comment, Analyst.username)
        .outerjoin(Analyst, Analyst.id == Comment.author_id)
        .where(Comment.ticket_id == ticket_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [
        CommentRecord(id=c.id, ticket_id=c.ticket_id, author=username or c.author_name,
                      visibility=c.visibility, body=c.body, created_at=c.created_at)
        for c, username in session.execute(stmt).all()
    ]


def shown_actor(actor: str, acting_admin: str | None) -> str:
    """Who an event shows: ``alice``, or ``root for alice`` when an admin acted for her."""
    return f"{acting_admin} for {actor}" if acting_admin else actor


def events(session: Session, ticket_id: int) -> list[EventRecord]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    return [
        EventRecord(id=e.id, ticket_id=e.ticket_id, at=e.at, actor=shown_actor(e.actor, e.acting_admin), kind=e.kind,
                    field=e.field, old=e.old, new=e.new, detail=e.detail)
        for e in session.scalars(stmt).all()
    ]


def priority_matrix(session: Session) -> PriorityMatrix:
    """The impact x urgency matrix in force (the stored setting, else the default)."""
    row = session.get(Setting, "priority_matrix")
    return PriorityMatrix.from_rows(json.loads(row.value)) if row else PriorityMatrix()
