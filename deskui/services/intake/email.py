"""``deskui intake email PATH``: mail in, tickets out. PATH is an .eml file, an mbox
file, a Maildir folder (``cur/`` and ``new/``) or a folder of .eml files.

For each message, in one transaction:

- ignored, and counted under the reason: an auto-reply (``Auto-Submitted``
  other than ``no``, ``X-Autoreply``/``X-Autorespond``, ``Precedence: bulk``,
  ``junk`` or ``auto_reply``, a "mailer-daemon"/"postmaster" sender, an empty
  ``Return-Path``, a delivery report, an "Automatic reply:"/"Out of office"
  subject); a mail loop (deskui's own ``X-Loop``/``X-Deskui-Ticket`` headers,
  a sender that is one of the desk's own addresses -- the groups' emails and
  ``desk_addresses`` -- or more than ``loop_limit`` messages from one sender
  within ``loop_window_minutes``); a message already taken (same Message-ID:
  mail is taken once, so running intake over the same folder again is safe);
- a reply -- an ``In-Reply-To`` / ``References`` header naming a message deskui
  sent or took, else a ticket tag ``[#123]`` in the subject -- from someone on
  that ticket's thread (its requester, an address deskui mailed about it, a
  sender already on it, an analyst: :mod:`deskui.services.intake.mail_thread`)
  becomes a public comment on that ticket (quoted text trimmed). A resolved
  ticket is reopened; one pending on the requester goes back to open. A reply to
  a closed or cancelled ticket opens a new ticket that says which one it follows.
  A reply to a resolution mail that starts with a score (1-5) is the survey
  answer, once, and reopens nothing. Mail from anyone *not* on the thread opens
  a new ticket that links to the one it names (counted as ``not_on_thread``);
- anything else opens a ticket: requester from ``From`` (created on first
  mail), channel email, the subject (``Re:``/``Fwd:`` prefixes dropped), the
  text body (HTML converted to text with the standard library's html.parser)
  and a list of the attachments (name, type, size; the files themselves are
  not stored).

Times are the time of receipt (now, or the IMAP server's arrival time), never
the ``Date:`` header, which the sender writes: a back-dated or future header
cannot move a ticket in the queue or its SLA. The header is kept as data in the
ticket's ``created`` event.

Mail is untrusted: every header and body goes through ``clean_text``.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import Status
from deskui.domain.text import BODY_MAX_LENGTH, clean_subject, clean_text
from deskui.domain.permissions import Action
from deskui.errors import ValidationError
from deskui.services.files import IMPORT_LIMIT, MESSAGE_LIMIT, open_stream, read_bytes, too_large
from deskui.services.actors import SYSTEM, Actor, require, system_actor
from deskui.services.intake import mail_thread as thread
from deskui.services.intake import ops
from deskui.services.intake.runner import take_each
from deskui.services.directory import group_by_name
from deskui.store.db import session_scope
from deskui.store.models import Comment, Group, Requester, Ticket

ACTOR = system_actor("intake:email")
REF_PREFIX = "email:"
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|tr|rif)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
AUTO_SUBJECT = re.compile(r"^\s*(automatic reply|auto(matic)?[- ]?reply|autoreply|out of (the )?office|"
                          r"abwesenheitsnotiz|r[ée]ponse automatique)\b", re.IGNORECASE)
DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})


@dataclass(frozen=True)
class MailOptions:
    dry_run: bool = False
    group: str | None = None  # group a new ticket goes to
    ticket_type: str = "incident"
    desk_addresses: tuple[str, ...] = ()  # the desk's own addresses, besides the groups' emails
    loop_limit: int = 20  # at most this many messages from one sender ...
    loop_window_minutes: int = 60  # ... within this many minutes


@dataclass
class IntakeSummary:
    source: str
    dry_run: bool = False
    messages_read: int = 0
    tickets_created: int = 0
    comments_added: int = 0
    reopened: int = 0
    resumed: int = 0
    not_on_thread: int = 0  # replies from someone not on the ticket's thread: new tickets
    rated: int = 0  # survey answers by reply
    ignored: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "source": self.source, "dry_run": self.dry_run, "messages_read": self.messages_read,
            "tickets_created": self.tickets_created, "comments_added": self.comments_added,
            "reopened": self.reopened, "resumed": self.resumed,
            "not_on_thread": self.not_on_thread, "rated": self.rated, "ignored": dict(sorted(self.ignored.items())),
            "errors": list(self.errors), "seconds": round(self.seconds, 3),
        }


# ----------------------------------------------------------------- reading mail

def html_to_text(html: str) -> str:
    """Readable text from an HTML body: blocks become lines, list items get a dash,
    links keep their address, scripts/styles/heads vanish, entities are decoded."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextParser(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd"})
    HIDDEN = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
            if tag == "pre":
                self.pre += 1
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            if tag != "li":  # the next item (or the list's end) starts its own line
                self.parts.append("\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://", "mailto:")) and not self._ends_with(href):
                self.parts.append(f" ({href.removeprefix('mailto:')})")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in ("br", "hr"):
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def _ends_with(self, href: str) -> bool:
        return "".join(self.parts[-3:]).rstrip().endswith(href.removeprefix("mailto:"))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass(frozen=True)
class Mail:
    where: str
    message_id: str
    sender: str  # lower-case address
    sender_name: str
    subject: str
    at: datetime  # when it was received: every time stored comes from here
    header_date: datetime | None  # what its Date: header says (data only)
    references: tuple[str, ...]
    body: str
    attachments: tuple[tuple[str, str, int], ...]
    auto_reason: str | None  # why it is an auto-reply, else None
    loop_marker: bool


def parse_mail(raw: bytes, where: str, now: datetime) -> Mail:
    """``now``: the time of receipt."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(_header(msg, "From"))
    sender = clean_text(address, single_line=True).lower()
    subject = clean_text(_header(msg, "Subject"), single_line=True)
    message_id = _ids(_header(msg, "Message-ID"))
    references = _ids(_header(msg, "In-Reply-To")) + _ids(_header(msg, "References"))
    body = _body(msg)
    mid = message_id[0] if message_id else _synthetic_id(sender, _header(msg, "Date"), subject, body)
    return Mail(
        where=where, message_id=mid[:300], sender=sender, sender_name=clean_text(name, single_line=True)[:120],
        subject=subject, at=now, header_date=_date(_header(msg, "Date")), references=tuple(dict.fromkeys(references)),
        body=body, attachments=tuple(_attachments(msg)), auto_reason=_auto_reason(msg, sender, subject),
        loop_marker=_loop_marker(msg),
    )


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header the parser cannot fold: keep its raw text
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
    return "" if value is None else str(value)


def _ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value) or ([f"<{value.strip()}>"] if value.strip() and " " not in value.strip()
                                                 and "@" in value else [])


def _synthetic_id(sender: str, date: str, subject: str, body: str) -> str:
    digest = hashlib.sha256("\x00".join((sender, date, subject, body[:4000])).encode()).hexdigest()[:32]
    return f"<{digest}@no-message-id.deskui.invalid>"


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _body(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return clean_text(content).strip()


def _attachments(msg: EmailMessage) -> Iterator[tuple[str, str, int]]:
    try:
        parts = list(msg.iter_attachments())
    except Exception:
        return
    for part in parts:
        if part.is_multipart():
            continue
        name = clean_text(part.get_filename() or "", single_line=True)[:200] or "(unnamed)"
        try:
            size = len(part.get_payload(decode=True) or b"")
        except Exception:
            size = 0
        yield name, part.get_content_type(), size


def _auto_reason(msg: EmailMessage, sender: str, subject: str) -> str | None:
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto-reply"
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponse")):
        return "auto-reply"
    if _header(msg, "Precedence").strip().lower() in ("bulk", "junk", "auto_reply", "auto-reply"):
        return "auto-reply"
    if sender.split("@")[0] in DAEMONS:
        return "bounce"
    if _header(msg, "Return-Path").strip() == "<>" or msg.get_content_type() == "multipart/report":
        return "bounce"
    if AUTO_SUBJECT.match(subject):
        return "auto-reply"
    return None


def _loop_marker(msg: EmailMessage) -> bool:
    return bool(_header(msg, "X-Deskui-Ticket")) or "deskui" in _header(msg, "X-Loop").lower()


def _trim_quote(body: str) -> str:
    """The new part of a reply: drop the quoted original below it."""
    lines = body.split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if (re.match(r"^On .{4,200}wrote:$", stripped) or re.match(r"^-{2,}\s*Original Message\s*-{2,}$", stripped, re.I)
                or (re.match(r"^From: .+", stripped) and i + 1 < len(lines)
                    and re.match(r"^(Sent|Date): ", lines[i + 1].strip()))):
            cut = i
            break
    kept = lines[:cut]
    while kept and (kept[-1].strip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    text = "\n".join(kept).strip()
    return text or body


def _with_attachments(text: str, attachments) -> str:
    if not attachments:
        return text
    listed = "\n".join(f"- {name} ({ctype}, {_size(size)})" for name, ctype, size in attachments)
    return f"{text}\n\nAttachments (not stored):\n{listed}".strip()


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def email_ref(message_id: str) -> str:
    """A ticket's external_ref for the message that opened it (at most 120 characters)."""
    ref = REF_PREFIX + message_id
    if len(ref) <= 120:
        return ref
    return REF_PREFIX + "sha1:" + hashlib.sha1(message_id.encode()).hexdigest()


# ----------------------------------------------------------------- sources

def messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(location, raw message) for a file (.eml or mbox), a Maildir or a folder of .eml files.
    In a folder, symbolic links are not followed (a link in a shared Maildir could point
    anywhere the importing user can read)."""
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            files = [f for sub in ("new", "cur") if (path / sub).is_dir() and not (path / sub).is_symlink()
                     for f in sorted((path / sub).iterdir()) if _plain_file(f) and not f.name.startswith(".")]
        else:
            files = sorted(f for f in path.iterdir() if _plain_file(f) and f.suffix.lower() == ".eml")
        for file in files:
            yield str(file), read_bytes(file, MESSAGE_LIMIT, "an e-mail message")
        return
    if not path.exists():
        raise ValidationError(f"{path}: no such file or folder")
    stream, name, _size = open_stream(path, limit=IMPORT_LIMIT, what="a mail file", line_limit=MESSAGE_LIMIT)
    try:
        head = stream.stream.peek(5)[:5] if hasattr(stream.stream, "peek") else b""
        if head == b"From ":
            yield from _mbox(stream, name)
        else:
            message = stream.read(MESSAGE_LIMIT + 1)
            if len(message) > MESSAGE_LIMIT:
                raise too_large(name, MESSAGE_LIMIT, "an e-mail message")
            yield name, message
    finally:
        stream.close()


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _mbox(stream: BinaryIO, name: str) -> Iterator[tuple[str, bytes]]:
    """Messages of an mbox, one at a time (a message starts at a "From " line after a
    blank line; ">From " lines are unquoted, as mboxrd writes them)."""
    lines: list[bytes] = []
    start = 0
    previous_blank = True
    size = 0
    for number, line in enumerate(stream, start=1):
        if line.startswith(b"From ") and previous_blank:
            if lines:
                yield f"{name}:{start}", b"".join(lines)
            lines, start, size = [], number, 0
            previous_blank = False
            continue
        if re.match(rb"^>+From ", line):
            line = line[1:]
        size += len(line)
        if size > MESSAGE_LIMIT:
            raise too_large(f"{name}:{start}", MESSAGE_LIMIT, "an e-mail message")
        lines.append(line)
        previous_blank = line in (b"\n", b"\r\n")
    if lines:
        yield f"{name}:{start}", b"".join(lines)


# ----------------------------------------------------------------- taking mail in

def intake_email(engine: Engine, path: Path | str, options: MailOptions = MailOptions(),
                 progress: Callable[[IntakeSummary], None] | None = None, *, actor: Actor = SYSTEM) -> IntakeSummary:
    """Take in every message under ``path`` (see the module docstring)."""
    require(actor, Action.INTAKE, "(e-mail)")
    path = Path(path)
    summary = IntakeSummary(source=str(path), dry_run=options.dry_run)
    timer = time.perf_counter()
    now = clock.now()
    desk = desk_addresses(engine, options)

    def done(outcome: tuple[str, ...]) -> None:
        count_outcome(summary, outcome)
        if progress:
            progress(summary)

    take_each(engine, messages(path), lambda session, m: take(session, m[0], m[1], options, desk, now), done,
              dry_run=options.dry_run)
    summary.seconds = time.perf_counter() - timer
    return summary


def desk_addresses(engine: Engine, options: MailOptions) -> frozenset[str]:
    """The desk's own addresses (mail from them is a loop); checks --group on the way."""
    with session_scope(engine) as session:
        if options.group:
            group_by_name(session, options.group)
        groups = session.scalars(select(Group.email).where(Group.email != "")).all()
    return frozenset(a.strip().lower() for a in (*groups, *options.desk_addresses) if a.strip())


def count_outcome(summary: IntakeSummary, outcome: tuple[str, ...]) -> None:
    summary.messages_read += 1
    kind = outcome[0]
    if kind == "ignored":
        summary.ignored[outcome[1]] += 1
    elif kind == "error":
        summary.ignored["unreadable"] += 1
        summary.errors.append(outcome[1])
    elif kind == "created":
        summary.tickets_created += 1
        if "not_on_thread" in outcome:
            summary.not_on_thread += 1
    elif kind == "comment":
        summary.comments_added += 1
        if "reopened" in outcome:
            summary.reopened += 1
        if "resumed" in outcome:
            summary.resumed += 1
    elif kind == "rated":
        summary.rated += 1
        if "comment" in outcome:
            summary.comments_added += 1


def take(session: Session, where: str, raw: bytes, options: MailOptions, desk: frozenset[str],
          now: datetime) -> tuple[str, ...]:
    """Decide what one message is and write it; returns what happened."""
    try:
        mail = parse_mail(raw, where, now)
    except Exception as exc:  # a message the email package cannot read at all
        return ("error", f"{where}: cannot read the message: {exc}")
    if len(mail.body) > BODY_MAX_LENGTH:  # refused, as a service refuses it (README "Limits")
        return ("error", f"{where}: body: {len(mail.body)} characters is over the limit of {BODY_MAX_LENGTH}")
    if not mail.sender or "@" not in mail.sender:
        return ("ignored", "no sender")
    if mail.auto_reason == "bounce" and thread.note_bounce(session, raw, mail.at):
        return ("ignored", "bounce: address marked undeliverable")
    if mail.auto_reason:
        return ("ignored", mail.auto_reason)
    if mail.loop_marker or mail.sender in desk:
        return ("ignored", "loop")
    if _taken(session, mail.message_id):
        return ("ignored", "duplicate")
    if _too_many(session, mail, options):
        return ("ignored", "loop")
    target, _how = thread.find_target(session, mail.subject, mail.references, email_ref)
    if target is not None and not thread.on_thread(session, target, mail.sender):
        return _new_ticket(session, mail, options, follows=target, stranger=True)
    if target is not None:
        body = _trim_quote(mail.body)
        rated = thread.take_rating(session, target, body, ACTOR, max(mail.at, target.created_at))
        if rated is not None:
            rest = _with_attachments(rated[1], mail.attachments)
            if rest:
                _comment(session, target, mail, rest)
                return ("rated", "comment")
            return ("rated",)
        if thread.answered_before(session, target, body):
            _comment(session, target, mail, _with_attachments(body, mail.attachments))
            return ("comment",)
    if target is not None and target.status not in thread.FINAL:
        return _reply(session, target, mail)
    return _new_ticket(session, mail, options, follows=target)


def _taken(session: Session, message_id: str) -> bool:
    if session.scalar(select(Comment.id).where(Comment.message_id == message_id)) is not None:
        return True
    return session.scalar(select(Ticket.id).where(Ticket.external_ref == email_ref(message_id))) is not None


def _too_many(session: Session, mail: Mail, options: MailOptions) -> bool:
    requester = session.scalar(select(Requester.id).where(Requester.email == mail.sender))
    if requester is None:
        return False
    since = mail.at - timedelta(minutes=options.loop_window_minutes)
    tickets = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.requester_id == requester, Ticket.channel == "email", Ticket.created_at >= since,
        Ticket.created_at <= mail.at))
    replies = session.scalar(select(func.count()).select_from(Comment).join(Ticket, Ticket.id == Comment.ticket_id)
                             .where(Ticket.requester_id == requester, Comment.author_id.is_(None),
                                    Comment.message_id.is_not(None), Comment.created_at >= since,
                                    Comment.created_at <= mail.at))
    return (tickets or 0) + (replies or 0) >= options.loop_limit


def _reply(session: Session, ticket: Ticket, mail: Mail) -> tuple[str, ...]:
    body = _with_attachments(_trim_quote(mail.body), mail.attachments) or f"(empty reply: {mail.subject})"
    at = _comment(session, ticket, mail, body)
    done = ["comment"]
    if ticket.status == Status.RESOLVED.value:
        ops.reopen(session, ACTOR, ticket, f"requester replied by email ({mail.where})", at)
        done.append("reopened")
    elif ticket.status == Status.PENDING.value and ticket.pending_reason == "awaiting_requester":
        ops.resume(session, ACTOR, ticket, "requester replied by email", at)
        done.append("resumed")
    return tuple(done)


def _comment(session: Session, ticket: Ticket, mail: Mail, body: str) -> datetime:
    author = f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender
    at = max(mail.at, ticket.created_at)
    ops.add_comment(session, ACTOR, ticket, body, author_name=author, message_id=mail.message_id, at=at)
    return at


def _new_ticket(session: Session, mail: Mail, options: MailOptions, follows: Ticket | None,
                stranger: bool = False) -> tuple[str, ...]:
    subject = clean_subject(REPLY_PREFIX.sub("", mail.subject)) or "(no subject)"
    body = _with_attachments(mail.body, mail.attachments)
    if stranger:
        body = f"Mail about #{follows.id} from {mail.sender}, who is not on its thread.\n\n{body}".strip()
    elif follows is not None:
        body = f"Follow-up to #{follows.id} ({follows.status}).\n\n{body}".strip()
    header = mail.header_date.isoformat(sep=" ") if mail.header_date else "none"
    ticket = ops.open_ticket(
        session, ACTOR, subject=subject, requester=mail.sender, requester_name=mail.sender_name,
        description=body, type=options.ticket_type, channel="email", group=options.group,
        external_ref=email_ref(mail.message_id), at=mail.at, note=f"Date: header {header}",
    )
    if follows is not None:
        why = (f"mail from {mail.sender}, not on the thread of #{follows.id}" if stranger
               else f"reply to #{follows.id}, which is {follows.status}")
        with ops.noting_on(session, ACTOR, ticket) as plan:
            plan.link(mail.at, "follows", f"#{follows.id}", why)
    return ("created", "not_on_thread") if stranger else ("created",)
