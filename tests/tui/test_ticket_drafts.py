"""Unsent drafts outlive the ticket screen and the app (issue 15.1): kept with esc,
they are there after leaving the ticket, switching screens and restarting, until
sent or discarded."""

from __future__ import annotations

import pytest
from textual.widgets import Select, TextArea

from deskui import clock
from deskui.reads.drafts import ticket_drafts
from deskui.services.actors import actor_for
from deskui.services.seed import seed_demo_org
from deskui.tui.screens.modals import ReplyModal, ResolveModal
from deskui.tui.screens.queue import QueueScreen
from ticket_support import NOW, SAMPLE, make_app, open_ticket, run_async, screen_of, settle, start, type_text


@pytest.fixture
def desk_db(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        yield sqlite_engine


async def open_modal(pilot, key, modal_type):
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, modal_type), pilot.app.screen
    return pilot.app.screen


def drafts_line(app) -> str:
    line = screen_of(app).query_one("#drafts-line")
    return line.render().plain if line.has_class("-shown") else ""


@run_async
async def test_a_kept_reply_survives_leaving_the_ticket_switching_screens_and_a_restart(desk_db):
    t = open_ticket(desk_db)
    demo = actor_for(desk_db, "demo")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await open_modal(pilot, "r", ReplyModal)
        await type_text(pilot, "Half written")
        await pilot.press("escape")
        await settle(pilot)
        modal = await open_modal(pilot, "x", ResolveModal)
        modal.query_one("#resolve-code", Select).value = "workaround"
        modal.query_one("#resolve-notes", TextArea).focus()
        await type_text(pilot, "Reinstalled")
        await pilot.press("escape")
        await settle(pilot)
        # Back to the queue, over to knowledge and back, then the ticket again.
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        app.open_ticket(t.id)
        await settle(pilot)
        assert "Unsent drafts: reply (r), resolution (x)" in drafts_line(app)
        modal = await open_modal(pilot, "r", ReplyModal)
        assert modal.query_one(TextArea).text == "Half written"
        await pilot.press("escape")
        await settle(pilot)
    assert set(ticket_drafts(desk_db, demo.id, t.id)) == {"compose", "resolve"}

    # A new app on the same database: the drafts are still there.
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        assert "Unsent drafts: reply (r), resolution (x)" in drafts_line(app)
        modal = await open_modal(pilot, "x", ResolveModal)
        assert modal.query_one("#resolve-code", Select).value == "workaround"
        assert modal.query_one("#resolve-notes", TextArea).text == "Reinstalled"
        # Sent: the resolution draft is gone, from the screen and from the database.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen_of(app).view.ticket.status == "resolved"
        assert "resolution" not in drafts_line(app) and "reply (r)" in drafts_line(app)
        assert set(ticket_drafts(desk_db, demo.id, t.id)) == {"compose"}
        # Discarded: gone too.
        await open_modal(pilot, "r", ReplyModal)
        await pilot.click("#discard")
        await settle(pilot)
        assert drafts_line(app) == ""
    assert ticket_drafts(desk_db, demo.id, t.id) == {}


@run_async
async def test_another_analysts_drafts_are_not_mine(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id, username="akhan")
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await open_modal(pilot, "r", ReplyModal)
        await type_text(pilot, "Theirs")
        await pilot.press("escape")
        await settle(pilot)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        assert drafts_line(app) == ""
        modal = await open_modal(pilot, "r", ReplyModal)
        assert modal.query_one(TextArea).text == ""
