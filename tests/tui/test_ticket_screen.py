"""Ticket detail screen: Pilot flows against a real seeded SQLite database."""

from __future__ import annotations

import sys

import pytest
from textual.content import Content
from textual.widgets import Input, OptionList, Select, TextArea

from deskui import clock
from deskui.services import tickets as svc
from deskui.services.actors import system_actor
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.tickets import comments, events, ticket_record
from deskui.tui.screens.modals import PriorityModal, ReopenModal, ReplyModal, ResolveModal, StatusModal
from deskui.tui.screens.picker_modals import AssignModal, CannedResponseModal, EscalateModal
from deskui.tui.screens.ticket import TicketScreen
from deskui.tui.widgets.ticket_actions import TicketActions
from deskui.tui.widgets.ticket_kb_keys import TicketKnowledgeKeys
from deskui.tui.widgets.ticket_ops_keys import TicketOpsKeys
from deskui.tui.widgets.ticket_survey import TicketSurveyKeys
from deskui.tui.widgets.ticket_conflict import ConflictBanner
from deskui.tui.widgets.ticket_conversation import CommentBlock, Conversation, DescriptionBlock
from deskui.tui.widgets.ticket_header import TicketHeader
from deskui.tui.widgets.ticket_history import TicketHistory
from deskui.tui.widgets.ticket_sla import HangingLines, SlaBar, SlaTimeline, timeline_lines
from ticket_support import (
    MARKUP_BODY, MARKUP_SUBJECT, NOW, SAMPLE, actor, make_app, open_ticket, run_async, run_command, screen_of,
    settle, start, type_text,
)


@pytest.fixture
def desk_db(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        yield sqlite_engine


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
        await start(pilot)
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
async def test_requester_messages_are_told_apart_from_analyst_replies(desk_db):
    t = open_ticket(desk_db)
    svc.add_comment(desk_db, actor(desk_db), t.id, "Can you restart?")
    svc.add_comment(desk_db, system_actor("mail"), t.id, "Done, still broken.", author_name="Ana Ruiz")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        analyst, requester = screen_of(app).query(CommentBlock)
        assert "PUBLIC REPLY" in analyst.border_title and not analyst.has_class("-requester")
        assert "FROM REQUESTER" in requester.border_title and "Ana Ruiz" in requester.border_title
        assert requester.has_class("-requester")
        assert requester.styles.border_top[1] != analyst.styles.border_top[1]


@run_async
async def test_missing_ticket_says_so(desk_db):
    app = make_app(desk_db, 999)
    async with app.run_test(size=(100, 30)) as pilot:
        await start(pilot)
        assert "#999 not found" in screen_of(app).query_one(TicketHeader).render().plain


# ------------------------------------------------------------------ helpers for typing

def comment_rows(engine, ticket_id):
    with session_scope(engine) as s:
        return [(c.visibility, c.author, c.body) for c in comments(s, ticket_id)]


# ------------------------------------------------------------------ reply and note

@run_async
async def test_reply_is_sent_and_shown_as_public(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "r", ReplyModal)
        assert not modal.internal and not modal.has_class("-internal")
        await type_text(pilot, "Restart it.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert comment_rows(desk_db, t.id) == [("public", "demo", "Restart it.")]
        screen = screen_of(app)
        assert app.screen is screen
        blocks = list(screen.query(CommentBlock))
        assert [b.comment.visibility for b in blocks] == ["public"]
        assert "Restart it." in blocks[0].render().plain
        assert "compose" not in screen.drafts
        # The first public reply stops the response clock.
        assert fresh(desk_db, t.id).first_response_at is not None


@run_async
async def test_note_is_internal_and_looks_different(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "n", ReplyModal)
        assert modal.internal and modal.has_class("-internal")
        await type_text(pilot, "Logs ok.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert comment_rows(desk_db, t.id) == [("internal", "demo", "Logs ok.")]
        (block,) = screen_of(app).query(CommentBlock)
        assert block.has_class("-internal") and "INTERNAL NOTE" in block.border_title
        # An internal note is not a response to the requester.
        assert fresh(desk_db, t.id).first_response_at is None


@run_async
async def test_reply_toggle_to_internal_and_empty_message_is_refused(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "r", ReplyModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal and "empty" in modal.error_text
        await pilot.press("ctrl+t")
        assert modal.internal
        await type_text(pilot, "note")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert comment_rows(desk_db, t.id) == [("internal", "demo", "note")]


@run_async
async def test_esc_keeps_the_reply_draft_and_discard_drops_it(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await open_modal(pilot, "r", ReplyModal)
        await type_text(pilot, "half written")
        await pilot.press("escape")
        await settle(pilot)
        screen = screen_of(app)
        assert app.screen is screen
        assert "reply (r)" in screen.query_one("#drafts-line").render().plain
        modal = await open_modal(pilot, "r", ReplyModal)
        assert modal.query_one(TextArea).text == "half written"
        await pilot.click("#discard")
        await settle(pilot)
        assert "compose" not in screen.drafts
        modal = await open_modal(pilot, "r", ReplyModal)
        assert modal.query_one(TextArea).text == ""
        assert comment_rows(desk_db, t.id) == []


# ------------------------------------------------------------------ take, assign, status

@run_async
async def test_take_assigns_to_me(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await pilot.press("t")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert now.assignee == "demo" and now.status == "open"
        assert "demo (Demo Analyst)" in screen_of(app).query_one(TicketHeader).render().plain


@run_async
async def test_taking_another_analysts_ticket_asks_and_says_whose_it_was(desk_db):
    """Issue 15.6: t on akhan's ticket asks first, naming akhan; n leaves it with them."""
    from deskui.tui.screens.bulk import ConfirmModal

    t = open_ticket(desk_db)
    svc.take(desk_db, actor(desk_db, "akhan"), t.id)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == f"#{t.id} is assigned to Amira Khan (akhan). Take it from them?"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and fresh(desk_db, t.id).assignee == "akhan"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert fresh(desk_db, t.id).assignee == "demo"
        assert any(f"You took #{t.id} from akhan" in n.message for n in app._notifications)


@run_async
async def test_assign_picker_lists_group_members_with_load(desk_db):
    t = open_ticket(desk_db, group="Service Desk")
    other = open_ticket(desk_db, group="Service Desk", subject="Other")
    svc.assign(desk_db, actor(desk_db), other.id, "akhan")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "a", AssignModal)
        await settle(pilot)
        load = {m.username: m.open_count for m in modal.members}
        assert load["akhan"] == 1 and load["demo"] == 0
        options = modal.query_one("#assign-members", OptionList)
        texts = [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]
        assert any("akhan" in x and "1 open" in x for x in texts)
        target = next(i for i, x in enumerate(texts) if x.startswith("cbennett"))
        options.highlighted = target
        await pilot.press("enter")
        await settle(pilot)
        assert fresh(desk_db, t.id).assignee == "cbennett"


@run_async
async def test_status_pending_needs_and_records_a_reason(desk_db):
    t = open_ticket(desk_db)
    svc.take(desk_db, actor(desk_db), t.id)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "s", StatusModal)
        names = [b.name for b in modal.query("RadioButton")]
        assert names == ["pending", "cancelled"]  # open -> pending | cancelled (resolve is x)
        assert modal.query_one("#pending-reason").display
        modal.query_one("#pending-reason", Select).value = "awaiting_vendor"
        await pilot.press("ctrl+s")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert (now.status, now.pending_reason) == ("pending", "awaiting_vendor")
        assert "PENDING (awaiting vendor)" in screen_of(app).query_one(TicketHeader).render().plain


# ------------------------------------------------------------------ escalate, resolve, reopen, priority

@run_async
async def test_escalate_to_tier_and_group_with_reason(desk_db):
    t = open_ticket(desk_db, group="Service Desk")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "e", EscalateModal)
        await settle(pilot)
        assert modal.query_one("#escalate-tier", Select).value == 2
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "reason" in modal.error_text
        modal.query_one("#escalate-group", Select).value = "Network Operations"
        modal.query_one("#escalate-reason", Input).focus()
        await type_text(pilot, "gateway config\n")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert (now.tier, now.group, now.escalation_count) == (2, "Network Operations", 1)
        assert "needs gateway" not in screen_of(app).query_one(TicketHistory).render().plain
        assert "(gateway config)" in screen_of(app).query_one(TicketHistory).render().plain


@run_async
async def test_resolve_requires_code_and_notes(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "x", ResolveModal)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        assert "a resolution code and notes" in modal.error_text
        modal.query_one("#resolve-code", Select).value = "solved"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal and "notes" in modal.error_text and "code" not in modal.error_text
        assert fresh(desk_db, t.id).status == "new"
        modal.query_one("#resolve-notes", TextArea).focus()
        await type_text(pilot, "Raised DPD.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert (now.status, now.resolution_code, now.resolution_notes) == (
            "resolved", "solved", "Raised DPD.")
        header = screen_of(app).query_one(TicketHeader).render().plain
        assert "RESOLVED" in header and "Resolution solved" in header


@run_async
async def test_reopen_needs_a_reason(desk_db):
    t = open_ticket(desk_db)
    svc.resolve(desk_db, actor(desk_db), t.id, code="solved", notes="done")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await pilot.press("x")  # not active: a message, no dialog
        await settle(pilot)
        assert app.screen is screen_of(app)
        modal = await open_modal(pilot, "o", ReopenModal)
        await pilot.press("enter")
        await settle(pilot)
        assert "reason" in modal.error_text
        await type_text(pilot, "fault is back\n")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert (now.status, now.reopen_count) == ("open", 1)
        assert "reopened" in event_kinds(desk_db, t.id)


@run_async
async def test_priority_override_needs_a_reason(desk_db):
    t = open_ticket(desk_db, impact="low", urgency="low")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "p", PriorityModal)
        assert "= P4" in modal.query_one("#priority-matrix").render().plain
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Nothing to change" in modal.error_text
        modal.query_one("#priority-override", Select).value = 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "needs a reason" in modal.error_text
        modal.query_one("#priority-reason", Input).focus()
        await type_text(pilot, "CEO laptop\n")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert now.priority == 1 and now.priority_reason == "override by demo: CEO laptop"
        assert "P1 Critical" in screen_of(app).query_one(TicketHeader).render().plain


@run_async
async def test_priority_from_the_matrix(desk_db):
    t = open_ticket(desk_db, impact="low", urgency="low")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "p", PriorityModal)
        modal.query_one("#priority-impact", Select).value = "high"
        modal.query_one("#priority-urgency", Select).value = "high"
        await settle(pilot)
        assert "= P1" in modal.query_one("#priority-matrix").render().plain
        await pilot.press("ctrl+s")
        await settle(pilot)
        now = fresh(desk_db, t.id)
        assert (now.priority, now.impact, now.urgency) == (1, "high", "high")
        assert now.priority_reason.startswith("matrix:")


# ------------------------------------------------------------------ canned responses and $EDITOR

@run_async
async def test_canned_response_is_inserted_with_placeholders_filled(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(140, 44)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "c", CannedResponseModal)
        await settle(pilot)
        names = [x.name for x in modal.templates]
        options = modal.query_one("#canned-list", OptionList)
        options.highlighted = names.index("Acknowledge")
        await settle(pilot)
        preview = modal.query_one("#canned-preview").render().plain
        assert preview.startswith("Hello Ana Ruiz,") and f"#{t.id}" in preview
        await pilot.press("enter")
        await settle(pilot)
        reply = app.screen
        assert isinstance(reply, ReplyModal)
        text = reply.query_one(TextArea).text
        assert "{" not in text and "Demo Analyst" in text and "Network Operations" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        ((visibility, _, body),) = comment_rows(desk_db, t.id)
        assert visibility == "public" and body.startswith("Hello Ana Ruiz,") and f"#{t.id}" in body


@run_async
async def test_compose_in_editor(desk_db, tmp_path, monkeypatch):
    script = tmp_path / "fake_editor.py"
    script.write_text("import sys\np = sys.argv[1]\nopen(p, 'a').write('typed in the editor\\n')\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ReplyModal)
        assert modal.query_one(TextArea).text == "typed in the editor"
        # ctrl+e inside the dialog edits what is there.
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert modal.query_one(TextArea).text == "typed in the editortyped in the editor"


@run_async
async def test_missing_editor_is_one_clear_message(desk_db, monkeypatch):
    monkeypatch.setenv("VISUAL", "/nonexistent/editor-xyz")
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "r", ReplyModal)
        await type_text(pilot, "keep me")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert "could not start" in modal.error_text
        assert modal.query_one(TextArea).text == "keep me"


# ------------------------------------------------------------------ conflicts

@run_async
async def test_conflict_on_resolve_says_who_reloads_and_keeps_drafts(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        # An unsent reply, kept with esc.
        await open_modal(pilot, "r", ReplyModal)
        await type_text(pilot, "Draft to the requester")
        await pilot.press("escape")
        await settle(pilot)
        # Meanwhile another analyst takes the ticket.
        svc.take(desk_db, actor(desk_db, "akhan"), t.id)
        modal = await open_modal(pilot, "x", ResolveModal)
        modal.query_one("#resolve-code", Select).value = "workaround"
        modal.query_one("#resolve-notes", TextArea).focus()
        await type_text(pilot, "Reinstalled")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # Nothing of ours was written.
        assert fresh(desk_db, t.id).status == "open"
        banner = screen.query_one(ConflictBanner)
        assert banner.shown
        assert "changed by akhan" in banner.message
        assert "assignee — → akhan" in banner.message and "status new → open" in banner.message
        assert "press x" in banner.message
        # ... and lists what they did, who and when.
        assert "Meanwhile:" in banner.message
        assert "akhan  assignee — → akhan" in banner.message
        # Fresh data is shown.
        assert "akhan (Amira Khan)" in screen.query_one(TicketHeader).render().plain
        assert screen.view.ticket.assignee == "akhan"
        assert "resolution (x)" in screen.query_one("#drafts-line").render().plain
        # Both drafts survive: the resolution...
        modal = await open_modal(pilot, "x", ResolveModal)
        assert modal.query_one("#resolve-code", Select).value == "workaround"
        assert modal.query_one("#resolve-notes", TextArea).text == "Reinstalled"
        # ... sent again against the fresh version, it goes through.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert fresh(desk_db, t.id).status == "resolved"
        assert not banner.shown and "resolve" not in screen.drafts
        # ... and the reply draft is still in the composer.
        modal = await open_modal(pilot, "r", ReplyModal)
        assert modal.query_one(TextArea).text == "Draft to the requester"


@run_async
async def test_conflict_on_assign(desk_db):
    t = open_ticket(desk_db, group="Service Desk")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        modal = await open_modal(pilot, "a", AssignModal)
        await settle(pilot)
        # Another analyst escalates while the picker is open.
        svc.escalate(desk_db, actor(desk_db, "akhan"), t.id, reason="vendor", group="Network Operations")
        options = modal.query_one("#assign-members", OptionList)
        texts = [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]
        options.highlighted = next(i for i, x in enumerate(texts) if x.startswith("cbennett"))
        await pilot.press("enter")
        await settle(pilot)
        assert fresh(desk_db, t.id).assignee == ""
        banner = screen.query_one(ConflictBanner)
        assert "changed by akhan" in banner.message and "group Service Desk → Network Operations" in banner.message
        assert "Network Operations" in screen.query_one(TicketHeader).render().plain
        await pilot.press("escape")  # hides the banner, stays on the ticket
        assert not banner.shown and app.screen is screen


# ------------------------------------------------------------------ untrusted text

@run_async
async def test_markup_and_escapes_render_as_typed(desk_db):
    t = open_ticket(desk_db, subject=MARKUP_SUBJECT, description=MARKUP_BODY, requester_name="[i]Eve[/i]")
    svc.add_comment(desk_db, actor(desk_db), t.id, "[red]not red[/red] :smile: \x1b[2Jafter")
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        header = screen.query_one(TicketHeader).render().plain
        assert MARKUP_SUBJECT in header and "[i]Eve[/i]" in header
        description = screen.query_one(DescriptionBlock).render().plain
        assert "Error: [b]Access denied[/b] red and $variable {ticket.number}" in description
        assert "\x1b" not in description
        (block,) = screen.query(CommentBlock)
        assert block.render().plain == "[red]not red[/red] :smile: after"
        # And on screen, character for character.
        svg = app.export_screenshot()
        assert "[bold&#160;red]x[/]" in svg or "[bold red]x[/]" in svg


HOSTILE_GROUP = "[/x] [link=file:///etc/passwd]G[/link]"


def add_group(engine, name: str, *, member: str = "demo") -> None:
    from sqlalchemy import select

    from deskui.store.db import write_session
    from deskui.store.models import Analyst, Group, GroupMember

    with write_session(engine) as s:
        group = Group(name=name, tier=2)
        s.add(group)
        s.flush()
        analyst_id = s.scalars(select(Analyst.id).where(Analyst.username == member)).one()
        s.add(GroupMember(group_id=group.id, analyst_id=analyst_id))


def plain(widget) -> str:
    return widget.render().plain


@run_async
async def test_names_and_subjects_in_dialogs_show_as_typed(desk_db):
    """A group name or subject from the database is never read as markup: not in the
    escalate dialog's labels, nor in the groups the assign dialog offers."""
    add_group(desk_db, HOSTILE_GROUP)
    t = open_ticket(desk_db, subject=MARKUP_SUBJECT, group=HOSTILE_GROUP)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        modal = await open_modal(pilot, "e", EscalateModal)
        labels = [plain(label) for label in modal.query(".field-label")]
        assert f"Group (now {HOSTILE_GROUP})" in labels
        assert MARKUP_SUBJECT in plain(modal.query_one("#dialog-title"))
        await pilot.press("escape")
        await settle(pilot)
        modal = await open_modal(pilot, "a", AssignModal)
        select = modal.query_one("#assign-group", Select)
        assert select.value == HOSTILE_GROUP
        shown = [str(prompt) for prompt, _ in select._options]
        assert f"{HOSTILE_GROUP} (tier 2)" in shown
        assert HOSTILE_GROUP in str(select.query_one("SelectCurrent #label").render())
        # On screen, bracket for bracket (the SVG escapes nothing of it as a link).
        svg = app.export_screenshot()
        assert "file:///etc/passwd" in svg and "<a " not in svg


@run_async
async def test_a_locked_database_while_a_dialog_loads_is_one_line_and_the_app_runs(desk_db):
    """Another process holds the SQLite file locked while the escalate dialog reads the
    groups: the analyst sees one line, the dialog stays open, the app keeps running."""
    import sqlite3

    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        desk_db.dispose()  # the app's idle connections go: its next read must open the file
        lock = sqlite3.connect(desk_db.url.database, isolation_level=None)
        # Another process writing tickets indexes their text as deskui does (README "Search in every script").
        from deskui.store.db import register_sqlite_functions

        register_sqlite_functions(lock)
        try:
            lock.execute("PRAGMA locking_mode = EXCLUSIVE")
            lock.execute("BEGIN EXCLUSIVE")
            lock.execute("UPDATE tickets SET subject = subject")
            modal = await open_modal(pilot, "e", EscalateModal)
            messages = [n.message for n in app._notifications]
            assert any(m.startswith("Groups: the database is busy") for m in messages), messages
            assert all("\n" not in m and "Traceback" not in m for m in messages)
            assert app.is_running and app.screen is modal
            assert not modal.query_one("#escalate-group", Select)._options[1:]  # nothing read
        finally:
            lock.close()
        # Nothing was lost: closing and opening again reads the groups.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        modal = await open_modal(pilot, "e", EscalateModal)
        assert len(modal.query_one("#escalate-group", Select)._options) > 1


def test_comment_block_never_interprets_markup():
    from deskui.store.records import CommentRecord

    record = CommentRecord(id=1, ticket_id=1, author="[b]eve[/b]", visibility="public",
                           body="[bold red]x[/] \x1b[2J\x07done", created_at=NOW)
    block = CommentBlock(record)
    assert block.render().plain == "[bold red]x[/] done"
    # The title is markup: the author must show as typed, not as bold "eve".
    assert "[b]eve[/b]" in Content.from_markup(block.border_title).plain


# ------------------------------------------------------------------ palette and layout

@run_async
async def test_every_action_is_a_palette_command(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        names = [name for name, _, _ in screen.palette_commands()]
        for word in ("Reply", "internal note", "Take", "Assign", "status", "Escalate", "Resolve", "Reopen",
                     "priority", "canned", "EDITOR"):
            assert any(word in n for n in names), word
        await run_command(pilot, "Resolve ticket")
        assert isinstance(app.screen, ResolveModal)


#: The ticket screen's keys as ? lists them (binding ids), in order: the analyst's actions,
#: operations, satisfaction, knowledge, then the app's.
HELP_IDS = [
    "ticket.reply", "ticket.note", "ticket.take", "ticket.assign", "ticket.status", "ticket.escalate",
    "ticket.resolve", "ticket.reopen", "ticket.priority", "ticket.canned", "ticket.editor", "ticket.reload",
    "ticket.back", "ticket.scroll_down", "ticket.scroll_up", "ticket.top", "ticket.bottom",
    "ops.link_known_error", "ops.ticket_link_bulletin", "ops.approve", "ops.reject", "ops.checklist", "ops.routing",
    "ticket.survey", "ticket.kb_suggestions", "ticket.kb_link", "ticket.kb_insert", "ticket.kb_draft",
    "app.help", "app.jump", "app.mode_queue", "app.mode_knowledge", "app.mode_metrics", "app.mode_wallboard",
    "app.command_palette",
]


@run_async
async def test_bindings_have_ids_and_letters_are_not_priority(desk_db):
    ids = {b.id for b in TicketActions.BINDINGS}
    for action in ("reply", "note", "take", "assign", "status", "escalate", "resolve", "reopen", "priority",
                   "canned", "editor", "back"):
        assert f"ticket.{action}" in ids
    for feature in (TicketActions, TicketOpsKeys, TicketSurveyKeys, TicketKnowledgeKeys):
        assert feature.BINDINGS and all(b.id for b in feature.BINDINGS)
        assert all(not b.priority for b in feature.BINDINGS if len(b.key) == 1)


@run_async
async def test_each_feature_owns_its_keys_and_help_lists_them_as_before(desk_db):
    """The keys live in the features (layers around the screen's body), not in the
    screen, and work wherever the focus is: ? lists them in the same order."""
    from deskui.tui.screens.help import binding_rows

    assert not [b for b in TicketScreen.BINDINGS if getattr(b, "id", None)]
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        for focus in ("#ticket-main", "#ticket-side", "#kb-suggestions"):
            screen.query_one(focus).focus()
            await settle(pilot)
            assert [row[2] for row in binding_rows(screen) if row[2]] == HELP_IDS, focus


@run_async
async def test_narrow_terminal_stacks_the_columns(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await start(pilot)
        columns = screen_of(app).query_one("#ticket-columns")
        assert columns.has_class("-narrow")
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert not columns.has_class("-narrow")


@run_async
async def test_wide_terminal_gives_the_side_column_half_the_width(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        main, side = screen.query_one("#ticket-main"), screen.query_one("#ticket-side")
        assert (main.size.width, side.outer_size.width) == (96, 64)
        await pilot.resize_terminal(200, 60)
        await settle(pilot)
        assert screen.query_one("#ticket-columns").has_class("-wide")
        assert (main.size.width, side.outer_size.width) == (100, 100)


def test_sla_timeline_continuations_hang_under_their_line():
    lines = timeline_lines([
        "resolution: ok -- 2h 0m of 8h 0m business time used (25%)",
        "  Sun 2026-11-15 07:30 GMT -> Mon 2026-11-16 06:00 GMT  not counted: paused (pending: awaiting_requester);"
        " 0m of business time held back",
    ])
    timeline = HangingLines(lines)
    assert timeline.wrapped(60).plain.split("\n") == [
        "resolution: ok -- 2h 0m of 8h 0m business time used (25%)",
        "  Sun 15 Nov 07:30 → Mon 16 Nov 06:00  not counted: paused",
        "    (pending: awaiting_requester); 0m of business time held",
        "    back",
    ]
    assert timeline.get_height({}, 60) == 4
    assert timeline.get_height({}, 200) == 2  # nothing to wrap
    assert timeline.plain.startswith("resolution: ok")


@run_async
async def test_back_returns_to_the_queue(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("q")
        await settle(pilot)
        assert not isinstance(app.screen, TicketScreen)
        assert app.current_mode == "queue" and len(app.screen_stack) == 1


@run_async
async def test_user_keymap_remaps_ticket_bindings(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id, keymap={"ticket.reply": "R"})
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await open_modal(pilot, "R", ReplyModal)


@run_async
async def test_no_database_call_runs_on_the_ui_thread(desk_db):
    import threading

    from sqlalchemy import event

    t = open_ticket(desk_db, group="Service Desk")
    app = make_app(desk_db, t.id)
    ui_thread = threading.get_ident()
    calls: list[tuple[bool, str]] = []

    def record(conn, cursor, statement, *args):
        calls.append((threading.get_ident() == ui_thread, statement.split()[0]))

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        event.listen(desk_db, "before_cursor_execute", record)
        try:
            app.open_ticket(t.id)
            await settle(pilot)
            for key, modal_type in (("a", AssignModal), ("c", CannedResponseModal), ("e", EscalateModal)):
                await open_modal(pilot, key, modal_type)
                await settle(pilot)
                await pilot.press("escape")
                await settle(pilot)
            await open_modal(pilot, "n", ReplyModal)
            await type_text(pilot, "hi")
            await pilot.press("ctrl+s")
            await settle(pilot)
            await pilot.press("t")
            await settle(pilot)
        finally:
            event.remove(desk_db, "before_cursor_execute", record)
    assert fresh(desk_db, t.id).assignee == "demo"
    assert len(calls) > 10
    assert [c for c in calls if c[0]] == []


@run_async
async def test_live_check_shows_another_analysts_change(desk_db):
    t = open_ticket(desk_db)
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await start(pilot)
        screen = screen_of(app)
        screen._poll_changes()  # what the timer does every live_refresh_seconds
        await settle(pilot)
        before = screen.view
        svc.add_comment(desk_db, actor(desk_db, "akhan"), t.id, "On it.", internal=True)
        svc.take(desk_db, actor(desk_db, "akhan"), t.id)
        screen._poll_changes()
        await settle(pilot)
        assert screen.view is not before and screen.view.ticket.assignee == "akhan"
        assert [b.comment.body for b in screen.query(CommentBlock)] == ["On it."]
        assert "akhan (Amira Khan)" in screen.query_one(TicketHeader).render().plain


@run_async
async def test_the_ticket_screen_shows_mail_to_the_requester_with_its_state(desk_db):
    """Issue 13.7: each notification with its state and the reason it failed; a bounced address said."""
    from sqlalchemy import update

    from deskui.store.models import Requester
    from deskui.store.models_mail import OutboundMail
    from deskui.tui.widgets.ticket_mail import MailLog

    t = open_ticket(desk_db, subject="[red]Mail[/] test")
    with session_scope(desk_db) as s:
        s.execute(update(OutboundMail).values(state="failed", attempts=8, last_error="451 [b]try later[/b]"))
        s.execute(update(Requester).values(mail_bounced_at=NOW, mail_bounce="550 no such user"))
    app = make_app(desk_db, t.id)
    async with app.run_test(size=(140, 40)) as pilot:
        await start(pilot)
        log = pilot.app.screen.query_one(MailLog)
        text = log.render().plain
        assert log.display and "created" in text and "failed" in text and "[red]Mail[/] test" in text
        assert "after 8 attempt(s): 451 [b]try later[/b]" in text
        assert "is undeliverable: bounced" in text and "550 no such user" in text
