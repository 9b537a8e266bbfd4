"""Ticket detail screen: Pilot flows against a real seeded SQLite database."""

from __future__ import annotations

import asyncio
import functools
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, OptionList, Select, TextArea

from deskui import clock
from deskui.config import Settings
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.tickets import comments, events, ticket_record
from deskui.tui.context import DeskContext
from deskui.tui.screens.modals import (
    AssignModal, CannedResponseModal, EscalateModal, PriorityModal, ReopenModal, ReplyModal, ResolveModal,
    StatusModal,
)
from deskui.tui.screens.ticket import TicketScreen
from deskui.tui.widgets.ticket_conflict import ConflictBanner
from deskui.tui.widgets.ticket_conversation import CommentBlock, Conversation, DescriptionBlock
from deskui.tui.widgets.ticket_header import TicketHeader
from deskui.tui.widgets.ticket_history import TicketHistory
from deskui.tui.widgets.ticket_sla import SlaBar, SlaTimeline

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NOW = clock.parse_utc("2026-11-16T09:00:00")
MARKUP_SUBJECT = "[bold red]x[/] VPN [link=http://evil]click[/link]"
MARKUP_BODY = "Error: [b]Access denied[/b] \x1b[31mred\x1b[0m and $variable {ticket.number}"


def run_async(test):
    """Run an async test body on a fresh event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


class Harness(App):
    """The smallest app that hosts the ticket screen, as DeskApp does."""

    def __init__(self, desk: DeskContext, ticket_id: int) -> None:
        super().__init__()
        self.desk = desk
        self.ticket_id = ticket_id

    def on_mount(self) -> None:
        self.push_screen(TicketScreen(self.ticket_id))


@pytest.fixture
def desk_db(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        yield sqlite_engine


def actor(engine, username="demo"):
    return actor_for(engine, username)


def open_ticket(engine, ago=timedelta(minutes=20), **kw):
    args = dict(subject="VPN drops every few minutes", requester="ana.ruiz@northwind.example",
                requester_name="Ana Ruiz", category="Network/VPN", impact="medium", urgency="high",
                description="Since this morning the VPN disconnects every 5 minutes.", channel="email")
    args.update(kw)
    with clock.frozen(NOW - ago):
        return svc.open_ticket(engine, actor(engine), **args)


def make_app(engine, ticket_id: int, username: str = "demo") -> Harness:
    settings = Settings(db_url=str(engine.url), user=username)
    desk = DeskContext(engine=engine, actor=actor(engine, username), settings=settings,
                       live_refresh_seconds=0, sweep_seconds=0)
    return Harness(desk, ticket_id)


async def settle(pilot) -> None:
    """Wait until every worker is done and every message they posted is handled."""
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


def screen_of(app) -> TicketScreen:
    return next(s for s in app.screen_stack if isinstance(s, TicketScreen))


def fresh(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def event_kinds(engine, ticket_id):
    with session_scope(engine) as s:
        return [e.kind for e in events(s, ticket_id)]


async def open_modal(pilot, key, modal_type):
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, modal_type), pilot.app.screen
    return pilot.app.screen


# ------------------------------------------------------------------ opening

@run_async
async def test_open_shows_header_sla_conversation_and_history(desk_db):
    t = open_ticket(desk_db, ci="NW-L-0042")
    svc.add_comment(desk_db, actor(desk_db, "akhan"), t.id, "We are looking at it.")
    svc.add_comment(desk_db, actor(desk_db, "akhan"), t.id, "Gateway logs show resets.", internal=True)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = screen_of(app)
        header = screen.query_one(TicketHeader).render().plain
        for expected in (f"#{t.id}", "incident", "NEW", "P2 High", "matrix: impact medium x urgency high",
                         "Ana Ruiz <ana.ruiz@northwind.example>", "email", "Network/VPN", "Network Operations",
                         "unassigned", "Tier 2", "NW-L-0042", "VPN drops every few minutes"):
            assert expected in header, expected
        bars = [bar.render().plain for bar in screen.query(SlaBar)]
        assert bars[0].startswith("Response") and "met" in bars[0]
        assert bars[1].startswith("Resolution") and "due" in bars[1]
        timeline = screen.query_one(SlaTimeline).render().plain
        assert "response: met" in timeline and "resolution:" in timeline
        blocks = screen.query(CommentBlock)
        assert [b.comment.visibility for b in blocks] == ["public", "internal"]
        public, internal = blocks
        assert "PUBLIC REPLY" in public.border_title and "INTERNAL NOTE" in internal.border_title
        assert public.has_class("-public") and internal.has_class("-internal")
        assert public.styles.border_top[0] != internal.styles.border_top[0]
        assert public.styles.border_top[1] != internal.styles.border_top[1]
        # Description first, then comments oldest first.
        conversation = screen.query_one(Conversation)
        assert isinstance(conversation.children[0], DescriptionBlock)
        assert "disconnects every 5 minutes" in conversation.children[0].render().plain
        history = screen.query_one(TicketHistory).render().plain
        assert "created" in history and "public reply" in history and "internal note" in history
        assert "first response" in history


@run_async
async def test_missing_ticket_says_so(desk_db):
    app = make_app(desk_db, 999)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "#999 not found" in screen_of(app).query_one(TicketHeader).render().plain
