"""The mail a ticket's reader sees (issue 13), in Core: `ticket show` and the ticket
screen load no ORM model (issue 15 item 8; store/tables.py)."""

from __future__ import annotations

from sqlalchemy import select

from deskui.store.records import OutboxRecord
from deskui.store.tables import outbox, requesters


def ticket_mail(conn, ticket_id: int, limit: int = 200) -> list[OutboxRecord]:
    """The ticket's mail, newest first."""
    o = outbox.c
    query = (select(o.id, o.ticket_id, o.kind, o.to_address, o.subject, o.body, o.message_id, o.in_reply_to,
                    o.thread_refs, o.state, o.attempts, o.next_attempt_at, o.claimed_at, o.sent_at,
                    o.last_error, o.created_at)
             .where(o.ticket_id == ticket_id).order_by(o.id.desc()).limit(limit))
    return [OutboxRecord(*row) for row in conn.execute(query).all()]


def requester_bounce(conn, requester_id: int | None) -> str:
    """"" when mail to the requester is fine, else when and why it bounced."""
    if requester_id is None:
        return ""
    r = requesters.c
    row = conn.execute(select(r.email, r.mail_bounced_at, r.mail_bounce).where(r.id == requester_id)).first()
    if row is None or row.mail_bounced_at is None:
        return ""
    return f"{row.email} is undeliverable: bounced {row.mail_bounced_at:%Y-%m-%d %H:%M} UTC ({row.mail_bounce})"
