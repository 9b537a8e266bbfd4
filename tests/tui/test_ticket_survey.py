"""CSAT from the ticket screen: `v` records the requester's 1-5 answer on a resolved ticket."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from textual.widgets import Select

from deskui.services import tickets as svc
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.models import Survey
from deskui.tui.screens.ticket_survey import SurveyModal
from ticket_support import actor, make_app, open_ticket, run_async, settle, start, type_text

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture
def desk_db(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    return sqlite_engine


def surveys(engine, ticket_id):
    with session_scope(engine) as s:
        return [(r.score, r.comment) for r in s.scalars(select(Survey).where(Survey.ticket_id == ticket_id))]


@run_async
async def test_survey_needs_a_resolved_ticket_and_a_score(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await pilot.press("v")  # still open: a warning, no dialog
        await settle(pilot)
        assert not isinstance(app.screen, SurveyModal)
        svc.resolve(desk_db, actor(desk_db), t.id, code="solved", notes="reinstalled the client")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, SurveyModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "score" in modal.error_text and surveys(desk_db, t.id) == []
        modal.query_one("#survey-score", Select).value = 4
        modal.query_one("#survey-comment").focus()
        await type_text(pilot, "quick fix, thanks\n")
        await settle(pilot)
        assert surveys(desk_db, t.id) == [(4, "quick fix, thanks")]
        assert not isinstance(app.screen, SurveyModal)
