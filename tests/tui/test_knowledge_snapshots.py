"""How the knowledge screen and the ticket screen's knowledge panel look, at 80x24,
160x48 and 200x60, with a frozen clock and fixed data.

Regenerate after an intended change with ``pytest tests/tui/test_knowledge_snapshots.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing.
"""

from __future__ import annotations

import shutil

import pytest

from deskui import clock
from deskui.services import knowledge as kb
from deskui.services import kb_files
from deskui.services import tickets as svc
from deskui.store.db import make_engine
from knowledge_support import (
    MARKUP_BODY, MARKUP_TITLE, article, kb_desk, make_app, no_blink, open_knowledge, search,
)
from ticket_support import NOW, actor, make_app as make_ticket_app, open_ticket, settle, start
from snapshot_sizes import SIZE_IDS, SIZES


@pytest.fixture
def kb_engine(sqlite_template, tmp_path, monkeypatch):
    # A relative path, so the status line shows the same database name on every run.
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(sqlite_template, tmp_path / "desk.db")
    engine = make_engine("desk.db")
    kb_desk(engine)
    with clock.frozen(NOW):
        kb.import_articles(engine, [kb_files.validate_article(
            {"id": "KB9001", "title": MARKUP_TITLE, "body": MARKUP_BODY}, "snapshot:1")])
        done = open_ticket(engine, subject="GlobalProtect gateway not responding at the hotel",
                           description="The VPN client says the gateway is not responding.")
        svc.resolve(engine, actor(engine, "akhan"), done.id, code="solved",
                    notes="Hotel Wi-Fi blocked UDP 4501; switched the portal to TCP and it connected.")
        kb.link_article(engine, article(engine, "KB0002").id, done.id, "akhan")
        yield engine
    engine.dispose()


def searched(query: str, open_best: bool = False):
    async def run_before(pilot):
        await open_knowledge(pilot)
        await search(pilot, query, open_best=open_best)
        no_blink(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_knowledge_results(kb_engine, snap_compare, size):
    """Typed words, highlighted snippets; at 160 columns the best hit is open beside them."""
    run_before = searched("vpn gateway keeps dropping", open_best=size[0] >= 160)
    assert snap_compare(make_app(kb_engine), terminal_size=size, run_before=run_before)


def test_knowledge_article_at_80_columns(kb_engine, snap_compare):
    """On a narrow terminal the open article takes the whole body; esc goes back to the list."""
    assert snap_compare(make_app(kb_engine), terminal_size=(80, 24), run_before=searched("vpn gateway", True))


def test_knowledge_markup_title_shows_as_typed(kb_engine, snap_compare):
    assert snap_compare(make_app(kb_engine), terminal_size=(100, 30), run_before=searched("reconnect", True))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_ticket_knowledge_panel(kb_engine, snap_compare, size):
    """Suggested articles and a similar resolved ticket with its resolution, the list focused."""
    with clock.frozen(NOW):
        ticket = open_ticket(kb_engine, subject="VPN gateway not responding",
                             description="GlobalProtect says gateway not responding since this morning.")

    async def run_before(pilot):
        await start(pilot)
        await pilot.press("f")
        await settle(pilot)

    app = make_ticket_app(kb_engine, ticket.id)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
