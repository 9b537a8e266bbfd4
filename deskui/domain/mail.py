"""Mail to requesters, decided purely: the notification templates, the ticket tag,
Message-IDs, and reading a satisfaction score from a reply (issue 13).

Every template is here, in one module, so what a requester receives can be read
(and tested) in one place. Bodies are plain text: the ticket's subject, the
analyst's reply and the resolution notes are untrusted text and go in as they
are typed, never through ``str.format`` or a markup language, and the subject
line is one line (the caller cleans it; :func:`tagged_subject` folds whatever
line breaks are left, so no header can be injected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Kinds of notification (the outbox's ``kind``), in the order a ticket meets them.
CREATED, REPLY, PENDING, ESCALATED, RESOLVED, REOPENED, CLOSED = (
    "created", "reply", "pending", "escalated", "resolved", "reopened", "closed")
KINDS = (CREATED, REPLY, PENDING, ESCALATED, RESOLVED, REOPENED, CLOSED)

# Outbox states: queued (waiting for its next attempt), sending (claimed by a
# sender), sent, failed (gave up: the reason is kept).
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
STATES = (QUEUED, SENDING, SENT, FAILED)

TAG = re.compile(r"\[(?:[A-Za-z][\w .-]{0,30})?#(\d{1,12})\]")
_SCORE = re.compile(r"^\s*(?:(?:rate|rating|score)\s*[:=]?\s*)?([1-5])(?:\s*/\s*5)?(?![\w.,])", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n\t\x0b\x0c\u2028\u2029]+")


@dataclass(frozen=True)
class MailContext:
    """What a template may say about a ticket (all plain text)."""

    number: int
    subject: str
    requester_name: str = ""
    status: str = ""
    expected: datetime | None = None  # the next expected time (first response, resolution)
    text: str = ""  # the reply, the pending question, the escalation reason, the resolution notes
    author: str = ""  # who wrote the reply / made the change
    ask_rating: bool = True  # resolved: ask for a score


def tagged_subject(number: int, subject: str, prefix: str = "") -> str:
    """``[#N] prefix: subject`` on one line (a tag already in the subject is not repeated)."""
    subject = _LINE_BREAKS.sub(" ", subject).strip() or "(no subject)"
    subject = TAG.sub("", subject).strip() or subject
    head = f"[#{number}]"
    return f"{head} {prefix}: {subject}" if prefix else f"{head} {subject}"


def ticket_tag(subject: str) -> int | None:
    found = TAG.search(subject)
    return int(found.group(1)) if found else None


def message_id(number: int, kind: str, token: str, domain: str) -> str:
    """A Message-ID deskui gives a notification: fixed when the row is written (a retry
    sends the same one), and with a random ``token`` so nobody can guess it."""
    return f"<deskui.{number}.{kind}.{token}@{domain}>"


def read_score(body: str) -> tuple[int | None, str]:
    """A reply's satisfaction score and the rest of its text: the first word of the
    first non-empty line is 1-5 ("4", "4/5", "rate: 4", "Score 5 - thanks"), else None."""
    lines = body.strip().split("\n")
    if not lines or not lines[0].strip():
        return None, body.strip()
    found = _SCORE.match(lines[0])
    if not found:
        return None, body.strip()
    rest_of_line = lines[0][found.end():].lstrip(" \t-–—:.,!")
    rest = "\n".join([rest_of_line, *lines[1:]]).strip()
    return int(found.group(1)), rest


def _when(value: datetime | None) -> str:
    return value.strftime("%a %d %b %Y %H:%M UTC") if value else "as soon as we can"


def _greeting(ctx: MailContext) -> str:
    return f"Hello {ctx.requester_name}," if ctx.requester_name else "Hello,"


_FOOTER = "--\nReply to this message to add to your request (keep [#{n}] in the subject)."

RATING_QUESTION = ("How did we do? Reply with a number from 1 (poor) to 5 (excellent) as the first word,\n"
                   "for example \"5\" or \"rate: 4\"; anything you write after it reaches the analyst.")


def render(kind: str, ctx: MailContext) -> tuple[str, str]:
    """(subject, body) of the notification ``kind`` for a ticket."""
    n = ctx.number
    lines: list[str] = [_greeting(ctx), ""]
    if kind == CREATED:
        prefix = "Received"
        lines += [f"We have your request and gave it the number #{n}:", f"  {ctx.subject}", "",
                  "An analyst will look at it and answer by email.",
                  f"Expected first response: {_when(ctx.expected)}."]
    elif kind == REPLY:  # the analyst's own words, greeting and all
        prefix = ""
        lines = [ctx.text, "", ctx.author or "The service desk"]
    elif kind == PENDING:
        prefix = "Waiting for you"
        lines += [f"Your request #{n} is waiting for your answer; the clock is paused until you reply."]
        if ctx.text:
            lines += ["", ctx.text]
    elif kind == ESCALATED:
        prefix = "Escalated"
        lines += [f"Your request #{n} was passed to a more specialised team.",
                  f"New expected resolution: {_when(ctx.expected)}."]
        if ctx.text:
            lines += ["", f"Why: {ctx.text}"]
    elif kind == RESOLVED:
        prefix = "Resolved"
        lines += [f"Your request #{n} is resolved.", "", ctx.text or "(no notes)", "",
                  "If it is not fixed, reply to this message and the request opens again."]
        if ctx.ask_rating:
            lines += ["", RATING_QUESTION]
    elif kind == REOPENED:
        prefix = "Reopened"
        lines += [f"Your request #{n} is open again and back with the team."]
        if ctx.text:
            lines += ["", ctx.text]
    elif kind == CLOSED:
        prefix = "Closed"
        lines += [f"Your request #{n} is closed. A reply now opens a new request that refers to it."]
    else:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    lines += ["", _FOOTER.format(n=n)]
    return tagged_subject(n, ctx.subject, prefix), "\n".join(lines) + "\n"


def retry_delay(attempts: int, base_seconds: float, cap_seconds: float = 3600.0) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base, 2x, 4x ... capped."""
    return min(cap_seconds, base_seconds * (2 ** max(0, attempts - 1)))
