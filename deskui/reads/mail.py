"""The outbox as ``deskui mail outbox`` (and the ticket screen) shows it (writes:
deskui.services.mail)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from deskui.store import outbox
from deskui.store.db import session_scope
from deskui.store.outbox import OutboxRecord


def outbox_rows(engine: Engine, *, state: str | None = None, ticket_id: int | None = None,
                limit: int = 500) -> list[OutboxRecord]:
    """Newest first."""
    with session_scope(engine) as session:
        return outbox.rows(session, state=state, ticket_id=ticket_id, limit=limit)


def outbox_counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return outbox.counts(session)
