"""Notifications to requesters, written in the transaction of the change (a
transactional outbox, DESIGN.md §8).

Every service change reaches the database through
:func:`deskui.services.ticket_history.add_events`, which hands the events to
:func:`on_events`. The events that concern a requester -- the ticket was
created, an analyst replied in public, it waits on them, it was escalated,
resolved, reopened, closed -- are noted on the session, and the outbox rows are
written just before that session commits (``before_commit``), when the ticket's
SLA due times are final (the acknowledgement says when the first response is
expected, the escalation the new expected resolution). So there is no
notification without its change (a rollback takes both) and no change without
its notification. Internal notes, rule and intake comments never notify.

Which kinds notify is a desk setting (``settings`` row ``mail_notify``: a JSON
list of kinds; all of them when it is absent); ``mail_domain`` gives the domain
of the Message-IDs (default ``deskui.local``), ``mail_csat_share`` the share of
resolutions whose mail asks for a score (default 1).
"""

from __future__ import annotations

import json
import secrets
from typing import Iterable

from sqlalchemy import event, select
from sqlmodel import Session

from deskui.domain import mail as m
from deskui.domain.enums import EventKind, PendingReason, Status, Visibility
from deskui.domain.history import PlannedEvent
from deskui.domain.text import is_email
from deskui.store.models import Analyst, Comment, Requester, Setting, Ticket
from deskui.store.models_mail import OutboundMail

NOTIFY_SETTING, DOMAIN_SETTING, CSAT_SETTING = "mail_notify", "mail_domain", "mail_csat_share"
DEFAULT_DOMAIN = "deskui.local"
_PENDING = "deskui_mail_pending"
_LISTENING = "deskui_mail_listening"


def kind_of(e: PlannedEvent) -> str | None:
    """The notification an event asks for, if any."""
    if e.kind == EventKind.CREATED.value:
        return m.CREATED
    if e.kind == EventKind.COMMENT.value:
        return m.REPLY if e.field == Visibility.PUBLIC.value and e.actor_id is not None else None
    if e.kind == EventKind.STATUS.value:
        waiting = e.new == Status.PENDING.value and e.detail.startswith(PendingReason.AWAITING_REQUESTER.value)
        return m.PENDING if waiting else None
    return {EventKind.ESCALATED.value: m.ESCALATED, EventKind.RESOLVED.value: m.RESOLVED,
            EventKind.REOPENED.value: m.REOPENED, EventKind.CLOSED.value: m.CLOSED}.get(e.kind)


def on_events(session: Session, ticket_id: int, events: Iterable[PlannedEvent]) -> None:
    """Note the notifications these events ask for; they are written before the commit."""
    # Each with the (innermost) transaction it belongs to: a savepoint rolled back takes
    # its notifications with it.
    tx = session.get_nested_transaction() or session.get_transaction()
    wanted = [(ticket_id, kind, e, tx) for e in events if (kind := kind_of(e)) is not None]
    if not wanted:
        return
    session.info.setdefault(_PENDING, []).extend(wanted)
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "before_commit", _write_pending)
        event.listen(session, "after_soft_rollback", _forget_rolled_back)


def _forget_rolled_back(session: Session, previous) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [p for p in pending if not _within(p[3], previous)]


def _within(tx, ancestor) -> bool:
    while tx is not None:
        if tx is ancestor:
            return True
        tx = tx.parent
    return False


def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    settings = desk_settings(session)
    for ticket_id, kind, e, _tx in pending:
        if kind in settings["notify"]:
            queue(session, ticket_id, kind, e, settings)
    session.flush()


def desk_settings(session: Session) -> dict:
    rows = dict(session.execute(select(Setting.key, Setting.value).where(
        Setting.key.in_([NOTIFY_SETTING, DOMAIN_SETTING, CSAT_SETTING]))).all())
    try:
        notify = set(json.loads(rows[NOTIFY_SETTING])) if NOTIFY_SETTING in rows else set(m.KINDS)
    except (ValueError, TypeError):
        notify = set(m.KINDS)
    try:
        share = min(1.0, max(0.0, float(rows.get(CSAT_SETTING, "1"))))
    except ValueError:
        share = 1.0
    return {"notify": notify, "domain": rows.get(DOMAIN_SETTING, "").strip() or DEFAULT_DOMAIN, "csat_share": share}


def asks_rating(ticket_id: int, share: float) -> bool:
    """Whether this ticket's resolution mail asks for a score: a fixed, spread-out
    share of tickets (the same answer every time for one ticket)."""
    return (ticket_id * 2654435761 % 1000) < share * 1000


def queue(session: Session, ticket_id: int, kind: str, e: PlannedEvent, settings: dict) -> OutboundMail | None:
    ticket = session.get(Ticket, ticket_id)
    requester = session.get(Requester, ticket.requester_id) if ticket and ticket.requester_id else None
    if requester is None or not is_email(requester.email):
        return None
    ctx = m.MailContext(
        number=ticket.id, subject=ticket.subject, requester_name=requester.name, status=ticket.status,
        expected=ticket.response_due_at if kind == m.CREATED else ticket.resolution_due_at,
        text=_text(session, kind, e, ticket), author=_author(session, e),
        ask_rating=asks_rating(ticket.id, settings["csat_share"]),
    )
    subject, body = m.render(kind, ctx)
    undeliverable = requester.mail_bounced_at is not None
    root, last = thread_of(session, ticket)
    refs = list(dict.fromkeys(r for r in (root, last) if r))
    now = e.at
    row = OutboundMail(
        ticket_id=ticket.id, kind=kind, comment_id=e.comment_id if kind == m.REPLY else None,
        to_address=requester.email, subject=subject[:400], body=body,
        message_id=m.message_id(ticket.id, kind, secrets.token_hex(8), settings["domain"]),
        in_reply_to=last or root or "", thread_refs=" ".join(refs), attempts=0,
        state=m.FAILED if undeliverable else m.QUEUED, next_attempt_at=now, created_at=now,
        last_error=(f"not sent: {requester.email} bounced on {requester.mail_bounced_at:%Y-%m-%d %H:%M}: "
                    f"{requester.mail_bounce}")[:500] if undeliverable else "",
    )
    session.add(row)
    session.flush()
    return row


def _text(session: Session, kind: str, e: PlannedEvent, ticket: Ticket) -> str:
    if kind == m.REPLY and e.comment_id is not None:
        comment = session.get(Comment, e.comment_id)
        return comment.body if comment else e.detail
    if kind == m.RESOLVED:
        return ticket.resolution_notes
    if kind in (m.ESCALATED, m.REOPENED):
        return e.detail
    return ""


def _author(session: Session, e: PlannedEvent) -> str:
    if e.actor_id is None:
        return ""
    analyst = session.get(Analyst, e.actor_id)
    return analyst.name if analyst else ""


def thread_of(session: Session, ticket: Ticket) -> tuple[str, str]:
    """(root, last) Message-IDs of a ticket's mail thread: the mail that opened it
    (else the first notification), and the requester's latest mail on it."""
    root = ""
    if ticket.external_ref and ticket.external_ref.startswith("email:<"):
        root = ticket.external_ref.removeprefix("email:")
    if not root:
        root = session.scalar(select(OutboundMail.message_id).where(OutboundMail.ticket_id == ticket.id)
                              .order_by(OutboundMail.id).limit(1)) or ""
    last = session.scalar(select(Comment.message_id).where(
        Comment.ticket_id == ticket.id, Comment.message_id.is_not(None), Comment.author_id.is_(None))
        .order_by(Comment.id.desc()).limit(1)) or ""
    return root, last

