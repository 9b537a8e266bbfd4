"""The transaction loop mail and alert intake share: one item, one transaction."""

from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.errors import ConflictError
from deskui.store.db import write_session

RETRIES = 3
Item = TypeVar("Item")
Outcome = tuple[str, ...]


def take_each(engine: Engine, items: Iterable[Item], take: Callable[[Session, Item], Outcome],
              done: Callable[[Outcome], None], *, dry_run: bool) -> None:
    """``take`` each item in its own transaction (retried on a version conflict) and
    hand its outcome to ``done``. A dry run is one transaction rolled back at the
    end, a savepoint an item: later items see what earlier ones would have done
    (a reply to a new ticket, a recovery of a new incident)."""
    if dry_run:
        with write_session(engine) as session:
            for item in items:
                with session.begin_nested():
                    outcome = take(session, item)
                done(outcome)
            session.rollback()
        return
    for item in items:
        for attempt in range(RETRIES):
            try:
                with write_session(engine) as session:
                    outcome = take(session, item)
                break
            except ConflictError:
                if attempt == RETRIES - 1:
                    raise
        done(outcome)
