"""``INSERT ... ON CONFLICT DO NOTHING`` on either database (the only dialect branch
the services need for single rows: they call these, never a dialect's ``insert``)."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Table
from sqlmodel import Session


def _insert(session: Session):
    # Imported here: the PostgreSQL dialect costs ~0.1 s at import, on the app's startup path.
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert


def insert_ignore(session: Session, table: Table, keys: Sequence[str], **values) -> bool:
    """Insert one row unless one with the same ``keys`` exists; True when inserted."""
    stmt = (_insert(session)(table).values(**values).on_conflict_do_nothing(index_elements=list(keys))
            # rowcount of an INSERT is only kept when asked for (and on the Core table).
            .execution_options(preserve_rowcount=True))
    return session.execute(stmt).rowcount == 1


def insert_many_ignore(session: Session, table: Table, keys: Sequence[str], rows: list[dict]) -> None:
    """Insert the rows that do not exist yet (by ``keys``), in one executemany."""
    if rows:
        session.execute(_insert(session)(table).on_conflict_do_nothing(index_elements=list(keys)), rows)
