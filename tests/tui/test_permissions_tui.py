"""Keys an actor may not use are shown unavailable, and pressing one says why
(issue 12.2; deskui/tui/permissions.py). Real app, real SQLite file, Pilot."""

from __future__ import annotations

import pytest

from deskui import clock
from deskui.services import tickets as svc
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.models import Analyst
from deskui.store.tickets import comments, ticket_record
from deskui.tui.screens.modals import ReplyModal
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.ticket_actions import TicketActions
from ticket_support import NOW, SAMPLE, actor, make_app, open_ticket, run_async, screen_of, settle, start


@pytest.fixture
def desk(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with session_scope(sqlite_engine) as session:
        session.add(Analyst(username="wall", name="Wall Screen", email="wall@northwind.example", role="viewer"))
        session.commit()
    ticket = open_ticket(sqlite_engine)
    with clock.frozen(NOW):
        svc.take(sqlite_engine, actor(sqlite_engine, "akhan"), ticket.id)  # akhan's ticket
    sqlite_engine.ticket_id = ticket.id
    return sqlite_engine


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


def hints(app) -> str:
    return app.screen.query_one(KeyHints).render().plain


@run_async
async def test_a_viewer_opens_every_screen_and_cannot_act(desk):
    app = make_app(desk, desk.ticket_id, username="wall")
    with clock.frozen(NOW):
        async with app.run_test(size=(160, 40)) as pilot:
            await start(pilot)
            actions = screen_of(app).query_one(TicketActions)
            for action in TicketActions.PERMISSIONS:
                assert actions.check_action(action, ()) is None, action  # shown, unavailable
            assert actions.check_action("reload", ()) is True  # reading is not gated
            footer = hints(app)
            assert "Reply" in footer and "Take" in footer  # still listed, drawn as unavailable
            await pilot.press("r")
            await settle(pilot)
            assert not isinstance(app.screen, ReplyModal)
            assert "permission denied: wall is a viewer; replying to a requester needs analyst" in notices(app)
            await pilot.press("t")
            await settle(pilot)
            assert "permission denied: wall is a viewer; taking another analyst's ticket needs lead" in notices(app)
            await pilot.press("escape")
            await settle(pilot)
            for mode in ("knowledge", "metrics", "wallboard", "queue"):
                await app.switch_mode(mode)
                await settle(pilot)
                assert app.screen.query_one(KeyHints) is not None
            await pilot.press("t")  # take on the queue
            await settle(pilot)
            assert notices(app)[-1] == "permission denied: wall is a viewer; taking an unassigned ticket " \
                                       "(or giving back your own) needs analyst"
            app.go_to_screen("problems")
            await settle(pilot)
            await pilot.press("n")  # a new problem
            await settle(pilot)
            assert notices(app)[-1] == "permission denied: wall is a viewer; working problems needs analyst"
            assert "New problem" in hints(app)
    with session_scope(desk) as session:
        assert comments(session, desk.ticket_id) == []
        assert ticket_record(session, desk.ticket_id).assignee == "akhan"


@run_async
async def test_an_analyst_on_another_analysts_ticket(desk):
    app = make_app(desk, desk.ticket_id, username="ekowalska")  # an analyst; the ticket is akhan's
    with clock.frozen(NOW):
        async with app.run_test(size=(160, 40)) as pilot:
            await start(pilot)
            actions = screen_of(app).query_one(TicketActions)
            assert actions.check_action("take", ()) is None
            assert actions.check_action("assign", ()) is None
            assert actions.check_action("reply", ()) is True  # working it is an analyst's
            await pilot.press("t")
            await settle(pilot)
            assert notices(app)[-1] == "permission denied: ekowalska is an analyst; taking another analyst's " \
                                       "ticket needs lead"
            await pilot.press("r")
            await settle(pilot)
            assert isinstance(app.screen, ReplyModal)
    with session_scope(desk) as session:
        assert ticket_record(session, desk.ticket_id).assignee == "akhan"


@run_async
async def test_a_lead_may_take_it(desk):
    app = make_app(desk, desk.ticket_id, username="demo")
    with clock.frozen(NOW):
        async with app.run_test(size=(160, 40)) as pilot:
            await start(pilot)
            actions = screen_of(app).query_one(TicketActions)
            assert all(actions.check_action(a, ()) is not None for a in TicketActions.PERMISSIONS)
            assert not any(n.startswith("permission denied") for n in notices(app))
