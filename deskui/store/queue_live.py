"""Read queries behind the live queue: ordered ids, the change marker, counts.

Every change writes a ticket event, so ``max(ticket_events.id)`` is the one
cheap question the live refresh asks ("has anything changed since N?").
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from deskui.domain.enums import ACTIVE_STATUSES
from deskui.store.tables import analysts, groups, requesters, ticket_events, tickets
from deskui.store.queue import order_by


def latest_event_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.max(ticket_events.c.id))).scalar() or 0


def changed_ticket_ids(engine: Engine, after: int, upto: int, limit: int = 5000) -> list[int] | None:
    """Tickets with an event in (after, upto]; None when more than ``limit``
    changed (the caller then reloads everything)."""
    stmt = (
        select(ticket_events.c.ticket_id)
        .where(ticket_events.c.id > after, ticket_events.c.id <= upto)
        .distinct()
        .limit(limit + 1)
    )
    with engine.connect() as conn:
        ids = list(conn.execute(stmt).scalars())
    return None if len(ids) > limit else ids


# Ticket ids as 4-byte unsigned integers: a million cost 4 MB. Ids stay far
# below 2**32 (PostgreSQL's serial stops at 2**31; SQLite counts up from 1).
ID_TYPECODE = "I"


def id_array(values: Iterable[int] = ()) -> array:
    return array(ID_TYPECODE, values)


def iter_ids(engine: Engine, where: Sequence, sort: str, batch: int = 8192, first: int | None = None) -> Iterator[array]:
    """Ordered ticket ids in batches of :func:`id_array`.

    Only ids are read, straight from the driver's cursor (SQLAlchemy compiles
    the statement and binds the parameters; rows of one integer need no result
    processing), so a million ids cost 4 MB and about a second. Batches are
    small because the driver's rows (a tuple and an int each, ~80 bytes) are
    what weighs, not the array. ``first`` makes the first batch smaller still,
    so the first page can be shown at once.
    """
    stmt = select(tickets.c.id).where(*where).order_by(*order_by(sort))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            result = conn.execute(stmt)
            fetch = result.cursor.fetchmany
        else:
            # A server-side cursor; SQLAlchemy buffers it, so read through its API.
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            fetch = result.fetchmany
        size = first or batch
        try:
            while True:
                rows = fetch(size)
                if not rows:
                    break
                size = batch
                yield id_array([row[0] for row in rows])  # twice as fast as chain.from_iterable
        finally:
            result.close()


def read_ids(engine: Engine, where: Sequence, sort: str) -> array:
    ids = id_array()
    for chunk in iter_ids(engine, where, sort):
        ids.extend(chunk)
    return ids


@dataclass(frozen=True, slots=True)
class QueueLine:
    """What one queue line shows of a ticket (no description, no ORM object)."""

    id: int
    priority: int
    status: str
    type: str
    subject: str
    requester: str
    group: str
    assignee: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_warn_at: datetime | None
    resolution_warn_at: datetime | None
    response_state: str
    resolution_state: str
    version: int


def queue_lines(engine: Engine, ids: Sequence[int]) -> list[QueueLine]:
    """Lines for ``ids`` in the order given (missing ids are skipped). Plain
    columns through Core: a page of 100 costs a few milliseconds."""
    if not ids:
        return []
    t = tickets.c
    stmt = (
        select(t.id, t.priority, t.status, t.type, t.subject,
               func.coalesce(func.nullif(requesters.c.name, ""), requesters.c.email, ""),
               func.coalesce(groups.c.name, ""), func.coalesce(analysts.c.username, ""),
               t.created_at, t.updated_at, t.first_response_at, t.response_due_at, t.resolution_due_at,
               t.response_warn_at, t.resolution_warn_at, t.response_state, t.resolution_state, t.version)
        .outerjoin(requesters, requesters.c.id == t.requester_id)
        .outerjoin(groups, groups.c.id == t.group_id)
        .outerjoin(analysts, analysts.c.id == t.assignee_id)
        .where(t.id.in_(list(ids)))
    )
    with engine.connect() as conn:
        by_id = {row[0]: QueueLine(*row) for row in conn.execute(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def count_where(engine: Engine, where_lists: Sequence[Sequence]) -> list[int]:
    """COUNT(*) for each list of conditions, on one connection."""
    with engine.connect() as conn:
        return [conn.execute(select(func.count()).select_from(tickets).where(*where)).scalar() or 0
                for where in where_lists]


@dataclass(frozen=True)
class AnalystLoad:
    username: str
    name: str
    tier: int
    away: bool
    open_tickets: int


def analyst_loads(engine: Engine) -> list[AnalystLoad]:
    """Active analysts with the number of active tickets assigned to each."""
    active = [status.value for status in ACTIVE_STATUSES]
    load = (
        select(tickets.c.assignee_id, func.count().label("n"))
        .where(tickets.c.status.in_(active), tickets.c.assignee_id.is_not(None))
        .group_by(tickets.c.assignee_id)
        .subquery()
    )
    stmt = (
        select(analysts.c.username, analysts.c.name, analysts.c.tier, analysts.c.away, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.assignee_id == analysts.c.id)
        .where(analysts.c.active.is_(True))
        .order_by(analysts.c.username)
    )
    with engine.connect() as conn:
        return [AnalystLoad(u, n, t, bool(a), int(c)) for u, n, t, a, c in conn.execute(stmt)]
