"""CSAT answers: validation, one transaction, a ticket event (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deskui.errors import NotFound, ValidationError
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.survey import parse_score, record_survey
from deskui.store.db import session_scope
from deskui.store.models import Survey
from deskui.store.tickets import events


@pytest.fixture
def desk(org, frozen_now):
    return org


def resolved_ticket(engine, at):
    me = actor_for(engine, "demo")
    t = svc.open_ticket(engine, me, subject="Mouse broken", requester="ana.ruiz@northwind.example", at=at)
    svc.resolve(engine, me, t.id, code="solved", notes="new mouse", at=at + timedelta(hours=1))
    return t.id


def survey_count(engine):
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(Survey))


def test_record_writes_the_answer_and_an_event(desk, frozen_now):
    tid = resolved_ticket(desk, frozen_now - timedelta(days=1))
    rec = record_survey(desk, tid, 4, comment="quick, \x1b[31mthanks\x1b[0m", at=frozen_now)
    assert (rec.ticket_id, rec.score, rec.comment, rec.created_at) == (tid, 4, "quick, thanks", frozen_now)
    with session_scope(desk) as s:
        row = s.get(Survey, rec.id)
        last = events(s, tid)[-1]
    assert (row.score, row.comment) == (4, "quick, thanks")
    assert (last.kind, last.field, last.new, last.detail, last.actor) == ("field", "survey", "4", "quick, thanks",
                                                                          "survey")


def test_recorded_by_an_analyst_names_them(desk, frozen_now):
    tid = resolved_ticket(desk, frozen_now - timedelta(days=1))
    record_survey(desk, tid, "5", actor=actor_for(desk, "akhan"))
    with session_scope(desk) as s:
        assert events(s, tid)[-1].actor == "akhan"


@pytest.mark.parametrize("score", [0, 6, "7", "high", "", "3.5", 2.0, True, None])
def test_scores_outside_1_to_5_are_refused(desk, frozen_now, score):
    tid = resolved_ticket(desk, frozen_now - timedelta(days=1))
    with pytest.raises(ValidationError, match="score: .* is not one of 1, 2, 3, 4, 5"):
        record_survey(desk, tid, score)
    assert survey_count(desk) == 0


def test_only_resolved_or_closed_tickets_are_surveyed(desk, frozen_now):
    me = actor_for(desk, "demo")
    t = svc.open_ticket(desk, me, subject="Still broken", requester="ana.ruiz@northwind.example")
    with pytest.raises(ValidationError, match=rf"ticket #{t.id} is new; surveys are for resolved or closed"):
        record_survey(desk, t.id, 5)
    with pytest.raises(NotFound, match="ticket #999999 not found"):
        record_survey(desk, 999999, 5)
    assert survey_count(desk) == 0
    closed = resolved_ticket(desk, frozen_now - timedelta(days=2))
    svc.close(desk, me, closed)
    assert record_survey(desk, closed, 1).score == 1


def test_parse_score_accepts_digits_only():
    assert parse_score(" 3 ") == 3 and parse_score(5) == 5
    with pytest.raises(ValidationError):
        parse_score("²")
