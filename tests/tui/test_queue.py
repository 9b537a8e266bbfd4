"""The queue screen: Pilot flows against a real seeded SQLite database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.services import tickets as svc
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Ticket
from deskui.store.tickets import ticket_record
from deskui.tui.screens.bulk import BulkAssignModal, BulkStatusModal
from deskui.tui.widgets.queue_view import QueueView
from deskui.tui.widgets.saved_views import SavedViews
from queue_support import (
    NOW, SAMPLE, actor, build_desk, burst, line_text, make_app, queue_screen, run_async, settle, type_text,
)

ACTIVE = sorted(s.value for s in ACTIVE_STATUSES)


@pytest.fixture
def desk(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        build_desk(sqlite_engine)
        yield sqlite_engine


def active_ids_by_sla(engine) -> list[int]:
    """The expected default order, computed here independently of the store's order_by."""
    with session_scope(engine) as s:
        rows = s.execute(select(Ticket.id, Ticket.resolution_due_at, Ticket.priority)
                         .where(Ticket.status.in_(ACTIVE))).all()
    return [r.id for r in sorted(rows, key=lambda r: (r.resolution_due_at is None, r.resolution_due_at or NOW,
                                                      r.priority, r.id))]


def record(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


# ------------------------------------------------------------------ opening, navigation


@run_async
async def test_queue_opens_on_all_open_sorted_by_sla(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        assert list(view.ids) == active_ids_by_sla(desk)
        assert view.cursor == 0
        # The first page is on screen: header, then the first tickets with their subjects.
        assert "Subject" in line_text(view, 0)
        for y, ticket_id in enumerate(view.ids[:5], start=1):
            text = line_text(view, y)
            assert f"#{ticket_id}" in text
            assert record(desk, ticket_id).subject[:20] in text


@run_async
async def test_j_k_g_G_and_pages_move_the_cursor(desk):
    app = make_app(desk)
    async with app.run_test(size=(100, 12)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        last = len(view.ids) - 1
        await pilot.press("j", "j", "down")
        assert view.cursor == 3
        await pilot.press("k")
        assert view.cursor == 2
        await pilot.press("G")
        assert view.cursor == last
        # The cursor line is on screen: the view scrolled to the end.
        assert view.scroll_y == len(view.ids) - view.visible_rows
        await pilot.press("g")
        assert view.cursor == 0 and view.scroll_y == 0
        await pilot.press("end")
        assert view.cursor == last
        await pilot.press("home", "pagedown")
        assert view.cursor == view.visible_rows
        await pilot.press("ctrl+u")
        assert view.cursor == view.visible_rows - view.visible_rows // 2


# ------------------------------------------------------------------ the filter


@run_async
async def test_filter_good_query_narrows_the_queue(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("slash")
        await type_text(pilot, "priority:1,2\n")
        await settle(pilot)
        view = screen.query_one(QueueView)
        with session_scope(desk) as s:
            expected = set(s.scalars(select(Ticket.id).where(Ticket.priority.in_([1, 2]),
                                                              Ticket.status.in_(ACTIVE))))
        assert expected and set(view.ids) == expected
        assert screen.query_one("#filter-error").has_class("-hidden")
        assert view.has_focus
        # esc clears the filter again.
        await pilot.press("escape")
        await settle(pilot)
        assert list(view.ids) == active_ids_by_sla(desk)


@run_async
async def test_the_scrollbar_follows_the_list_as_filters_shrink_and_grow_it(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 12)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        shown = view.scrollable_content_region.height - 1
        everything = "status:new,open,pending,resolved,closed,cancelled"
        bars = []
        for query in (everything, "priority:1", everything, "", "priority:1"):
            assert screen.apply_filter(query)
            await settle(pilot)
            bars.append(view.show_vertical_scrollbar)
            assert view.virtual_size.height == len(view.ids) + 1
            assert view.show_vertical_scrollbar == (len(view.ids) > shown), query
            if view.show_vertical_scrollbar:
                assert view.vertical_scrollbar.window_virtual_size == len(view.ids) + 1
            # Every line on screen is a ticket of this list (nothing left from the last one).
            assert [row.id for row in map(view.row, view.ids[:shown]) if row] == list(view.ids[:shown])
        assert bars == [True, False, True, True, False]
        # A resize: the virtual width follows the new width, the scrollbar the list.
        assert screen.apply_filter(everything)
        await settle(pilot)
        for size in ((90, 12), (140, 30), (100, 12)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            shown = view.scrollable_content_region.height - 1
            assert view.virtual_size == (view.scrollable_content_region.width, len(view.ids) + 1)
            assert view.show_vertical_scrollbar == (len(view.ids) > shown), size


@run_async
async def test_filter_typed_in_one_go_lands_in_the_field(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        burst(app, "/vpn\n")
        await settle(pilot)
        # Not the ticket under the cursor opened by the Enter: the filter applied.
        assert app.screen is screen
        assert screen.filter_text == "vpn"
        ids = list(screen.query_one(QueueView).ids)
        assert ids and all("VPN" in record(desk, i).subject for i in ids)


@run_async
async def test_bad_query_shows_an_inline_message_and_keeps_the_list(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        before = list(view.ids)
        await pilot.press("slash")
        await type_text(pilot, "status:opne\n")
        await settle(pilot)
        error = screen.query_one("#filter-error")
        assert not error.has_class("-hidden")
        message = str(error.render())
        assert "status" in message and "opne" in message and "open" in message
        assert list(view.ids) == before
        # Fixing the query clears the message.
        await pilot.press(*["backspace"] * 3)
        await type_text(pilot, "pen\n")
        await settle(pilot)
        assert error.has_class("-hidden")
        assert all(record(desk, i).status == "open" for i in view.ids)


# ------------------------------------------------------------------ saved views


@run_async
async def test_saved_views_switch_and_show_counts(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        views = screen.query_one(SavedViews)
        with session_scope(desk) as s:
            demo_id = s.scalar(select(Analyst.id).where(Analyst.username == "demo"))
            mine = set(s.scalars(select(Ticket.id).where(Ticket.assignee_id == demo_id, Ticket.status.in_(ACTIVE))))
            unassigned = set(s.scalars(select(Ticket.id).where(Ticket.assignee_id.is_(None),
                                                                Ticket.status.in_(ACTIVE))))
            pending = set(s.scalars(select(Ticket.id).where(Ticket.status == "pending")))
            active = set(s.scalars(select(Ticket.id).where(Ticket.status.in_(ACTIVE))))
        names = [v.name for v in views.views]
        counts = dict(zip(names, views.counts))
        assert counts["All open"] == len(active)
        assert counts["My open"] == len(mine)
        assert counts["Unassigned"] == len(unassigned)
        assert counts["Pending"] == len(pending)
        view = screen.query_one(QueueView)
        await pilot.press("right_square_bracket")  # next view: My open
        await settle(pilot)
        assert views.current == names.index("My open")
        assert set(view.ids) == mine
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert set(view.ids) == unassigned
        # The status line names the view and its size.
        assert "Unassigned" in screen.query_one("StatusLine").note


# ------------------------------------------------------------------ marks and bulk actions


@run_async
async def test_mark_and_bulk_take(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("space", "j", "space")
        marked = {view.ids[0], view.ids[2]}
        assert view.marks == marked and view.cursor == 3
        await pilot.press("t")
        await settle(pilot)
        for ticket_id in marked:
            assert record(desk, ticket_id).assignee == "demo"
        assert view.marks == set()
        # The rows were patched in place with the new assignee.
        assert all(view.row(i).assignee == "demo" for i in marked)


@run_async
async def test_bulk_assign_through_the_picker(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("space", "space", "space")
        marked = set(view.ids[:3])
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, BulkAssignModal)
        await type_text(pilot, "dokafor\n")
        await settle(pilot)
        assert not isinstance(app.screen, BulkAssignModal)
        assert {record(desk, i).assignee for i in marked} == {"dokafor"}
        assert view.marks == set()


@run_async
async def test_bulk_status_pending_with_a_reason(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("space", "space")
        marked = set(view.ids[:2])
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, BulkStatusModal)
        await pilot.press("down", "down", "enter")  # pending: awaiting vendor
        await settle(pilot)
        for ticket_id in marked:
            ticket = record(desk, ticket_id)
            assert (ticket.status, ticket.pending_reason) == ("pending", "awaiting_vendor")


@run_async
async def test_bulk_take_reports_a_ticket_someone_else_changed(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("space", "space")
        first, second = view.ids[0], view.ids[1]
        # A lead gives the first ticket to akhan after we loaded it (it may be another analyst's: a lead's move).
        with clock.frozen(NOW):
            svc.assign(desk, actor(desk, "dokafor"), first, "akhan")
        await pilot.press("t")
        await settle(pilot)
        assert record(desk, first).assignee == "akhan"
        assert record(desk, second).assignee == "demo"
        # The failed one stays marked; the notification says who changed it.
        assert view.marks == {first}
        messages = [n.message for n in app._notifications]
        assert any(f"#{first}" in m and "akhan" in m for m in messages)


# ------------------------------------------------------------------ live refresh


@run_async
async def test_live_refresh_keeps_cursor_and_marks(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        await pilot.press("j", "j", "space", "j", "space")
        cursor_id = view.cursor_id
        marks = set(view.marks)
        old_index = view.cursor
        changed = view.ids[5]
        # Another analyst, through the services: takes a ticket, and logs a P1 phoned in
        # ten hours ago (already past due, so it sorts first).
        with clock.frozen(NOW):
            svc.take(desk, actor(desk, "akhan"), changed)
        with clock.frozen(NOW - timedelta(hours=10)):
            new = svc.open_ticket(desk, actor(desk, "akhan"), subject="Core switch down",
                                  requester="ops@northwind.example", impact="high", urgency="high")
        screen.refresh_queue()
        await settle(pilot)
        assert list(view.ids) == active_ids_by_sla(desk)
        assert view.ids[0] == new.id
        assert view.cursor_id == cursor_id
        assert view.cursor == old_index + 1
        assert view.marks == marks
        assert view.row(changed).assignee == "akhan"
        # Nothing changed since: the next refresh does not even re-read the ids.
        ids = view.ids
        screen.refresh_queue()
        await settle(pilot)
        assert view.ids is ids


@run_async
async def test_refreshes_never_overlap(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.refresh_queue(force=True)
        screen.refresh_queue(force=True)
        screen.refresh_queue(force=True)
        running = [w for w in app.workers if w.group == "queue-refresh" and not w.is_finished]
        assert len(running) == 1
        await settle(pilot)
        assert not screen._refreshing


# ------------------------------------------------------------------ untrusted text


@run_async
async def test_untrusted_subject_renders_literally(desk):
    app = make_app(desk)
    async with app.run_test(size=(200, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        lines = [line_text(view, y) for y in range(1, len(view.ids) + 1)]
        hit = [line for line in lines if "printer" in line]
        assert len(hit) == 1
        assert "[bold red]x[/] printer" in hit[0]
        assert "[link=http://evil]click[/lin" in hit[0]
        assert "\x1b" not in "".join(lines)


# ------------------------------------------------------------------ open a ticket


@run_async
async def test_enter_opens_the_ticket_and_esc_comes_back(desk):
    ticket_screen = pytest.importorskip("deskui.tui.screens.ticket")
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ticket_screen.TicketScreen)
        assert app.screen.ticket_id == view.ids[1]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue_screen(app)
        assert view.cursor == 1


# ------------------------------------------------------------------ SLA sweep


def breaching_view_count(app) -> int:
    """The count the "Breaching / at risk" saved view shows."""
    views = app.screen.query_one(SavedViews)
    return views.counts[[v.name for v in views.views].index("Breaching / at risk")]


def breaching_or_at_risk(desk) -> int:
    """Active tickets whose stored SLA state is breached or at risk."""
    with session_scope(desk) as s:
        return s.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.status.in_(ACTIVE),
            (Ticket.response_state.in_(["breached", "at_risk"])) |
            (Ticket.resolution_state.in_(["breached", "at_risk"]))))


@run_async
async def test_sla_sweep_in_a_worker_refreshes_states_and_counts(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        before = breaching_view_count(app)
        # A day later, without anyone touching a ticket: only the sweep notices.
        later = NOW + timedelta(days=1)
        with clock.frozen(later):
            app.run_sweep()
            await settle(pilot)
            expected = breaching_or_at_risk(desk)
        assert expected > before
        assert breaching_view_count(app) == expected
        assert app.live_counts is not None and sum(app.live_counts) == expected


@run_async
async def test_while_another_app_sweeps_the_app_only_reads_the_counts(desk):
    """The app that does not hold the sweep writes nothing, yet its counts are
    live: a ticket whose warning or due time passed since the last sweep is
    counted at once (the live SLA state needs no sweep), the same as after one."""
    from deskui.services.sweep import claim_sweep, sweep

    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        before = breaching_view_count(app)
        stored_before = breaching_or_at_risk(desk)
        later = NOW + timedelta(days=1)
        with clock.frozen(later):
            assert claim_sweep(desk, 600)  # another analyst's app holds the sweep...
            app.run_sweep()
            await settle(pilot)
            assert breaching_or_at_risk(desk) == stored_before  # ...so this one swept nothing
            live = breaching_view_count(app)
            sweep(desk)  # the other app's sweep (it writes no event)
            app.run_sweep()
            await settle(pilot)
            expected = breaching_or_at_risk(desk)
        assert expected > before
        assert live == expected
        assert breaching_view_count(app) == expected


@run_async
async def test_sort_key_cycles_the_orders(desk):
    app = make_app(desk)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        with session_scope(desk) as s:
            rows = s.execute(select(Ticket.id, Ticket.priority, Ticket.resolution_due_at, Ticket.updated_at)
                             .where(Ticket.status.in_(ACTIVE))).all()
        await pilot.press("j", "j", "S")
        await settle(pilot)
        assert screen.sort == "priority" and view.cursor == 0
        priorities = [next(r.priority for r in rows if r.id == i) for i in view.ids]
        assert priorities == sorted(priorities)
        await pilot.press("S")
        await settle(pilot)
        assert screen.sort == "updated"
        assert list(view.ids) == [r.id for r in sorted(rows, key=lambda r: (r.updated_at, r.id), reverse=True)]
        assert "Upd▼" in line_text(view, 0)


@run_async
async def test_the_status_line_says_what_a_status_filter_shows(desk):
    """Issue 15.4: "All open 35" was shown for resolved tickets; `-status:pending` keeps the active default."""
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        status = screen.query_one("StatusLine")
        assert status.note.startswith(f"All open {len(view.ids)}")
        await pilot.press("slash")
        await type_text(pilot, "status:resolved\n")
        await settle(pilot)
        assert view.ids and all(record(desk, i).status == "resolved" for i in view.ids)
        assert status.note.startswith(f"Filtered: resolved {len(view.ids)}") and "All open" not in status.note
        await pilot.press("slash")  # the field's text is selected: typing replaces it
        await type_text(pilot, "-status:pending\n")
        await settle(pilot)
        assert view.ids and {record(desk, i).status for i in view.ids} <= {"new", "open"}
        assert status.note.startswith(f"Filtered: new, open {len(view.ids)}")


@run_async
async def test_an_unknown_name_in_the_filter_is_said_inline_with_the_closest(desk):
    """Issue 15.5: `assignee:nobodyhere` used to match nothing without a word."""
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        await pilot.press("slash")
        await type_text(pilot, "assignee:akahn\n")
        await settle(pilot)
        error = screen.query_one("#filter-error")
        assert not error.has_class("-hidden")
        assert "assignee:akahn matches no analyst; closest: akhan (Amira Khan)" in str(error.render())
        assert list(view.ids) == []
        # Fixed, the message goes and the list shows akhan's tickets.
        await pilot.press("slash")  # the field's text is selected: typing replaces it
        await type_text(pilot, "assignee:akhan\n")
        await settle(pilot)
        assert error.has_class("-hidden")
        assert screen.filter_text == "assignee:akhan", screen.filter_text
        assert view.ids and all(record(desk, i).assignee == "akhan" for i in view.ids)


@run_async
async def test_taking_another_analysts_ticket_asks_and_says_whose_it_was(desk):
    """Issue 15.6: `t` on akhan's ticket used to reassign it without a word."""
    from deskui.tui.screens.bulk import ConfirmModal

    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        theirs = next(i for i in view.ids if record(desk, i).assignee == "akhan")
        view.move_cursor(list(view.ids).index(theirs))
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == f"#{theirs} is assigned to akhan. Take it from them?"
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and record(desk, theirs).assignee == "akhan"
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert record(desk, theirs).assignee == "demo"
        assert any("took from akhan: 1 ticket" in n.message for n in app._notifications)
        # Marked with an unassigned one: one question names the other analyst's tickets only.
        free = next(i for i in view.ids if not record(desk, i).assignee)
        other = next(i for i in view.ids if record(desk, i).assignee == "akhan")
        view.marks.update({free, other})
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == f"1 of the 2 tickets is assigned to someone else (#{other} akhan). Take all 2?"
        await pilot.press("y")
        await settle(pilot)
        assert record(desk, free).assignee == "demo" and record(desk, other).assignee == "demo"


@run_async
async def test_taking_unassigned_or_own_tickets_asks_nothing(desk):
    from deskui.tui.screens.bulk import ConfirmModal

    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        free = next(i for i in view.ids if not record(desk, i).assignee)
        view.move_cursor(list(view.ids).index(free))
        await pilot.press("t")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert record(desk, free).assignee == "demo"
