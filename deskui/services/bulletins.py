"""Bulletins: a lead posts a known issue or a planned change with a severity and an
end time; every running app shows it in a banner (polling :func:`stamp`), incidents
link to it in one key, and it expires by itself at ``ends_at`` (ending early sets
``ends_at`` to now). Linking writes a ticket event (``linked``, field ``bulletin``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.permissions import Action
from deskui.domain.text import clean_subject, clean_text
from deskui.errors import NotFound, ValidationError
from deskui.services.actors import Actor, require
from deskui.services.ticket_history import noting, touch_ticket
from deskui.store import bulletin_queries as q
from deskui.store.bulletin_queries import KINDS, SEVERITIES, BulletinRecord, bulletin_ref
from deskui.store.db import write_session
from deskui.store.models import Ticket
from deskui.store.models_ops import Bulletin, BulletinLink
from deskui.store.upsert import insert_ignore

__all__ = ["post", "end", "link", "unlink", "parse_duration", "parse_bulletin_ref", "BulletinRecord", "SEVERITIES",
           "KINDS"]

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``"90m"``, ``"4h"``, ``"2d"``, ``"1w"``."""
    match = _DURATION.match(text or "")
    if not match:
        raise ValidationError(f"duration: {text!r} is not like 90m, 4h, 2d or 1w")
    amount, unit = int(match.group(1)), match.group(2).lower()
    return {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount),
            "w": timedelta(weeks=amount)}[unit]


def parse_bulletin_ref(value: str | int) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().removeprefix("BUL").lstrip("-#")
    if not text.isdigit():
        raise ValidationError(f"bulletin: {value!r} is not a bulletin number (e.g. 3 or BUL-3)")
    return int(text)


def post(engine: Engine, actor: Actor, title: str, *, ends_at: datetime, body: str = "", kind: str = "known_issue",
         severity: str = "minor", starts_at: datetime | None = None, at: datetime | None = None) -> BulletinRecord:
    """Post a bulletin (leads and admins). Times are naive UTC."""
    require(actor, Action.BULLETINS)
    title = clean_subject(title)
    if not title:
        raise ValidationError("title: a bulletin needs a title")
    if kind not in KINDS:
        raise ValidationError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if severity not in SEVERITIES:
        raise ValidationError(f"severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    now = at or clock.now()
    start = starts_at or now
    if ends_at <= start or ends_at <= now:
        raise ValidationError(f"ends_at: {ends_at:%Y-%m-%d %H:%M} UTC must be after the start and in the future")
    with write_session(engine) as session:
        row = Bulletin(title=title[:200], body=clean_text(body).strip(), kind=kind, severity=severity,
                       starts_at=start, ends_at=ends_at, created_at=now, created_by=actor.username[:64],
                       updated_at=now)
        session.add(row)
        session.flush()
        return q.bulletin(session, row.id)


def end(engine: Engine, actor: Actor, bulletin_id: int, *, at: datetime | None = None) -> BulletinRecord:
    """End a bulletin now (before its end time)."""
    require(actor, Action.BULLETINS)
    now = at or clock.now()
    with write_session(engine) as session:
        row = session.get(Bulletin, bulletin_id)
        if row is None:
            raise NotFound(f"bulletin {bulletin_ref(bulletin_id)} not found")
        if row.ends_at <= now:
            raise ValidationError(f"bulletin {bulletin_ref(bulletin_id)} already ended at {row.ends_at:%Y-%m-%d %H:%M}")
        row.ends_at = max(now, row.starts_at)
        row.ended_by = actor.username[:64]
        # A strictly newer stamp, so every banner notices even within the same second.
        row.updated_at = max(now, row.updated_at + timedelta(microseconds=1))
        session.flush()
        return q.bulletin(session, bulletin_id)


def link(engine: Engine, actor: Actor, bulletin_id: int, ticket_id: int, *, at: datetime | None = None) -> bool:
    """Link a ticket to a bulletin; False when it was linked already."""
    require(actor, Action.LINK)
    now = at or clock.now()
    with write_session(engine) as session:
        row = session.get(Bulletin, bulletin_id)
        if row is None:
            raise NotFound(f"bulletin {bulletin_ref(bulletin_id)} not found")
        if session.get(Ticket, ticket_id) is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        added = insert_ignore(session, BulletinLink.__table__, ["bulletin_id", "ticket_id"], bulletin_id=bulletin_id,
                              ticket_id=ticket_id, linked_at=now, linked_by=actor.username[:64])
        if added:
            touch_ticket(session, ticket_id, actor, now)
            with noting(session, ticket_id, actor) as plan:
                plan.link(now, "bulletin", bulletin_ref(bulletin_id), row.title)
        return added


def unlink(engine: Engine, actor: Actor, bulletin_id: int, ticket_id: int, *, at: datetime | None = None) -> None:
    require(actor, Action.LINK)
    now = at or clock.now()
    with write_session(engine) as session:
        found = session.get(BulletinLink, (bulletin_id, ticket_id))
        if found is None:
            raise ValidationError(f"ticket #{ticket_id} is not linked to {bulletin_ref(bulletin_id)}")
        session.delete(found)
        touch_ticket(session, ticket_id, actor, now)
        with noting(session, ticket_id, actor) as plan:
            plan.unlink(now, "bulletin", bulletin_ref(bulletin_id))
