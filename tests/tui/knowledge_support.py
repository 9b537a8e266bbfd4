"""Shared by the knowledge screen and ticket suggestion tests: a desk with the
sample knowledge base, the app, and helpers to read what the screen shows."""

from __future__ import annotations

from pathlib import Path

from deskui import clock
from deskui.services import knowledge as kb
from deskui.store import kb_queries as kbq
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.tui.screens.knowledge import KnowledgeScreen
from ticket_support import NOW, SAMPLE, make_app as make_ticket_app, settle, type_text

SAMPLE_KB = Path(SAMPLE) / "kb"
MARKUP_TITLE = "[bold red]x[/] VPN [link=http://evil]click[/link] $accent"
MARKUP_BODY = "Reconnect the VPN. [b]Not bold[/b] and [@click=app.quit]quit[/] stay as typed."


def kb_desk(engine) -> None:
    """The demo organisation and the sample knowledge base, written at the frozen time."""
    seed_demo_org(engine, SAMPLE)
    with clock.frozen(NOW):
        kb.import_path(engine, SAMPLE_KB)


def make_app(engine, username: str = "demo"):
    return make_ticket_app(engine, 0, username)


async def open_knowledge(pilot) -> KnowledgeScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return knowledge_screen(pilot.app)


def knowledge_screen(app) -> KnowledgeScreen:
    return next(s for stack in app._screen_stacks.values() for s in stack if isinstance(s, KnowledgeScreen))


async def search(pilot, text: str, *, open_best: bool = False) -> None:
    """Put ``text`` in the search box at once (typing it key by key searches for every
    prefix: only the search-as-you-type tests need that); enter opens the best hit."""
    from textual.widgets import Input

    box = knowledge_screen(pilot.app).query_one("#kb-search", Input)
    box.focus()
    box.value = text
    await settle(pilot)
    if open_best:
        await pilot.press("enter")
        await settle(pilot)


def article(engine, external_id: str) -> kbq.ArticleRecord:
    with session_scope(engine) as session:
        return kbq.get_article_by_external_id(session, external_id)


def result_ids(screen: KnowledgeScreen) -> list[str]:
    return [hit.external_id for hit in screen.results.hits]


def rendered_lines(widget) -> list[str]:
    """What a widget draws, line by line (its visible region)."""
    return ["".join(segment.text for segment in strip) for strip in widget.render_lines(widget.size.region)]


def no_blink(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
