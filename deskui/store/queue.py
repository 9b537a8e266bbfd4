"""The queue's read side: a query text and a sort become ordered ticket ids.

The TUI streams the ordered ids (deskui.store.queue_live.iter_ids) and pages
records by id on demand (DESIGN.md §4); the CLI takes the first page directly.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.store.db import session_scope
from deskui.store.models import Ticket
from deskui.store.records import TicketRecord
from deskui.store.tickets import list_tickets

SORTS = ("sla", "priority", "updated", "created")


def order_by(sort: str):
    """ORDER BY for a sort, each backed by an index (see models.Ticket)."""
    nulls_last = case((Ticket.resolution_due_at.is_(None), 1), else_=0)
    if sort == "sla":
        return (nulls_last, Ticket.resolution_due_at, Ticket.priority, Ticket.id)
    if sort == "priority":
        return (Ticket.priority, nulls_last, Ticket.resolution_due_at, Ticket.id)
    if sort == "updated":
        return (Ticket.updated_at.desc(), Ticket.id.desc())
    if sort == "created":
        return (Ticket.created_at.desc(), Ticket.id.desc())
    raise ValueError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")


def conditions(query_text: str, *, me_id: int | None, now: datetime | None = None, dialect_name: str = "sqlite",
               include_inactive: bool = False) -> list:
    """WHERE conditions for a query. Without an explicit status term only active
    tickets are shown, unless include_inactive."""
    from deskui.domain.query import parse_query
    from deskui.store.queue_filter import compile_query

    query = parse_query(query_text or "")
    result = compile_query(query, me_id=me_id, now=now or clock.now(), dialect_name=dialect_name)
    # A query that names a status, a resolution time or a met SLA is about
    # finished tickets too; otherwise the queue shows active tickets only.
    about_finished = any(
        term.key in ("status", "resolved") or (term.key == "sla" and "met" in {str(v) for v in term.values})
        for term in query.terms
    )
    if not about_finished and not include_inactive:
        result.append(Ticket.status.in_([s.value for s in ACTIVE_STATUSES]))
    return result


def list_queue(engine: Engine, query_text: str = "", *, sort: str = "sla", limit: int = 50, offset: int = 0,
               include_inactive: bool = False, me_id: int | None = None) -> list[TicketRecord]:
    where = conditions(query_text, me_id=me_id, dialect_name=engine.dialect.name, include_inactive=include_inactive)
    with session_scope(engine) as session:
        return list_tickets(session, where, order_by(sort), limit=limit, offset=offset)
