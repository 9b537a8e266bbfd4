"""CSAT: record a requester's answer (1-5) to the satisfaction survey of a ticket.

One transaction: the survey row and a ``field``/``survey`` ticket event (new =
the score, detail = the comment). A survey is an insert, like a comment, so it
never conflicts with an analyst editing the ticket. Only resolved or closed
tickets are surveyed; a ticket resolved again after a reopen may be surveyed
again (every answer counts as a response).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import Status
from deskui.domain.permissions import Action
from deskui.domain.text import clean_text
from deskui.errors import NotFound, ValidationError
from deskui.services.actors import Actor, require, system_actor
from deskui.services.ticket_history import noting
from deskui.store.db import write_session
from deskui.store.models import Survey, Ticket

SCORES = (1, 2, 3, 4, 5)
SURVEYED_STATUSES = (Status.RESOLVED.value, Status.CLOSED.value)
COMMENT_MAX = 2000


@dataclass(frozen=True)
class SurveyRecord:
    id: int
    ticket_id: int
    score: int
    comment: str
    created_at: datetime


def parse_score(value: object) -> int:
    """A score from a CLI argument or a widget: a whole number 1-5, else one clear error."""
    score: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        score = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        score = int(value.strip())
    if score not in SCORES:
        raise ValidationError(f"score: {value!r} is not one of {', '.join(map(str, SCORES))}")
    return score


def record_survey(engine: Engine, ticket_id: int, score: object, *, comment: str = "", actor: Actor | None = None,
                  at: datetime | None = None) -> SurveyRecord:
    """Record one CSAT answer for a resolved or closed ticket (``actor``: the analyst
    recording it, who must be allowed to; None: the survey system)."""
    if actor is not None:
        require(actor, Action.SURVEY)
    value = parse_score(score)
    text = clean_text(comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError(f"comment: {len(text)} characters; at most {COMMENT_MAX}")
    who = actor or system_actor("survey")
    now = at or clock.now()
    with write_session(engine) as session:
        return add_survey(session, ticket_id, value, text, who, now)


def add_survey(session: Session, ticket_id: int, score: int, comment: str, actor: Actor, at: datetime) -> SurveyRecord:
    """The survey row and its event inside the caller's transaction (a rating by mail
    lands with the mail's comment, or not at all)."""
    value = parse_score(score)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    if ticket.status not in SURVEYED_STATUSES:
        raise ValidationError(
            f"ticket #{ticket_id} is {ticket.status}; surveys are for {' or '.join(SURVEYED_STATUSES)} tickets")
    survey = Survey(ticket_id=ticket_id, score=value, comment=comment[:COMMENT_MAX], created_at=at)
    session.add(survey)
    session.flush()
    with noting(session, ticket_id, actor) as plan:
        plan.survey(at, value, comment[:COMMENT_MAX])
    return SurveyRecord(survey.id, ticket_id, value, comment[:COMMENT_MAX], at)
