"""Read queries for bulletins. The banner polls :func:`bulletin_stamp` (one indexed
aggregate) and reloads :func:`active_bulletins` only when the stamp changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import Session

from deskui.store.models_ops import Bulletin, BulletinLink

SEVERITIES = ("info", "minor", "major", "critical")
KINDS = ("known_issue", "planned_change")


def bulletin_ref(bulletin_id: int) -> str:
    return f"BUL-{bulletin_id}"


@dataclass(frozen=True)
class BulletinRecord:
    id: int
    title: str
    body: str
    kind: str
    severity: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    created_by: str
    ended_by: str
    linked: int  # tickets linked to it

    @property
    def ref(self) -> str:
        return bulletin_ref(self.id)

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 0

    def is_active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def _severity_rank():
    return case({s: i for i, s in enumerate(SEVERITIES)}, value=Bulletin.severity, else_=0)


def _records(session: Session, stmt) -> list[BulletinRecord]:
    rows = session.scalars(stmt).all()
    counts = dict(session.execute(
        select(BulletinLink.bulletin_id, func.count()).where(BulletinLink.bulletin_id.in_([b.id for b in rows]))
        .group_by(BulletinLink.bulletin_id)).all()) if rows else {}
    return [BulletinRecord(id=b.id, title=b.title, body=b.body, kind=b.kind, severity=b.severity,
                           starts_at=b.starts_at, ends_at=b.ends_at, created_at=b.created_at, created_by=b.created_by,
                           ended_by=b.ended_by, linked=int(counts.get(b.id, 0))) for b in rows]


def active_bulletins(session: Session, now: datetime) -> list[BulletinRecord]:
    """Bulletins in force at ``now``, most severe first, then the newest."""
    return _records(session, select(Bulletin).where(Bulletin.starts_at <= now, Bulletin.ends_at > now)
                    .order_by(_severity_rank().desc(), Bulletin.starts_at.desc(), Bulletin.id.desc()))


def upcoming_and_active(session: Session, now: datetime) -> list[BulletinRecord]:
    """Everything not yet over (active and scheduled), for the banner to switch on its own."""
    return _records(session, select(Bulletin).where(Bulletin.ends_at > now)
                    .order_by(_severity_rank().desc(), Bulletin.starts_at.desc(), Bulletin.id.desc()))


def all_bulletins(session: Session, limit: int = 100) -> list[BulletinRecord]:
    return _records(session, select(Bulletin).order_by(Bulletin.id.desc()).limit(limit))


def bulletin(session: Session, bulletin_id: int) -> BulletinRecord | None:
    found = _records(session, select(Bulletin).where(Bulletin.id == bulletin_id))
    return found[0] if found else None


def bulletins_for_ticket(session: Session, ticket_id: int) -> list[BulletinRecord]:
    return _records(session, select(Bulletin).join(BulletinLink, BulletinLink.bulletin_id == Bulletin.id)
                    .where(BulletinLink.ticket_id == ticket_id).order_by(Bulletin.id))


def linked_ticket_ids(session: Session, bulletin_id: int) -> list[int]:
    return list(session.scalars(select(BulletinLink.ticket_id).where(BulletinLink.bulletin_id == bulletin_id)
                                .order_by(BulletinLink.ticket_id)).all())


def bulletin_stamp(session: Session) -> tuple:
    """(count, newest change): changes whenever a bulletin is posted, edited or ended."""
    return tuple(session.execute(select(func.count(Bulletin.id), func.max(Bulletin.updated_at))).one())
