"""Knowledge on the ticket screen: suggested articles, similar resolved tickets,
link, insert steps into a reply, draft an article from a resolution."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from textual.widgets import TextArea

from deskui import clock
from deskui.services import knowledge as kb
from deskui.services import tickets as svc
from deskui.store.db import session_scope
from deskui.store.models import ArticleLink, TicketEvent
from deskui.tui.screens.knowledge import KnowledgeScreen
from deskui.tui.screens.modals import ReplyModal
from deskui.tui.screens.ticket import TicketScreen
from deskui.tui.widgets.kb_format import reply_text
from deskui.tui.widgets.ticket_kb_keys import TicketKnowledgeKeys
from deskui.tui.widgets.ticket_suggestions import TicketSuggestions
from knowledge_support import article, kb_desk, knowledge_screen, rendered_lines
from ticket_support import NOW, actor, make_app, open_ticket, run_async, run_command, screen_of, settle, start


@pytest.fixture
def desk(sqlite_engine):
    kb_desk(sqlite_engine)
    with clock.frozen(NOW):
        yield sqlite_engine


HOTEL_FIX = "Hotel Wi-Fi blocked UDP 4501; switched the portal to TCP and it connected."


def resolved_ticket(engine, notes: str = HOTEL_FIX):
    """A resolved ticket like :func:`vpn_ticket`, so it is listed as a similar one."""
    ticket = open_ticket(engine, subject="GlobalProtect gateway not responding at the hotel",
                         description="The VPN client says the gateway is not responding.")
    svc.resolve(engine, actor(engine, "akhan"), ticket.id, code="solved", notes=notes)
    return ticket


def vpn_ticket(engine):
    return open_ticket(engine, subject="VPN gateway not responding",
                       description="GlobalProtect says gateway not responding since this morning.")


def links(engine, ticket_id: int) -> list[int]:
    with session_scope(engine) as s:
        return list(s.scalars(select(ArticleLink.article_id).where(ArticleLink.ticket_id == ticket_id)))


def link_events(engine, ticket_id: int) -> list[tuple[str, str]]:
    with session_scope(engine) as s:
        rows = s.execute(select(TicketEvent.old, TicketEvent.new).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "linked").order_by(TicketEvent.id))
        return [(old or "", new or "") for old, new in rows]


def suggestions(app) -> TicketSuggestions:
    return screen_of(app).query_one(TicketSuggestions)


def choose(widget: TicketSuggestions, option_id: str) -> None:
    widget.focus_list()
    widget.options.highlighted = widget.options.get_option_index(option_id)


@run_async
async def test_suggested_articles_and_similar_resolved_tickets_with_their_resolution(desk):
    done = resolved_ticket(desk)
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        widget = suggestions(app)
        assert widget.data is not None
        assert "KB0002" in [hit.external_id for hit in widget.data.articles]
        assert [t.id for t in widget.data.tickets] == [done.id]
        assert ticket.id not in [t.id for t in widget.data.tickets]
        text = "\n".join(rendered_lines(widget.options))
        assert "Suggested articles" in text and "Similar resolved tickets" in text
        assert f"#{done.id}" in text and "Resolution: Hotel Wi-Fi blocked UDP 4501" in text


@run_async
async def test_link_an_article_writes_the_linked_event_and_unlink_too(desk):
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        widget = suggestions(app)
        first = widget.chosen
        assert first is not None and first.kind == "article"
        # The first L only moves to the list, so nothing unseen is linked.
        await pilot.press("L")
        await settle(pilot)
        assert widget.list_focused and links(desk, ticket.id) == []
        await pilot.press("L")
        await settle(pilot)
        assert links(desk, ticket.id) == [first.id]
        assert link_events(desk, ticket.id) == [("", first.label)]
        # The history shows the event and the list shows the link, still highlighted.
        screen = screen_of(app)
        assert screen.view.events[-1].kind == "linked"
        screen_data = suggestions(app).data
        assert [link.article_id for link in screen_data.linked] == [first.id]
        assert first.id not in [hit.id for hit in screen_data.articles]
        assert widget.chosen.linked and widget.chosen.id == first.id
        assert "✓ " + first.label in "\n".join(rendered_lines(widget.options))
        await pilot.press("L")
        await settle(pilot)
        assert links(desk, ticket.id) == []
        assert link_events(desk, ticket.id) == [("", first.label), (first.label, "")]


@run_async
async def test_insert_steps_into_a_reply(desk):
    ticket = vpn_ticket(desk)
    kb0002 = article(desk, "KB0002")
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        choose(suggestions(app), f"a{kb0002.id}")
        await pilot.press("i")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ReplyModal) and not modal.internal
        text = modal.query_one(TextArea).text
        assert text == reply_text(kb0002.external_id, kb0002.title, kb0002.body)
        assert "\n1. " in "\n" + text and "**" not in text
        assert text.endswith(f"(From knowledge article KB0002: {kb0002.title})")
        # Esc keeps it as a draft; inserting again adds below what is there.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        again = app.screen.query_one(TextArea).text
        assert again == f"{text}\n\n{text}"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with session_scope(desk) as s:
        from deskui.store.tickets import comments

        bodies = [c.body for c in comments(s, ticket.id)]
    assert bodies[-1].startswith(text.split("\n")[0])


@run_async
async def test_insert_needs_an_article_row(desk):
    done = resolved_ticket(desk, "Switched the portal to TCP.")
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        choose(suggestions(app), f"t{done.id}")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert any("works on an article" in n.message for n in app._notifications)


@run_async
async def test_draft_from_this_tickets_resolution_and_open_it(desk):
    ticket = open_ticket(desk, subject="Teams calls drop after 30 seconds on the warehouse Wi-Fi")
    svc.resolve(desk, actor(desk, "akhan"), ticket.id, code="solved",
                notes="Warehouse APs had SIP ALG on; disabled it on the controller and calls stay up.")
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        await pilot.press("D")
        await settle(pilot)
        draft = article(desk, kb.draft_external_id(ticket.id))
        assert draft.status == "draft" and "SIP ALG" in draft.body
        assert links(desk, ticket.id) == [draft.id]
        assert link_events(desk, ticket.id)[-1] == ("", draft.external_id)
        assert draft.external_id in str(app.screen.question)
        await pilot.press("y")
        await settle(pilot)
        assert app.current_mode == "knowledge"
        screen = knowledge_screen(app)
        assert app.screen is screen
        assert screen.detail.article.id == draft.id
        assert " DRAFT " in "\n".join(rendered_lines(screen.query_one("#kb-article-title")))


@run_async
async def test_draft_from_a_similar_resolved_ticket_when_this_one_is_open(desk):
    done = resolved_ticket(desk)
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        await pilot.press("D")  # this ticket is open: nothing to draft from
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert any("resolve it first" in n.message for n in app._notifications)
        choose(suggestions(app), f"t{done.id}")
        await pilot.press("D")
        await settle(pilot)
        draft = article(desk, kb.draft_external_id(done.id))
        assert "UDP 4501" in draft.body and links(desk, done.id) == [draft.id]
        assert links(desk, ticket.id) == []
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.current_mode == "queue"


@run_async
async def test_enter_opens_the_article_in_the_knowledge_screen_or_the_similar_ticket(desk):
    done = resolved_ticket(desk, "Switched the portal to TCP.")
    ticket = vpn_ticket(desk)
    kb0002 = article(desk, "KB0002")
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        choose(suggestions(app), f"t{done.id}")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == done.id
        await pilot.press("escape")
        await settle(pilot)
        choose(suggestions(app), f"a{kb0002.id}")
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "knowledge"
        assert isinstance(app.screen, KnowledgeScreen) and app.screen.detail.article.id == kb0002.id
        assert article(desk, "KB0002").views == 1


@run_async
async def test_knowledge_keys_have_ids_and_are_palette_commands(desk):
    ids = {b.id for b in TicketKnowledgeKeys.BINDINGS}
    assert {"ticket.kb_suggestions", "ticket.kb_link", "ticket.kb_insert", "ticket.kb_draft"} <= ids
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        names = [name for name, _, _ in screen_of(app).palette_commands()]
        for words in ("Link or unlink article", "Insert article steps", "Draft article from resolution"):
            assert any(words in name for name in names), words
        await run_command(pilot, "Insert article steps")
        # From the palette the list is not focused yet: the command moves there first.
        assert suggestions(app).list_focused


@run_async
async def test_narrow_ticket_screen_still_reaches_the_suggestions(desk):
    ticket = vpn_ticket(desk)
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        await pilot.press("f")
        await settle(pilot)
        widget = suggestions(app)
        assert widget.list_focused
        assert all(len(line.rstrip()) <= 80 for line in rendered_lines(widget.options))
        await pilot.press("L")
        await settle(pilot)
        assert links(desk, ticket.id) == [widget.data.linked[0].article_id]


@run_async
async def test_inserted_steps_are_the_text_the_article_shows(desk):
    """Issue 15.2: KB0010 shows `\\\\nw-print01`; the reply sent says the same, every step as shown."""
    kb0010 = article(desk, "KB0010")
    ticket = open_ticket(desk, subject="Cannot add the Follow-Me printer", category="Printing/Printer Setup",
                         description="The NW-FollowMe printer queue is missing on my laptop.")
    app = make_app(desk, ticket.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        choose(suggestions(app), f"a{kb0010.id}")
        await pilot.press("i")
        await settle(pilot)
        inserted = app.screen.query_one(TextArea).text
        await pilot.press("ctrl+s")
        await settle(pilot)
        from deskui.tui.screens.knowledge import show_article_in_knowledge

        await show_article_in_knowledge(app, kb0010.id)
        await settle(pilot)
        shown = [" ".join(p.render().plain.split()) for p in knowledge_screen(app).query("MarkdownParagraph")]
    with session_scope(desk) as s:
        from deskui.store.tickets import comments

        sent = comments(s, ticket.id)[-1].body
    assert sent == inserted
    assert "type \\\\nw-print01 and press Enter" in sent
    steps = [line.split(". ", 1)[1] for line in inserted.split("\n") if line[:1].isdigit()]
    assert steps and all(step in shown for step in steps), [s for s in steps if s not in shown]
