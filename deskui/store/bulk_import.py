"""Flushing an import batch: tickets and their planned events, a few statements a batch.

The importer (``deskui.services.importers.writer``) plans each row's changes through
the history planner; this module writes the outcome inside the batch's transaction,
the fastest way each database allows (the driver's executemany, rows as plain
tuples, times pre-formatted the way SQLAlchemy stores them on SQLite).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Iterable, Sequence

from sqlalchemy import bindparam, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.domain.history import PlannedEvent
from deskui.store.models import Requester, Ticket
from deskui.store.upsert import insert_many_ignore

TICKETS = Ticket.__table__
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "actor", "kind", "field", "old", "new", "detail", "comment_id")
# Columns an import update writes (the number, its creation and the id stay; the
# database computes the generated durations).
_WRITTEN = [c for c in TICKETS.columns if c.computed is None]
UPDATED_COLUMNS = tuple(c.name for c in _WRITTEN if c.name not in ("id", "external_ref", "created_at"))
INSERTED_COLUMNS = tuple(c.name for c in _WRITTEN if c.name != "id")


class ImportFlush:
    """The batch writes of one import, on one engine's dialect."""

    def __init__(self, engine: Engine):
        self.sqlite = engine.dialect.name == "sqlite"
        self.stamp: Callable[[datetime], object] = sqlite_time if self.sqlite else _same

    def begin(self, session: Session, cache_kib: int) -> None:
        """Per batch transaction: on SQLite a bigger page cache for this connection, so
        index inserts stop re-reading pages."""
        if self.sqlite:
            session.connection().exec_driver_sql(f"PRAGMA cache_size = -{int(cache_kib)}")

    def insert_requesters(self, session: Session, values: list[dict]) -> None:
        insert_many_ignore(session, Requester.__table__, ["email"], values)

    def insert_tickets(self, session: Session, rows: Sequence[dict]) -> list[int]:
        """New tickets (every column but the id); their ids, in order."""
        if not self.sqlite:
            result = session.execute(insert(TICKETS).returning(TICKETS.c.id, sort_by_parameter_order=True), list(rows))
            return [tid for (tid,) in result.all()]
        # SQLite: one plain INSERT a ticket on the driver's cursor; lastrowid is the number.
        sql = f"INSERT INTO tickets ({', '.join(INSERTED_COLUMNS)}) VALUES ({', '.join('?' * len(INSERTED_COLUMNS))})"
        cursor = session.connection().connection.dbapi_connection.cursor()
        ids = []
        try:
            for row in rows:
                cursor.execute(sql, [_sqlite_value(row[c]) for c in INSERTED_COLUMNS])
                ids.append(cursor.lastrowid)
        finally:
            cursor.close()
        return ids

    def update_tickets(self, session: Session, rows: Sequence[tuple[int, int, dict]]) -> int:
        """(id, version seen, columns) updates, each only where the version is still the
        one seen; the number of tickets updated (fewer: someone else changed one)."""
        stmt = (update(TICKETS)
                .where(TICKETS.c.id == bindparam("k_id"), TICKETS.c.version == bindparam("k_seen"))
                .values({name: bindparam(f"v_{name}") for name in UPDATED_COLUMNS}))
        params = [{"k_id": tid, "k_seen": seen, **{f"v_{name}": state[name] for name in UPDATED_COLUMNS}}
                  for tid, seen, state in rows]
        return session.connection().execute(stmt, params).rowcount

    def insert_events(self, session: Session, events: Iterable[tuple[int, PlannedEvent]]) -> int:
        """(ticket id, planned event) pairs; the number written."""
        stamp = self.stamp
        rows = [(tid, stamp(e.at), e.actor_id, e.actor, e.kind, e.field, (e.old or "")[:300], (e.new or "")[:300],
                 e.detail, e.comment_id) for tid, e in events]
        if rows:
            mark = "?" if self.sqlite else "%s"
            session.connection().exec_driver_sql(
                f"INSERT INTO ticket_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})",
                rows)
        return len(rows)


def sqlite_time(value: datetime) -> str:
    # How SQLAlchemy's DateTime stores a value on SQLite (always six fraction digits), so
    # imported rows compare and sort exactly like rows written through the ORM.
    return value.isoformat(" ", "microseconds")


def _same(value):
    return value


def _sqlite_value(value):
    return sqlite_time(value) if isinstance(value, datetime) else value
