"""Outbox queries (issue 13): claim due rows for a sender, mark them, list them.

A row is claimed with a compare-and-set (``UPDATE ... WHERE id = :id AND state =
:seen``), so two senders never hold the same row; a claim older than the lease
(a sender that died between sending and marking) may be taken again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from deskui.domain import mail as m
from deskui.store.models_mail import OutboundMail
from deskui.store.records import OutboxRecord


def record(row: OutboundMail) -> OutboxRecord:
    return OutboxRecord(row.id, row.ticket_id, row.kind, row.to_address, row.subject, row.body, row.message_id,
                        row.in_reply_to, row.thread_refs, row.state, row.attempts, row.next_attempt_at,
                        row.claimed_at, row.sent_at, row.last_error, row.created_at)


def _due(now: datetime, lease: timedelta):
    o = OutboundMail
    return or_(and_(o.state == m.QUEUED, o.next_attempt_at <= now),
               and_(o.state == m.SENDING, o.claimed_at <= now - lease))


def claim_due(session: Session, now: datetime, lease: timedelta, limit: int) -> list[OutboxRecord]:
    """Claim up to ``limit`` due rows (oldest first): state sending, attempts + 1. One
    UPDATE re-checks that each row is still due (a row another sender claimed meanwhile
    is not) and RETURNING says which ones this call won."""
    o = OutboundMail
    candidates = session.scalars(select(o.id).where(_due(now, lease)).order_by(o.id).limit(limit)).all()
    if not candidates:
        return []
    won = session.scalars(
        update(o).where(o.id.in_(candidates), _due(now, lease))
        .values(state=m.SENDING, claimed_at=now, attempts=o.attempts + 1).returning(o.id)
        .execution_options(synchronize_session=False)).all()
    if not won:
        return []
    rows = session.scalars(select(o).where(o.id.in_(won)).order_by(o.id).execution_options(
        populate_existing=True)).all()
    return [record(r) for r in rows]


def _mine(row: OutboxRecord):
    o = OutboundMail
    return and_(o.id == row.id, o.state == m.SENDING, o.claimed_at == row.claimed_at)


def mark_sent(session: Session, sent: list[OutboxRecord], now: datetime) -> int:
    """Sent, in one statement (only rows still held by the claim that sent them)."""
    o = OutboundMail
    by_claim: dict[datetime | None, list[int]] = {}
    for row in sent:
        by_claim.setdefault(row.claimed_at, []).append(row.id)
    done = 0
    for claimed_at, ids in by_claim.items():
        done += session.execute(update(o).where(o.id.in_(ids), o.state == m.SENDING, o.claimed_at == claimed_at)
                                .values(state=m.SENT, sent_at=now, last_error="")
                                .execution_options(synchronize_session=False)).rowcount
    return done


def mark_failed(session: Session, row: OutboxRecord, error: str, *, retry_at: datetime | None) -> bool:
    """Back to queued until ``retry_at``, or failed for good (``retry_at`` None)."""
    values = {"state": m.QUEUED, "next_attempt_at": retry_at} if retry_at else {"state": m.FAILED}
    return session.execute(update(OutboundMail).where(_mine(row)).values(last_error=error[:500], **values)
                           .execution_options(synchronize_session=False)).rowcount == 1


def release(session: Session, row: OutboxRecord) -> None:
    """Give a claimed row back untried (the server could not be reached): the attempt is not counted."""
    session.execute(update(OutboundMail).where(_mine(row)).values(state=m.QUEUED, attempts=OutboundMail.attempts - 1)
                    .execution_options(synchronize_session=False))


def requeue(session: Session, now: datetime, *, row_id: int | None = None) -> int:
    """Failed rows (one, or all) back to queued, due now, attempts from zero."""
    o = OutboundMail
    where = [o.state == m.FAILED] + ([o.id == row_id] if row_id is not None else [])
    return session.execute(update(o).where(*where).values(state=m.QUEUED, attempts=0, next_attempt_at=now)
                           .execution_options(synchronize_session=False)).rowcount


def rows(session: Session, *, state: str | None = None, ticket_id: int | None = None,
         limit: int = 500) -> list[OutboxRecord]:
    o = OutboundMail
    query = select(o).order_by(o.id.desc()).limit(limit)
    if state:
        query = query.where(o.state == state)
    if ticket_id is not None:
        query = query.where(o.ticket_id == ticket_id)
    return [record(r) for r in session.scalars(query).all()]


def counts(session: Session) -> dict[str, int]:
    o = OutboundMail
    found = dict(session.execute(select(o.state, func.count()).group_by(o.state)).all())
    return {state: int(found.get(state, 0)) for state in m.STATES}

