"""Bulletins as the banner, the queue and the CLI read them (writes:
deskui.services.bulletins). The banner polls :func:`stamp`, one aggregate, and
re-reads the bulletins only when it moved."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.errors import NotFound
from deskui.store import bulletin_queries as q
from deskui.store.bulletin_queries import BulletinRecord, bulletin_ref
from deskui.store.db import session_scope

__all__ = ["BulletinRecord", "active", "for_ticket", "get", "list_bulletins", "not_over", "stamp"]


def active(engine: Engine, now: datetime | None = None) -> list[BulletinRecord]:
    with session_scope(engine) as session:
        return q.active_bulletins(session, now or clock.now())


def not_over(engine: Engine, now: datetime | None = None) -> list[BulletinRecord]:
    """Active and scheduled bulletins: the banner keeps these and switches them on and
    off by the clock, without asking the database again."""
    with session_scope(engine) as session:
        return q.upcoming_and_active(session, now or clock.now())


def stamp(engine: Engine) -> tuple:
    with session_scope(engine) as session:
        return q.bulletin_stamp(session)


def list_bulletins(engine: Engine, *, include_ended: bool = False, now: datetime | None = None) -> list[BulletinRecord]:
    with session_scope(engine) as session:
        if include_ended:
            return q.all_bulletins(session)
        return q.upcoming_and_active(session, now or clock.now())


def get(engine: Engine, bulletin_id: int) -> tuple[BulletinRecord, list[int]]:
    with session_scope(engine) as session:
        found = q.bulletin(session, bulletin_id)
        if found is None:
            raise NotFound(f"bulletin {bulletin_ref(bulletin_id)} not found")
        return found, q.linked_ticket_ids(session, bulletin_id)


def for_ticket(engine: Engine, ticket_id: int) -> list[BulletinRecord]:
    with session_scope(engine) as session:
        return q.bulletins_for_ticket(session, ticket_id)

