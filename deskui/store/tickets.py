"""Read queries for tickets, returning frozen records.

SQLAlchemy Core over deskui.store.tables (no ORM model is imported): the read
commands and the queue's first page come here, and importing the models costs
more than such a command may take (issue 15 item 8). ``executor`` is a Session
or a Connection; both execute Core statements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select

from deskui.domain.ids import id_in_range
from deskui.domain.priority import PriorityMatrix
from deskui.errors import NotFound
from deskui.store.records import CommentRecord, EventRecord, TicketRecord
from deskui.store.tables import (
    analysts,
    categories,
    groups,
    requesters,
    settings,
    ticket_events,
    tickets,
)
from deskui.store.tables import comments as comments_t

_assignee = analysts.alias("assignee")

#: TicketRecord fields read straight from the tickets row.
_TICKET_FIELDS = (
    "id", "type", "subject", "description", "status", "pending_reason", "priority", "priority_reason", "impact",
    "urgency", "channel", "tier", "ci", "requester_id", "category_id", "group_id", "assignee_id", "problem_id",
    "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "resolution_code",
    "resolution_notes", "external_ref", "response_due_at", "resolution_due_at", "response_state",
    "resolution_state", "reopen_count", "reassignment_count", "escalation_count", "external_made_sla",
    "updated_by", "version",
)


def _record_select():
    return (
        select(
            *(tickets.c[name] for name in _TICKET_FIELDS),
            requesters.c.name.label("requester_name"),
            requesters.c.email.label("requester_email"),
            categories.c.path.label("category"),
            groups.c.name.label("group"),
            _assignee.c.username.label("assignee"),
            _assignee.c.name.label("assignee_name"),
        )
        .select_from(tickets)
        .outerjoin(requesters, requesters.c.id == tickets.c.requester_id)
        .outerjoin(categories, categories.c.id == tickets.c.category_id)
        .outerjoin(groups, groups.c.id == tickets.c.group_id)
        .outerjoin(_assignee, _assignee.c.id == tickets.c.assignee_id)
    )


def _to_record(row) -> TicketRecord:
    m = row._mapping
    values = {name: m[name] for name in _TICKET_FIELDS}
    for name in ("requester_name", "requester_email", "category", "group", "assignee", "assignee_name"):
        values[name] = m[name] or ""
    return TicketRecord(**values)


def ticket_record(executor, ticket_id: int) -> TicketRecord:
    if not id_in_range(ticket_id):  # a number the database cannot compare names no ticket
        raise NotFound(f"ticket #{ticket_id} not found")
    row = executor.execute(_record_select().where(tickets.c.id == ticket_id)).first()
    if row is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    return _to_record(row)


def ticket_records(executor, ids: Sequence[int]) -> list[TicketRecord]:
    """Records for ids, in the order given (missing ids are skipped)."""
    if not ids:
        return []
    rows = executor.execute(_record_select().where(tickets.c.id.in_(list(ids)))).all()
    by_id = {r.id: _to_record(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def comments(executor, ticket_id: int) -> list[CommentRecord]:
    c = comments_t.c
    stmt = (
        select(c.id, c.ticket_id, analysts.c.username, c.author_name, c.visibility, c.body, c.created_at)
        .select_from(comments_t)
        .outerjoin(analysts, analysts.c.id == c.author_id)
        .where(c.ticket_id == ticket_id)
        .order_by(c.created_at, c.id)
    )
    return [
        CommentRecord(id=r.id, ticket_id=r.ticket_id, author=r.username or r.author_name,
                      visibility=r.visibility, body=r.body, created_at=r.created_at)
        for r in executor.execute(stmt).all()
    ]


def shown_actor(actor: str, acting_admin: str | None) -> str:
    """Who an event shows: ``alice``, or ``root for alice`` when an admin acted for her."""
    return f"{acting_admin} for {actor}" if acting_admin else actor


def events(executor, ticket_id: int) -> list[EventRecord]:
    e = ticket_events.c
    stmt = (select(e.id, e.ticket_id, e.at, e.actor, e.acting_admin, e.kind, e.field, e.old, e.new, e.detail)
            .where(e.ticket_id == ticket_id).order_by(e.id))
    return [
        EventRecord(id=r.id, ticket_id=r.ticket_id, at=r.at, actor=shown_actor(r.actor, r.acting_admin), kind=r.kind,
                    field=r.field, old=r.old, new=r.new, detail=r.detail)
        for r in executor.execute(stmt).all()
    ]


def requester_comment_ids(executor, ticket_id: int) -> frozenset[int]:
    """Comments on a ticket written by someone who is not an analyst (the requester's
    mail, an import), so the conversation can show who is talking."""
    c = comments_t.c
    return frozenset(executor.execute(select(c.id).where(c.ticket_id == ticket_id, c.author_id.is_(None))).scalars())


def ticket_last_event_id(executor, ticket_id: int) -> int:
    """The newest event of one ticket: a cheap "has it changed?" question."""
    e = ticket_events.c
    return executor.execute(select(func.max(e.id)).where(e.ticket_id == ticket_id)).scalar() or 0


def priority_matrix(executor) -> PriorityMatrix:
    """The impact x urgency matrix in force (the stored setting, else the default)."""
    value = executor.execute(select(settings.c.value).where(settings.c.key == "priority_matrix")).scalar()
    return PriorityMatrix.from_rows(json.loads(value)) if value else PriorityMatrix()
