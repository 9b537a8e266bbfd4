"""The live queue (DESIGN.md §4, §5): saved views, the `/` filter, sorts,
marks and bulk actions over a virtual list of every matching ticket.

Work that touches the database runs in thread workers and comes back as
messages tagged with a generation number, so a stale answer (the filter
changed meanwhile) is dropped. The live refresh asks one cheap question
(the newest event id) and only then re-reads; it reschedules itself after it
finishes, so refreshes never overlap.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from deskui.domain.permissions import Action
from deskui.tui.keymap import QUEUE_BINDINGS
from deskui.tui.permissions import PermissionGate
from deskui.reads.queue import SORTS, QueryError, QueueQuery, QueueSource, id_array, shown_label
from deskui.reads.failures import one_line
from deskui.tui.screens.queue_bulk import BulkActions
from deskui.tui.screens.queue_messages import BulkDone, CountsRead, IdsRead, Refreshed, MessageSink
from deskui.tui.widgets.queue_view import PAGE_SIZE, QueueView
from deskui.tui.widgets.saved_views import SavedViews, views_from_settings
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine
from deskui.tui.screens.queue_ops import QUEUE_OPS_BINDINGS, QueueOpsActions  # issue 7: problems, bulletins
from deskui.tui.widgets.bulletin_banner import BulletinBanner  # issue 7

_POST_EVERY = 65536  # ids per IdsRead while a long list is read (512 KB)
SORT_LABELS = {"sla": "SLA due", "priority": "priority", "updated": "last update", "created": "creation"}


class QueueScreen(PermissionGate, QueueOpsActions, Screen):
    """The analyst's queue."""

    BINDINGS = QUEUE_BINDINGS + QUEUE_OPS_BINDINGS
    PERMISSIONS = {"take": Action.TAKE, "assign": Action.REASSIGN, "status": Action.STATUS,
                   "new_problem": Action.PROBLEMS, "link_bulletin": Action.LINK}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    #: What the SLA column says (deskui.reads.queue_rows.sla_cell), shown by ? under the keys.
    HELP_LEGEND = (
        ("SLA column", "business time left to the ticket's next SLA target"),
        ("r45m", "r: that target is the first response (the response target)"),
        ("3h05m", "no r: the resolution target"),
        ("-2d04h", "minus: overdue by that much business time"),
        ("paused", "pending: the resolution clock is stopped"),
        ("met missed", "resolved: how its SLA ended"),
        ("colour", "green ok, amber at risk, red breached, grey paused, blue met"),
    )

    class FirstPagePainted(Message):
        """The first page of the queue is on screen (a start-time probe; bubbles to the app)."""

    def __init__(self) -> None:
        super().__init__(id="queue-screen")
        self.sort = "sla"
        self.filter_text = ""
        self.view_index = 0
        self.views = []
        self._generation = 0
        self._last_event_id: int | None = None
        self._refreshing = False
        self._refresh_again = False
        self._refresh_timer = None
        self._filter_timer = None
        self._done_reading = False
        self._total: int | None = None
        self._first_painted = False
        self._names_shown = False
        self.source: QueueSource | None = None
        self.views = []
        self._warnings: list[str] = []
        self._sink: MessageSink | None = None
        self.bulk = BulkActions(self)

    # ------------------------------------------------------------ layout

    def _setup(self) -> None:
        if self.source is None:
            desk = self.app.desk
            self.views, self._warnings = views_from_settings(getattr(desk.settings, "raw", {}))
            self.source = QueueSource(desk.engine, desk.actor.id)

    def start_loading(self) -> None:
        """Start reading the first page before the screen is even mounted (the
        app calls this as it starts, so the query overlaps Textual's own start).
        Answers wait in a sink until on_mount."""
        self._setup()
        self._sink = MessageSink()
        self.reload(keep_cursor=False)

    def compose(self) -> ComposeResult:
        self._setup()
        # The breakpoint class now, not at the first resize: changing it then
        # restyles every widget of the screen once more.
        wide = self.app.size.width >= 120
        self.set_class(wide, "-wide", update=False)
        self.set_class(not wide, "-narrow", update=False)
        # Its first read waits for the first page: bulletins need the models (_load_the_rest).
        yield BulletinBanner(poll_on_mount=False)
        with Container(id="queue-body"):
            yield SavedViews(self.views, id="views")
            with Vertical(id="queue-main"):
                yield Input(placeholder="filter: status:open priority:1,2 assignee:me|none sla:breached vpn …",
                            id="filter", classes="-hidden")
                yield Static("", id="filter-error", classes="-hidden", markup=False)
                yield QueueView(self.source.rows, id="queue")
        yield StatusLine(id="status")
        yield KeyHints()

    @property
    def view(self) -> QueueView:
        return self.query_one("#queue", QueueView)

    @property
    def desk(self):
        return self.app.desk

    def on_mount(self) -> None:
        for warning in self._warnings:
            self.notify(warning, severity="warning", markup=False)
        self.view.focus()
        if self._sink is not None:
            self._sink.attach(self)
        else:
            self.reload(keep_cursor=False)
        self._update_note()

    def on_screen_resume(self) -> None:
        # Back from a ticket: show what changed at once, not at the next tick.
        if self._done_reading:
            self.refresh_queue()

    # ------------------------------------------------------------ queries

    def query_text(self) -> str:
        return f"{self.views[self.view_index].query} {self.filter_text}".strip()

    def _compile(self, filter_text: str | None = None) -> QueueQuery:
        """The current view narrowed by the filter; raises QueryError."""
        text = self.filter_text if filter_text is None else filter_text
        return self.source.compile(self.views[self.view_index].query, text)

    def reload(self, *, keep_cursor: bool, where: QueueQuery | None = None) -> None:
        """Read the ids for the current view, filter and sort (``where``: the
        compiled query, when the caller has it already)."""
        if where is None:
            try:
                where = self._compile()
            except QueryError as exc:
                self._show_error(exc)
                return
        self._generation += 1
        self._done_reading = False
        self._total = None
        if self.is_mounted:
            self._update_note()
        post = self.post_message if self.is_mounted or self._sink is None else self._sink.post
        self.run_worker(partial(self._read_ids, self._generation, where, self.sort, keep_cursor, post),
                        thread=True, exclusive=True, group="queue-ids", name="queue ids", exit_on_error=False)

    def _read_ids(self, generation: int, where: QueueQuery, sort: str, keep_cursor: bool,
                  post: Callable[[Message], object]) -> None:
        worker = get_current_worker()
        source = self.source
        try:
            # The marker first: a change made while we read is seen by the next refresh.
            event_id = source.mark()
            if keep_cursor:
                ids = id_array()
                for chunk in source.stream_ids(where, sort):
                    if worker.is_cancelled:
                        return
                    ids.extend(chunk)
                post(IdsRead(generation, ids, replace=True, done=True, keep_cursor=True,
                             event_id=event_id, names=self._unknown_names(where)))
                return
            first = True
            pending = id_array()
            for chunk in source.stream_ids(where, sort, first=PAGE_SIZE):
                if worker.is_cancelled:
                    return
                if first:
                    # The first page is read with its rows, so the first paint is complete.
                    rows = source.rows(chunk)
                    post(IdsRead(generation, chunk, replace=True, done=False, rows=rows))
                    first = False
                    continue
                pending.extend(chunk)
                if len(pending) >= _POST_EVERY:
                    # The list grows on screen as it is read (a few messages, not one per batch).
                    post(IdsRead(generation, pending, replace=False, done=False))
                    pending = id_array()
            post(IdsRead(generation, pending, replace=first, done=True, event_id=event_id,
                         names=self._unknown_names(where)))
        except Exception as exc:
            post(IdsRead(generation, id_array(), replace=False, done=True, error=one_line(exc)))

    def _unknown_names(self, where: QueueQuery) -> str:
        """(Worker) The query's names that match nothing; a failure to ask is not the read's."""
        try:
            return self.source.check_names(where)
        except Exception:  # noqa: BLE001 - the list is read; only the hint is missing
            return ""

    def on_ids_read(self, message: IdsRead) -> None:
        if message.generation != self._generation:
            return
        view = self.view
        if message.error:
            self._show_error_text(f"could not read the queue: {message.error}")
            return
        if message.rows:
            view.patch_rows(message.rows)
        if message.replace:
            view.set_ids(message.ids, keep_cursor=message.keep_cursor, loaded=message.done or bool(message.ids))
        elif len(message.ids):
            view.extend_ids(message.ids)
        if not self._first_painted and (message.rows or message.done):
            self._first_painted = True
            self.call_after_refresh(self._after_first_paint)
        if message.done:
            self._show_names(message.names)
            view.loaded = True
            view.prune_marks()
            view.refresh()
            self._done_reading = True
            self._total = len(view.ids)
            if message.event_id is not None:
                self._last_event_id = message.event_id
            self._update_note()
            # After the frame: eight COUNTs in a thread would slow its painting.
            self.call_after_refresh(self.load_counts)
            self._schedule_refresh()

    def _after_first_paint(self) -> None:
        """The first page is on screen: now the work that could wait for it."""
        self.post_message(self.FirstPagePainted())
        self.call_later(self._load_the_rest)

    def _load_the_rest(self) -> None:
        # The models and the ticket screen load in the background while the
        # analyst reads the first page, so the first ticket opens at once; the
        # bulletins are read after that (on_worker_state_changed), not in a
        # second thread importing the same modules at the same time.
        self.run_worker(_warm_up, thread=True, group="warm-up", name="warm up", exit_on_error=False)

    # ------------------------------------------------------------ live refresh

    def _schedule_refresh(self) -> None:
        seconds = self.desk.live_refresh_seconds
        if seconds and seconds > 0 and self._refresh_timer is None and not self._refreshing:
            self._refresh_timer = self.set_timer(seconds, self._on_refresh_timer)

    def _on_refresh_timer(self) -> None:
        self._refresh_timer = None
        self.refresh_queue()

    def refresh_queue(self, force: bool = False) -> None:
        """Re-read if anything changed (always, with ``force``); keeps cursor and marks."""
        if self._refreshing or not self._done_reading:
            self._refresh_again = self._refresh_again or force or self._refreshing
            return
        try:
            where = self._compile()
        except QueryError:
            return
        if self._refresh_timer is not None:
            self._refresh_timer.stop()
            self._refresh_timer = None
        self._refreshing = True
        cached = self.view.cached_ids()
        self.run_worker(
            partial(self._refresh, self._generation, where, self.sort, self._last_event_id, cached, force),
            thread=True, group="queue-refresh", name="queue refresh", exit_on_error=False,
        )

    def _refresh(self, generation: int, where: QueueQuery, sort: str, last: int | None, cached: frozenset,
                 force: bool) -> None:
        source = self.source
        try:
            latest = source.mark()
            if not force and last is not None and latest == last:
                self.post_message(Refreshed(generation, changed=False))
                return
            changed = None if force or last is None else source.changed_since(last, latest)
            ids = source.ids(where, sort)
            stale = list(cached) if changed is None else [i for i in changed if i in cached]
            rows = []
            for start in range(0, len(stale), 500):
                rows.extend(source.rows(stale[start:start + 500]))
            counts = source.counts([view.query for view in self.views])
            self.post_message(Refreshed(generation, True, ids, rows, latest, counts))
        except Exception as exc:
            self.post_message(Refreshed(generation, False, error=one_line(exc)))

    def on_refreshed(self, message: Refreshed) -> None:
        self._refreshing = False
        if message.error:
            self.notify(f"refresh failed: {message.error}", severity="error", markup=False)
        if message.changed:
            if message.counts is not None:
                self._apply_counts(message.counts)
            if message.generation == self._generation and message.ids is not None:
                view = self.view
                view.patch_rows(message.rows)
                view.set_ids(message.ids, keep_cursor=True)
                view.prune_marks()
                self._last_event_id = message.event_id
                self._total = len(message.ids)
                self._update_note()
        if self._refresh_again:
            self._refresh_again = False
            self.refresh_queue(force=True)
        else:
            self._schedule_refresh()

    # ------------------------------------------------------------ counts

    def load_counts(self) -> None:
        """Counts of every saved view, then at-risk and breached (thread)."""
        queries = [view.query for view in self.views]

        def work() -> None:
            try:
                self.post_message(CountsRead(self.source.counts(queries)))
            except Exception as exc:
                self.post_message(CountsRead([]))
                self.app.call_from_thread(self.notify, f"counts failed: {one_line(exc)}", severity="error",
                                          markup=False)

        self.run_worker(work, thread=True, exclusive=True, group="queue-counts", name="view counts",
                        exit_on_error=False)

    def on_counts_read(self, message: CountsRead) -> None:
        if message.counts:
            self._apply_counts(message.counts)

    def _apply_counts(self, counts: list) -> None:
        n = len(self.views)
        self.query_one(SavedViews).counts = tuple(counts[:n])
        if hasattr(self.app, "live_counts") and len(counts) >= n + 2:
            self.app.live_counts = (counts[n], counts[n + 1])

    # ------------------------------------------------------------ the filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter" and self.app.is_typing():
            return False  # "/" types into the field (category:network/vpn)
        return super().check_action(action, parameters)

    def action_filter(self) -> None:
        field_ = self.query_one("#filter", Input)
        field_.remove_class("-hidden")
        # Focus now, not later (Widget.focus is deferred): "/vpn⏎" typed in one
        # go must land in the field, not open the ticket under the cursor.
        field_.display = True
        self.set_focus(field_)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        # Search as you type, after a short pause.
        self._filter_timer = self.set_timer(0.3, partial(self.apply_filter, event.value))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.apply_filter(event.value):
            if not event.value.strip():
                event.input.add_class("-hidden")
            self.view.focus()

    def apply_filter(self, text: str) -> bool:
        """Use ``text`` as the filter; a bad query shows a message and changes nothing."""
        self._filter_timer = None
        try:
            where = self._compile(text)
        except QueryError as exc:
            self._show_error(exc)
            return False
        self._clear_error()
        if text.strip() != self.filter_text:
            self.filter_text = text.strip()
            self.reload(keep_cursor=False, where=where)
        return True

    def _show_names(self, names: str) -> None:
        """Say which names of the query match nothing (a typo would list nothing without a word)."""
        if names:
            self._show_error_text(f"⚠ {names}")
        elif self._names_shown:
            self._clear_error()
        self._names_shown = bool(names)

    def _show_error(self, exc) -> None:
        position = getattr(exc, "position", None)
        where = f"at {position + 1}: " if isinstance(position, int) and self.filter_text is not None else ""
        self._show_error_text(f"⚠ {where}{getattr(exc, 'message', str(exc))}")

    def _show_error_text(self, text: str) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(Text(text))
        error.remove_class("-hidden")

    def _clear_error(self) -> None:
        error = self.query_one("#filter-error", Static)
        if not error.has_class("-hidden"):  # update() lays out the screen: only when shown
            error.update("")
            error.add_class("-hidden")

    def action_clear(self) -> None:
        """esc: leave the filter field, else clear the filter, else clear the marks."""
        field_ = self.query_one("#filter", Input)
        if field_.has_focus:
            if self.filter_text or field_.value:
                field_.value = ""
                self._clear_error()
                if self._filter_timer is not None:
                    self._filter_timer.stop()
                    self._filter_timer = None
                if self.filter_text:
                    self.filter_text = ""
                    self.reload(keep_cursor=True)
            field_.add_class("-hidden")
            self.view.focus()
        elif self.filter_text:
            field_.value = ""
            field_.add_class("-hidden")
            self._clear_error()
            self.filter_text = ""
            self.reload(keep_cursor=True)
        elif self.view.marks:
            self.view.clear_marks()
            self._update_note()
        else:
            self._clear_error()

    # ------------------------------------------------------------ views, sort

    def select_view(self, index: int) -> None:
        index %= len(self.views)
        if index == self.view_index:
            return
        self.view_index = index
        self.query_one(SavedViews).current = index
        self.reload(keep_cursor=False)

    @on(SavedViews.Selected)
    def _view_clicked(self, event: SavedViews.Selected) -> None:
        self.select_view(event.index)

    def action_next_view(self) -> None:
        self.select_view(self.view_index + 1)

    def action_previous_view(self) -> None:
        self.select_view(self.view_index - 1)

    def action_cycle_sort(self) -> None:
        self.set_sort(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])

    def set_sort(self, sort: str) -> None:
        if sort == self.sort:
            return
        self.sort = sort
        self.view.sort = sort
        self.view.refresh()
        # A new order is read from its top (what the analyst asked to see first).
        self.reload(keep_cursor=False)
        self.notify(f"sorted by {SORT_LABELS[sort]}", timeout=2)

    def action_refresh(self) -> None:
        self.refresh_queue(force=True)

    # ------------------------------------------------------------ cursor, marks

    def action_cursor_down(self) -> None:
        self.view.move_by(1)

    def action_cursor_up(self) -> None:
        self.view.move_by(-1)

    def action_cursor_first(self) -> None:
        self.view.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.view.move_cursor(len(self.view.ids) - 1)

    def action_half_page_down(self) -> None:
        self.view.page(0.5)

    def action_half_page_up(self) -> None:
        self.view.page(-0.5)

    def action_page_down(self) -> None:
        self.view.page(1)

    def action_page_up(self) -> None:
        self.view.page(-1)

    def action_mark(self) -> None:
        self.view.toggle_mark()
        self.view.move_by(1)
        self._update_note()

    def action_open_ticket(self) -> None:
        ticket_id = self.view.cursor_id
        if ticket_id is not None:
            self.app.open_ticket(ticket_id)

    @on(QueueView.Activated)
    def _activated(self, event: QueueView.Activated) -> None:
        self.app.open_ticket(event.ticket_id)

    def _update_note(self) -> None:
        view = self.views[self.view_index] if self.views else None
        if view is None:
            return
        total = "…" if self._total is None else f"{self._total:,}"
        parts = [f"{shown_label(view.name, view.query, self.filter_text)} {total}", f"sort {SORT_LABELS[self.sort]}"]
        marks = len(self.view.marks) if self.is_mounted else 0
        if marks:
            parts.append(f"{marks} marked")
        self.query_one(StatusLine).note = " · ".join(parts)

    # ------------------------------------------------------------ bulk actions

    def targets(self) -> list[int]:
        """Marked tickets, or the one under the cursor."""
        view = self.view
        if view.marks:
            return sorted(view.marks)
        return [view.cursor_id] if view.cursor_id is not None else []

    def action_take(self) -> None:
        self.bulk.take()

    def action_assign(self) -> None:
        self.bulk.assign()

    def action_status(self) -> None:
        self.bulk.status()

    def on_bulk_done(self, message: BulkDone) -> None:
        self.bulk.report(message)
        self.view.marks.difference_update(message.done)
        self._update_note()
        self.refresh_queue(force=bool(message.failed))

    # ------------------------------------------------------------ palette, workers

    def palette_commands(self):
        """Extra command-palette entries (the bindings are listed too; the saved
        views are, from every screen, by deskui.tui.navigation)."""
        for sort in SORTS:
            yield f"Sort by {SORT_LABELS[sort]}", "Order the queue", partial(self.set_sort, sort)
        yield "Clear marks", "Unmark every ticket", self._clear_marks

    def _clear_marks(self) -> None:
        self.view.clear_marks()
        self._update_note()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "warm-up" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.query_one(BulletinBanner).poll()
        # Workers report their own errors as messages; this catches the unexpected.
        if event.state == WorkerState.ERROR:
            if event.worker.group == "queue-refresh":
                self._refreshing = False
                self._schedule_refresh()
            self.notify(f"{event.worker.name}: {one_line(event.worker.error)}", severity="error", markup=False)


def _warm_up() -> None:
    import deskui.reads.bulletins  # noqa: F401  (the banner's first read)
    import deskui.tui.screens.ticket  # noqa: F401
