"""Which ticket a mail belongs to, and whether its sender may join it (issue 13.3, 13.5, 13.6).

A reply is matched by its ``In-Reply-To``/``References`` first -- a Message-ID of
a notification deskui sent (each carries a random part nobody can guess), of
a mail already on a ticket, or of the mail that opened one -- and by the
``[#N]`` tag in the subject second.

A match alone proves nothing: a subject tag is typed by anyone, and a From
header is forged as easily. A mail joins ticket N only when its sender is on
N's thread: the requester, an address deskui mailed about N, the sender of a
mail already taken onto N, or an analyst. Anyone else's mail opens a new ticket
that links to N, and never comments on, reopens or resumes N.

A reply to a resolution mail whose first word is a score (1-5, also
"rate: 4") records the survey answer for that resolution, once; the rest of
its text becomes a public comment, and the ticket stays resolved.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re

from sqlalchemy import select, update
from sqlmodel import Session

from deskui.domain import mail as m
from deskui.domain.enums import Status
from deskui.domain.text import clean_text
from deskui.services.actors import Actor
from deskui.services.survey import SURVEYED_STATUSES, add_survey
from deskui.store.models import Analyst, Comment, Requester, Ticket
from deskui.store.models_mail import OutboundMail

REF_PREFIX = "email:"


def find_target(session: Session, subject: str, references: tuple[str, ...],
                ref_of=lambda mid: REF_PREFIX + mid) -> tuple[Ticket | None, str]:
    """(ticket, how): how is "reference" or "tag" ("" when nothing matched)."""
    refs = list(references)
    if refs:
        ticket_id = session.scalar(select(OutboundMail.ticket_id).where(OutboundMail.message_id.in_(refs)).limit(1))
        if ticket_id is None:
            ticket_id = session.scalar(select(Comment.ticket_id).where(Comment.message_id.in_(refs)).limit(1))
        if ticket_id is None:
            ticket_id = session.scalar(select(Ticket.id).where(Ticket.external_ref.in_([ref_of(r) for r in refs]))
                                       .limit(1))
        if ticket_id is not None:
            return session.get(Ticket, ticket_id), "reference"
    number = m.ticket_tag(subject)
    if number is not None:
        ticket = session.get(Ticket, number)
        if ticket is not None:
            return ticket, "tag"
    return None, ""


def thread_addresses(session: Session, ticket: Ticket) -> set[str]:
    """Everyone on a ticket's thread (lower-case addresses), analysts aside."""
    found: set[str] = set()
    if ticket.requester_id is not None:
        requester = session.get(Requester, ticket.requester_id)
        if requester is not None:
            found.add(requester.email.lower())
    found.update(a.lower() for a in session.scalars(
        select(OutboundMail.to_address).where(OutboundMail.ticket_id == ticket.id)).all())
    for author in session.scalars(select(Comment.author_name).where(
            Comment.ticket_id == ticket.id, Comment.message_id.is_not(None), Comment.author_id.is_(None))).all():
        address = email.utils.parseaddr(author)[1].lower()
        if address:
            found.add(address)
    return found


def on_thread(session: Session, ticket: Ticket, sender: str) -> bool:
    sender = sender.lower()
    if sender in thread_addresses(session, ticket):
        return True
    return session.scalar(select(Analyst.id).where(Analyst.email == sender, Analyst.email != "").limit(1)) is not None


def rating_mail(session: Session, ticket: Ticket) -> OutboundMail | None:
    """The ticket's latest resolution mail, when it asked for a score that is not answered yet."""
    row = session.scalars(select(OutboundMail).where(
        OutboundMail.ticket_id == ticket.id, OutboundMail.kind == m.RESOLVED).order_by(OutboundMail.id.desc())
        .limit(1)).first()
    if row is None or row.answered_at is not None or m.RATING_QUESTION not in row.body:
        return None
    return row


def take_rating(session: Session, ticket: Ticket, body: str, actor: Actor, at) -> tuple[int, str] | None:
    """A score in a reply to a resolved (or closed) ticket's resolution mail: the survey
    answer, recorded once (a compare-and-set on the mail's ``answered_at``). Returns
    (score, the rest of the text), or None when this is not a rating."""
    if ticket.status not in SURVEYED_STATUSES:
        return None
    score, rest = m.read_score(body)
    if score is None:
        return None
    row = rating_mail(session, ticket)
    if row is None:
        return None
    won = session.execute(update(OutboundMail).where(OutboundMail.id == row.id, OutboundMail.answered_at.is_(None))
                          .values(answered_at=at).execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        return None
    add_survey(session, ticket.id, score, rest, actor, at)
    return score, rest


def answered_before(session: Session, ticket: Ticket, body: str) -> bool:
    """A second score for a resolution already rated: not a reason to reopen the ticket."""
    if ticket.status not in SURVEYED_STATUSES or m.read_score(body)[0] is None:
        return False
    return session.scalar(select(OutboundMail.id).where(
        OutboundMail.ticket_id == ticket.id, OutboundMail.kind == m.RESOLVED,
        OutboundMail.answered_at.is_not(None)).limit(1)) is not None


FINAL = (Status.CLOSED.value, Status.CANCELLED.value)


# ------------------------------------------------------------------ bounces

_OUR_ID = re.compile(rb"<deskui\.\d{1,12}\.[a-z]{1,16}\.[0-9a-f]{16}@[^<>\s]{1,200}>")


def note_bounce(session: Session, raw: bytes, at) -> str | None:
    """A delivery report that a mail deskui sent failed for good: its requester's
    address is marked undeliverable (no more mail to it). Only a report that names
    the Message-ID of one of our mails counts -- nobody else knows those -- so a
    forged "bounce" cannot silence a requester. Returns the address, or None."""
    ours = None
    for found in dict.fromkeys(_OUR_ID.findall(raw[:1_000_000])):
        ours = session.scalars(select(OutboundMail).where(OutboundMail.message_id == found.decode())).first()
        if ours is not None:
            break
    if ours is None:
        return None
    action, status, diagnostic = _delivery_status(raw)
    if action and action != "failed":
        return None  # delayed, relayed, delivered: not a failure
    if status.startswith("4."):
        return None  # temporary
    requester = session.scalars(select(Requester).where(Requester.email == ours.to_address.lower())).first()
    if requester is None:
        return None
    reason = clean_text(diagnostic or status or "delivery failed", single_line=True)[:300]
    session.execute(update(Requester).where(Requester.id == requester.id)
                    .values(mail_bounced_at=at, mail_bounce=reason).execution_options(synchronize_session=False))
    return requester.email


def _delivery_status(raw: bytes) -> tuple[str, str, str]:
    """(Action, Status, Diagnostic-Code) of the first recipient of a DSN (RFC 3464), lower-cased action."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            blocks = part.get_payload()
            for block in blocks[1:] if isinstance(blocks, list) else []:
                action = str(block.get("Action", "")).strip().lower()
                status = str(block.get("Status", "")).strip()
                diagnostic = str(block.get("Diagnostic-Code", "")).strip()
                return action, status, diagnostic
    except Exception:  # a report the parser cannot read: judged by its Message-ID alone
        pass
    return "", "", ""
