"""The knowledge screen: Pilot flows against a real SQLite database with the sample knowledge base."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input, Markdown, OptionList, Static

from deskui import clock
from deskui.services import knowledge as kb
from deskui.services import kb_files
from deskui.reads.knowledge import find_articles
from deskui.tui.screens.knowledge import KnowledgeScreen
from deskui.tui.screens.ticket import TicketScreen
from knowledge_support import (
    MARKUP_BODY, MARKUP_TITLE, article, kb_desk, make_app, open_knowledge, rendered_lines,
    result_ids, search,
)
from ticket_support import NOW, open_ticket, run_async, settle, type_text


@pytest.fixture
def desk(sqlite_engine):
    kb_desk(sqlite_engine)
    with clock.frozen(NOW):
        yield sqlite_engine


def test_the_screen_keeps_its_name_and_takes_no_arguments():
    # app.py builds it as KnowledgeScreen() for the "knowledge" mode.
    assert isinstance(KnowledgeScreen(), KnowledgeScreen)


@run_async
async def test_search_open_vote_and_views_are_counted(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        assert app.focused is screen.query_one("#kb-search", Input)
        # Nothing typed: the articles are listed (all 46, drafts included and marked).
        assert len(screen.results.hits) == 46
        await type_text(pilot, "vpn gateway not responding")  # key by key: a search per key
        await settle(pilot)
        assert result_ids(screen)[0] == "KB0002"
        title = screen.query_one("#kb-results-title", Static).render()
        assert "vpn gateway not responding" in str(title)
        assert article(desk, "KB0002").views == 0
        await pilot.press("down")  # from the search box into the results
        assert app.focused is screen.results
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.article.external_id == "KB0002"
        assert article(desk, "KB0002").views == 1
        markdown = screen.query_one("#kb-article-body", Markdown)
        assert markdown.source.startswith(article(desk, "KB0002").body[:40])
        await pilot.press("plus")
        await settle(pilot)
        record = article(desk, "KB0002")
        assert (record.helpful, record.not_helpful) == (1, 0)
        # One rating per article per session; the counters shown follow the database.
        await pilot.press("minus")
        await settle(pilot)
        assert (article(desk, "KB0002").helpful, article(desk, "KB0002").not_helpful) == (1, 0)
        assert screen.detail.article.helpful == 1
        facts = str(screen.query_one("#kb-article-facts", Static).render())
        assert "1 view" in facts and "1 helpful" in facts
        # Opening it again from the list is the same reading, not a new view.
        await pilot.press("enter")
        await settle(pilot)
        assert article(desk, "KB0002").views == 1


@run_async
async def test_enter_in_the_search_box_opens_the_best_hit(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        # Enter right after the last key: it opens the best hit of the whole query.
        await type_text(pilot, "printer jammed paper stuck\n")
        await settle(pilot)
        assert screen.detail is not None
        assert screen.detail.article.external_id == result_ids(screen)[0]
        assert article(desk, screen.detail.article.external_id).views == 1
        assert app.focused is screen.article_view


@run_async
async def test_not_helpful_vote(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_knowledge(pilot)
        await search(pilot, "bitlocker recovery key", open_best=True)
        await pilot.press("minus")
        await settle(pilot)
        record = article(desk, "KB0019")
        assert (record.views, record.helpful, record.not_helpful) == (1, 0, 1)


@run_async
async def test_a_slow_earlier_query_never_overwrites_a_newer_one(desk):
    """Search as you type: the answer to "vpn" arrives after the answer to "printer"
    and must be dropped."""
    release = threading.Event()
    started = threading.Event()

    def slow_for_vpn(engine, query, *, include_drafts):
        if query == "vpn":
            started.set()
            release.wait(timeout=30)
        return find_articles(engine, query, include_drafts=include_drafts)

    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        screen.search_function = slow_for_vpn
        box = screen.query_one("#kb-search", Input)
        box.value = "vpn"
        await pilot.pause()
        assert started.wait(timeout=30)
        box.value = "printer"
        for _ in range(500):  # the newer query's answer, while "vpn" is still blocked
            await pilot.pause()
            if screen.shown_generation == screen.generation:
                break
        printer_ids = result_ids(screen)
        assert printer_ids and "KB0010" in printer_ids and "KB0001" not in printer_ids
        release.set()
        await settle(pilot)
        assert result_ids(screen) == printer_ids
        assert screen.shown_query == "printer"


@run_async
async def test_an_answer_for_an_older_generation_is_dropped(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "printer")
        shown = result_ids(screen)
        stale = find_articles(desk, "vpn", include_drafts=True)
        screen.post_message(KnowledgeScreen.Results(screen.generation - 1, "vpn", stale))
        await settle(pilot)
        assert result_ids(screen) == shown


@run_async
async def test_article_text_is_data_not_markup(desk):
    with clock.frozen(NOW):
        kb.import_articles(desk, [kb_files.validate_article(
            {"id": "KB9001", "title": MARKUP_TITLE, "body": MARKUP_BODY, "tags": "[red]tag[/red]"}, "test:1")])
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "reconnect")
        assert result_ids(screen)[0] == "KB9001"
        rows = "\n".join(rendered_lines(screen.results))
        assert "[bold red]x[/] VPN [link=http://evil]click[/link] $accent" in rows
        assert "[b]Not bold[/b]" in rows
        # The match is a styled span of the snippet, not markup around it.
        prompt = screen.results.get_option_at_index(0).prompt
        marked = [prompt.plain[span.start:span.end] for span in prompt.spans if "underline" in str(span.style)]
        assert [word.lower() for word in marked] == ["reconnect"]
        await pilot.press("down", "enter")
        await settle(pilot)
        title = "\n".join(rendered_lines(screen.query_one("#kb-article-title", Static)))
        assert MARKUP_TITLE in title
        facts = "\n".join(rendered_lines(screen.query_one("#kb-article-facts", Static)))
        assert "[red]tag[/red]" in facts
        assert app.is_running  # [@click=app.quit] did nothing


LINKS_BODY = """Sign in on [the portal](https://portal.example/vpn) or [mail us](mailto:help@northwind.example).

The logs are on [the share](smb://files.northwind.example/it) and <ftp://ftp.example/logs>;
[this](javascript:alert(1)) is no link at all.
"""


@run_async
async def test_article_links_open_only_on_o_and_only_web_and_mail(desk, monkeypatch):
    """A click on a link in an article opens nothing; o lists the http, https and mailto
    links and opens the one chosen; others are never offered."""
    from deskui.tui.screens.ops_modals import ChoiceModal

    with clock.frozen(NOW):
        kb.import_articles(desk, [kb_files.validate_article(
            {"id": "KB9002", "title": "Zebraphone links", "body": LINKS_BODY}, "test:1")])
    app = make_app(desk)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "zebraphone", open_best=True)
        view = screen.article_view
        assert view.detail.article.external_id == "KB9002"
        body = view.query_one(Markdown)
        for href in ("smb://files.northwind.example/it", "https://portal.example/vpn"):
            body.post_message(Markdown.LinkClicked(body, href))
            await settle(pilot)
        assert opened == []
        assert any(n.message.startswith("Not opened: smb://") for n in app._notifications)
        view.focus()
        await pilot.press("o")
        await settle(pilot)
        choose = app.screen
        assert isinstance(choose, ChoiceModal)
        assert [value for value, _ in choose.options] == ["https://portal.example/vpn", "mailto:help@northwind.example"]
        assert "2 other link(s) not offered" in choose.hint
        await pilot.press("down", "enter")
        await settle(pilot)
        assert opened == ["mailto:help@northwind.example"]


@run_async
async def test_drafts_are_marked_and_can_be_hidden(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "concur expenses sign-in loop")
        assert result_ids(screen)[0] == "KB0039" and screen.results.hits[0].status == "draft"
        assert " DRAFT " in rendered_lines(screen.results)[0]
        await pilot.press("tab")  # leave the search box: d is a key, not a letter to type
        await pilot.press("d")
        await settle(pilot)
        assert not screen.include_drafts
        assert "KB0039" not in result_ids(screen)
        await pilot.press("d")
        await settle(pilot)
        assert result_ids(screen)[0] == "KB0039"


@run_async
async def test_publish_a_draft(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "concur expenses sign-in loop", open_best=True)
        assert screen.detail.article.status == "draft"
        await pilot.press("p")
        await settle(pilot)
        assert article(desk, "KB0039").status == "published"
        assert screen.detail.article.status == "published"
        assert " DRAFT " not in rendered_lines(screen.results)[0]


@run_async
async def test_edit_in_editor_saves_and_reindexes(desk, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "sed -i -e 's/^title: .*/title: Zebrafish VPN guide/' -e 's/GlobalProtect/Quuxlink/g'")
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "connect corporate vpn windows macos", open_best=True)
        assert screen.detail.article.external_id == "KB0001"
        await pilot.press("e")
        await settle(pilot)
        saved = article(desk, "KB0001")
        assert saved.title == "Zebrafish VPN guide"
        assert "Quuxlink" in saved.body and "GlobalProtect" not in saved.body
        assert screen.detail.article.title == "Zebrafish VPN guide"
        assert "Quuxlink" in screen.query_one("#kb-article-body", Markdown).source
        # The search index follows (the triggers re-index the row).
        await search(pilot, "quuxlink")
        assert result_ids(screen) == ["KB0001"]


@run_async
async def test_a_bad_edit_is_refused_and_kept(desk, monkeypatch):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "sed -i -e 's/^status: .*/status: someday/' -e 's/GlobalProtect/Quuxlink/'")
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "connect corporate vpn windows macos", open_best=True)
        before = article(desk, "KB0001")
        await pilot.press("e")
        await settle(pilot)
        assert article(desk, "KB0001") == before
        messages = [n.message for n in app._notifications]
        assert any("status" in m and "someday" in m and "press e" in m for m in messages), messages
        kept = screen._edit_drafts[before.id]
        assert "status: someday" in kept and "Quuxlink" in kept
        # Fixing it in the editor: the next e starts from the kept text.
        monkeypatch.setenv("EDITOR", "sed -i -e 's/^status: .*/status: published/'")
        await pilot.press("e")
        await settle(pilot)
        assert "Quuxlink" in article(desk, "KB0001").body
        assert before.id not in screen._edit_drafts


@run_async
async def test_linked_tickets_are_listed_and_open(desk):
    ticket = open_ticket(desk, subject="VPN gateway not responding from the hotel")
    kb.link_article(desk, article(desk, "KB0002").id, ticket.id, "demo")
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        await search(pilot, "vpn gateway not responding", open_best=True)
        linked = screen.query_one("#kb-linked", OptionList)
        assert [o.id for o in linked.options] == [str(ticket.id)]
        assert f"#{ticket.id}" in rendered_lines(linked)[0]
        linked.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == ticket.id
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


@run_async
async def test_header_shows_the_knowledge_figures(desk):
    resolved = open_ticket(desk, subject="VPN drops")
    from deskui.services import tickets as svc
    from ticket_support import actor

    svc.resolve(desk, actor(desk), resolved.id, code="solved", notes="Followed KB0002.")
    open_ticket(desk, subject="Another one")
    kb.link_article(desk, article(desk, "KB0002").id, resolved.id, "demo")
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        header = str(screen.query_one("#kb-figures", Static).render())
        assert "46 articles (2 drafts)" in header
        assert "0 views · 1 link · " in header
        assert "100% of 1 resolved ticket had a linked article" in header
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        header = str(screen.query_one("#kb-figures", Static).render())
        assert "resolved with an article 100%" in header and len(header) <= 80


@run_async
async def test_narrow_terminal_shows_list_or_article(desk):
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_knowledge(pilot)
        body = screen.query_one("#kb-body")
        assert body.has_class("-narrow") and not screen.article_view.display
        await search(pilot, "mailbox full", open_best=True)
        assert screen.article_view.display and not screen.query_one("#kb-list-pane").display
        await pilot.press("escape")
        await settle(pilot)
        assert screen.query_one("#kb-list-pane").display and app.focused is screen.results
        # Rows are cut to the width: one title line and at most two snippet lines.
        assert all(len(line.rstrip()) <= 80 for line in rendered_lines(screen.results))
        await pilot.press("escape")  # from the list: back to the queue
        await settle(pilot)
        assert app.current_mode == "queue"


@run_async
async def test_bindings_have_ids_and_letters_are_not_priority(desk):
    ids = {b.id for b in KnowledgeScreen.BINDINGS}
    for name in ("search", "open", "helpful", "not_helpful", "edit", "drafts", "publish", "back"):
        assert f"kb.{name}" in ids
    # Letters (and + -) type in the search box; only "/" is taken before it (it never types there).
    assert [b.key for b in KnowledgeScreen.BINDINGS if b.priority] == ["slash"]


@run_async
async def test_no_database_call_runs_on_the_ui_thread(desk, monkeypatch):
    from sqlalchemy import event

    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "sed -i -e 's/GlobalProtect/Quuxlink/'")
    app = make_app(desk)
    ui_thread = threading.get_ident()
    calls: list[bool] = []

    def record(conn, cursor, statement, *args):
        calls.append(threading.get_ident() == ui_thread)

    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        event.listen(desk, "before_cursor_execute", record)
        try:
            await open_knowledge(pilot)
            await search(pilot, "connect corporate vpn", open_best=True)
            for key in ("plus", "e", "p", "d"):
                await pilot.press(key)
                await settle(pilot)
        finally:
            event.remove(desk, "before_cursor_execute", record)
    assert len(calls) > 10
    assert not any(calls)


@run_async
async def test_slash_focuses_the_search_box_and_never_types_there(desk):
    """Issue 15 item 11: "/" in the focused box typed a literal "/"."""
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        box = screen.query_one("#kb-search", Input)
        assert app.focused is box
        await pilot.press("slash")
        await type_text(pilot, "vpn")
        await pilot.press("slash")
        await settle(pilot)
        assert box.value == "vpn"
        await pilot.press("down")  # into the results
        assert app.focused is screen.results
        await pilot.press("slash")
        await settle(pilot)
        assert app.focused is box and box.value == "vpn"


@run_async
async def test_the_list_before_a_search_says_how_it_is_ordered(desk):
    """Issue 15 item 11: headed "Most viewed articles", it was by title with 0 views everywhere."""
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_knowledge(pilot)
        heading = str(screen.query_one("#kb-results-title", Static).render())
        assert heading == "All articles by title, none viewed yet (46)"
        titles = [hit.title for hit in screen.results.hits]
        assert titles == sorted(titles)
        for external_id, views in (("KB0030", 2), ("KB0012", 3), ("KB0005", 2)):
            for _ in range(views):
                kb.record_view(desk, article(desk, external_id).id)
        await pilot.press("ctrl+r")
        await settle(pilot)
        heading = str(screen.query_one("#kb-results-title", Static).render())
        assert heading == "Most viewed first, then by title (46)"
        hits = screen.results.hits
        # By views, then by title.
        assert [hit.external_id for hit in hits[:3]] == ["KB0012"] + sorted(
            ["KB0030", "KB0005"], key=lambda e: article(desk, e).title)
        assert [hit.title for hit in hits[3:]] == sorted(hit.title for hit in hits[3:])
