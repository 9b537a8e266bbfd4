"""The queue's read side: a query text and a sort become ordered ticket ids.

The TUI streams the ordered ids (deskui.store.queue_live.iter_ids) and pages
records by id on demand (DESIGN.md §4); the CLI takes the first page directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, select
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.store.tables import tickets

if TYPE_CHECKING:
    from deskui.store.records import TicketRecord

SORTS = ("sla", "priority", "updated", "created")


def order_by(sort: str):
    """ORDER BY for a sort, each backed by an index (see models.Ticket)."""
    nulls_last = case((tickets.c.resolution_due_at.is_(None), 1), else_=0)
    if sort == "sla":
        return (nulls_last, tickets.c.resolution_due_at, tickets.c.priority, tickets.c.id)
    if sort == "priority":
        return (tickets.c.priority, nulls_last, tickets.c.resolution_due_at, tickets.c.id)
    if sort == "updated":
        return (tickets.c.updated_at.desc(), tickets.c.id.desc())
    if sort == "created":
        return (tickets.c.created_at.desc(), tickets.c.id.desc())
    raise ValueError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")


def conditions(query_text: str, *, me_id: int | None, now: datetime | None = None, dialect_name: str = "sqlite",
               include_inactive: bool = False) -> list:
    """WHERE conditions for a query. Without a positive status term only active
    tickets are shown, unless include_inactive (deskui.domain.query.replaces_active_default)."""
    from deskui.domain.query import parse_query, replaces_active_default
    from deskui.store.queue_filter import compile_query

    query = parse_query(query_text or "")
    result = compile_query(query, me_id=me_id, now=now or clock.now(), dialect_name=dialect_name)
    # A query that asks for a status, a resolution time or a met SLA is about
    # finished tickets too; otherwise (negated terms included) active tickets only.
    if not replaces_active_default(query) and not include_inactive:
        result.append(tickets.c.status.in_([s.value for s in ACTIVE_STATUSES]))
    return result


def list_queue(engine: Engine, query_text: str = "", *, sort: str = "sla", limit: int = 50, offset: int = 0,
               include_inactive: bool = False, me_id: int | None = None) -> list[TicketRecord]:
    from deskui.store.tickets import ticket_records

    where = conditions(query_text, me_id=me_id, dialect_name=engine.dialect.name, include_inactive=include_inactive)
    # The page's ids, then its records: Core throughout (store/tables.py), no ORM model imported.
    page = select(tickets.c.id).where(*where).order_by(*order_by(sort)).limit(limit).offset(offset)
    with engine.connect() as conn:
        return ticket_records(conn, list(conn.execute(page).scalars()))
