"""The ticket detail screen: header, SLA bars and timeline, conversation, history.

The screen reads the ticket (deskui.reads.ticket, in a worker) and hands that
reading down by data binding; its features are layers of keys around its body
(deskui.tui.widgets.key_layer), each owning its bindings, actions and palette
commands: the analyst's actions, operations (problems, requests, bulletins,
routing), knowledge, and satisfaction. The operations panel and the knowledge
suggestions follow the screen's readings; nothing polls.

Every change a feature asks for (a ``TicketChange`` message) runs here, in a
worker, with the version the analyst saw: a ``ConflictError`` shows who changed
what, reloads, and keeps the analyst's unsent draft (DESIGN.md §3). A failure
is one line and the screen keeps running (deskui.tui.workers).
"""

from __future__ import annotations

import threading
from typing import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import ScrollableContainer, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, DeskError
from deskui.reads.drafts import ticket_drafts
from deskui.reads.failures import one_line
from deskui.reads.ticket import TicketView, last_event_id, ticket_view
from deskui.services import drafts as drafts_svc
from deskui.store.records import TicketRecord
from deskui.tui.screens.fresh import FreshOnFirstResume
from deskui.tui.palette import CommandListProvider
from deskui.tui.widgets.bulletin_banner import BulletinBanner
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine
from deskui.tui.widgets.ticket_actions import (
    ACTION_KEYS, DRAFT_NAMES, DRAFT_TYPES, TicketActions, draft_fields, draft_from_fields,
)
from deskui.tui.widgets.ticket_conflict import ConflictBanner, describe_changes
from deskui.tui.widgets.ticket_conversation import Conversation
from deskui.tui.widgets.ticket_mail import MailLog
from deskui.tui.widgets.ticket_feature import DraftKept, PaletteCommand, ReloadTicket, TicketChange, TicketFeature
from deskui.tui.widgets.ticket_header import TicketHeader
from deskui.tui.widgets.ticket_history import TicketHistory
from deskui.tui.widgets.ticket_kb_keys import TicketKnowledgeKeys
from deskui.tui.widgets.ticket_ops import OpsPanel
from deskui.tui.widgets.ticket_ops_keys import TicketOpsKeys
from deskui.tui.widgets.ticket_sla import SlaBars, SlaTimeline
from deskui.tui.widgets.ticket_suggestions import TicketSuggestions
from deskui.tui.widgets.ticket_survey import TicketSurveyKeys
from deskui.tui.workers import db_work, run_db

# Draft writes run one at a time, in the order they were asked for (see _store_draft).
_DRAFT_WRITES = threading.Lock()

# Below this width the two columns stack into one scroll.
NARROW_WIDTH = 120
# From this width the side column (knowledge, SLA timeline, history) gets half the
# screen: the conversation reads no better beyond ~100 columns, the side lines then
# fit without wrapping.
WIDE_WIDTH = 180
#: The features in the order the palette lists their commands.
PALETTE_ORDER = (TicketActions, TicketOpsKeys, TicketKnowledgeKeys, TicketSurveyKeys)


class TicketCommands(CommandListProvider):
    """The ticket screen's actions in the command palette."""

    def _commands(self):
        screen = self.screen
        return screen.palette_commands() if isinstance(screen, TicketScreen) else []


class TicketScreen(FreshOnFirstResume, Screen):
    """One ticket. Open it with ``app.push_screen(TicketScreen(ticket_id))``."""

    COMMANDS = {TicketCommands}
    # The first focusable of these: the one scroll when narrow, the conversation when wide.
    AUTO_FOCUS = "#ticket-columns, #ticket-main"

    DEFAULT_CSS = """
    TicketScreen { layout: vertical; }
    TicketScreen #ticket-columns { height: 1fr; layout: horizontal; overflow: hidden hidden; }
    TicketScreen #ticket-main { width: 3fr; height: 100%; }
    TicketScreen #ticket-side { width: 2fr; height: 100%; border-left: vkey $primary 30%; }
    TicketScreen #ticket-columns.-wide > VerticalScroll { width: 1fr; }
    TicketScreen #ticket-columns.-narrow { layout: vertical; overflow-y: auto; }
    TicketScreen #ticket-columns.-narrow > VerticalScroll { width: 100%; height: auto; border-left: none; }
    TicketScreen .section-title { text-style: bold; color: $accent; padding: 0 1; margin-top: 1; }
    TicketScreen #drafts-line { height: auto; padding: 0 1; background: $warning 15%; display: none; }
    TicketScreen #drafts-line.-shown { display: block; }
    TicketScreen SlaBars { background: $boost; border-bottom: solid $primary 40%; }
    """

    #: The ticket as last read (the features and panels are bound to it).
    view: var[TicketView | None] = var(None, always_update=True)
    #: Why the ticket could not be read, once it could not.
    load_error: var[str] = var("")
    #: Unsent drafts by kind ("compose", "resolve", ...), a new dict at each change.
    drafts: var[dict] = var(dict, always_update=True, init=False)

    class Loaded(Message):
        def __init__(self, view: TicketView) -> None:
            super().__init__()
            self.view = view

    class ActionDone(Message):
        def __init__(self, key: str, label: str) -> None:
            super().__init__()
            self.key = key
            self.label = label

    class ActionFailed(Message):
        def __init__(self, key: str, error: str) -> None:
            super().__init__()
            self.key = key
            self.error = error

    class ActionConflict(Message):
        def __init__(self, key: str, error: ConflictError, seen: TicketRecord) -> None:
            super().__init__()
            self.key = key
            self.error = error
            self.seen = seen

    class DraftsRead(Message):
        """The analyst's drafts on this ticket as stored (key -> dialog value)."""

        def __init__(self, drafts: dict) -> None:
            super().__init__()
            self.drafts = drafts

    class LiveCheck(Message):
        """What the live check found: ``changed``, or the line it failed with."""

        def __init__(self, changed: bool, failure: str = "") -> None:
            super().__init__()
            self.changed, self.failure = changed, failure

    def __init__(self, ticket_id: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.saving = False
        # version -> newest event id seen at that version, to tell what changed since.
        self._seen_events: dict[int, int] = {}
        # A conflict waiting for the reload that shows what the others did.
        self._conflict: tuple[str, list[str], str, int] | None = None
        self._live_check_failing = False
        # Draft key -> how many writes of it were asked for; only the newest one runs.
        self._draft_writes: dict[str, int] = {}

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        tid = self.ticket_id
        bound = (TicketScreen.view, TicketScreen.load_error)
        # Outermost first: ? and the footer list the innermost layer's keys first (actions, ops, survey, kb).
        with TicketKnowledgeKeys(tid).data_bind(*bound):
            with TicketSurveyKeys(tid).data_bind(*bound):
                with TicketOpsKeys(tid).data_bind(*bound):
                    with TicketActions(tid).data_bind(*bound, TicketScreen.drafts):
                        yield BulletinBanner()
                        yield ConflictBanner(id="conflict")
                        yield TicketHeader(id="ticket-header")
                        yield SlaBars(id="sla-bars")
                        yield OpsPanel(tid).data_bind(ticket_view=TicketScreen.view)
                        with ScrollableContainer(id="ticket-columns"):
                            with VerticalScroll(id="ticket-main"):
                                yield Conversation(id="conversation")
                                yield MailLog(id="mail-log")
                            with VerticalScroll(id="ticket-side"):
                                yield Static(Content("Knowledge (f)"), classes="section-title")
                                yield TicketSuggestions(tid).data_bind(ticket_view=TicketScreen.view)
                                yield Static(Content("SLA timeline (business time; times in the calendar's zone)"),
                                             classes="section-title")
                                yield SlaTimeline(id="sla-timeline")
                                yield Static(Content("History (UTC)"), classes="section-title")
                                yield TicketHistory(id="history")
                        yield Static("", id="drafts-line")
                        yield StatusLine(id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.query_one(TicketHeader).update(Content.styled(f"Loading #{self.ticket_id}…", "italic"))
        self._apply_width(self.app.size.width)
        self.reload()
        self._read_drafts(self.app.desk.engine, self.app.desk.actor.id, self.ticket_id)
        seconds = getattr(self.app.desk, "live_refresh_seconds", 0) or 0
        if seconds > 0:
            self.set_interval(seconds, self._poll_changes, name="ticket-live")

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        narrow = width < NARROW_WIDTH
        columns = self.query_one("#ticket-columns")
        columns.set_class(narrow, "-narrow")
        columns.set_class(width >= WIDE_WIDTH, "-wide")
        columns.can_focus = narrow
        for scroller in self.query("#ticket-columns > VerticalScroll"):
            scroller.can_focus = not narrow
        # Only a resize can leave focus on a scroll that no longer takes it.
        if self.focused is not None and not self.focused.can_focus:
            (columns if narrow else self.query_one("#ticket-main")).focus()

    def feature(self, kind: type[TicketFeature]) -> TicketFeature:
        return self.query_one(kind)

    # ------------------------------------------------------------ loading

    def reload(self) -> None:
        self._load(self.app.desk.engine, self.ticket_id)

    @on(ReloadTicket)
    def _reload_asked(self, message: ReloadTicket) -> None:
        message.stop()
        self.reload()

    @db_work(group="ticket-load", exclusive=True, on_failure="_load_failed")
    def _load(self, engine, ticket_id: int) -> None:
        view = ticket_view(engine, ticket_id)
        # A newer load replaced this one: drop the stale result.
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(view))

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        previous = self.view
        view = message.view
        self.load_error = ""
        self.view = view
        ticket = view.ticket
        self._seen_events[ticket.version] = max(self._seen_events.get(ticket.version, 0), view.last_event_id)
        conflict, self._conflict = self._conflict, None
        if conflict is not None:
            error_text, changes, hint, since = conflict
            me = self.app.desk.actor.username
            theirs = [e for e in view.events if e.id > since and e.actor != me]
            self.query_one(ConflictBanner).show_conflict(error_text, changes, hint, theirs)
        self.query_one(TicketHeader).show(ticket)
        self.query_one(SlaBars).show(view.sla, view.sla_lines[0] if view.sla_lines else "no SLA policy")
        self.query_one(SlaTimeline).show(view.sla_lines)
        self.query_one(TicketHistory).show(view.events)
        self.query_one(MailLog).show(view.mail, view.requester_bounce)
        await self.query_one(Conversation).show(ticket.description, ticket.requester_name or ticket.requester_email,
                                                ticket.created_at, view.comments, view.from_requester)
        self.sub_title = f"{ticket.number} {ticket.subject}"
        self.query_one(StatusLine).note = f"{ticket.number} · {ticket.status} · v{ticket.version}"
        if (previous is not None and previous.ticket.version != ticket.version and not self.saving
                and conflict is None):
            who = ticket.updated_by or "someone"
            if who != self.app.desk.actor.username:
                self.notify(f"{ticket.number} was updated by {who}", markup=False)

    def _load_failed(self, line: str) -> None:
        """The ticket could not be read: the header says why (the notice too)."""
        self.load_error = line
        self.query_one(TicketHeader).update(Content.styled(line, "bold $error"))

    def _poll_changes(self) -> None:
        if self.view is not None and not self.saving:
            self._check_changed(self.app.desk.engine, self.ticket_id, self.view.last_event_id)

    @db_work(group="ticket-poll", exclusive=True)
    def _check_changed(self, engine, ticket_id: int, seen: int) -> None:
        try:
            latest = last_event_id(engine, ticket_id)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again; LiveCheck says so once
            self.post_message(self.LiveCheck(False, one_line(exc)))
            return
        self.post_message(self.LiveCheck(latest != seen))

    @on(LiveCheck)
    def _live_checked(self, message: LiveCheck) -> None:
        if message.failure:
            if not self._live_check_failing:
                self.notify(f"Live updates paused: {message.failure}", severity="warning", markup=False)
            self._live_check_failing = True
            return
        self._live_check_failing = False
        if message.changed:
            self.reload()

    # ------------------------------------------------------------ running changes

    @on(TicketChange)
    def _change_asked(self, message: TicketChange) -> None:
        """Run a service call in a worker with the version the analyst saw when starting
        the action (``seen``), so a change made meanwhile is a conflict, not overwritten."""
        message.stop()
        if message.draft is not None:
            self._keep_draft(message.key, message.draft)
        if self.saving:
            self.notify("Still saving the previous change; try again in a moment.", severity="warning")
            return
        self.saving = True
        self._run_change(message.key, message.label, message.call, message.seen)

    def _run_change(self, key: str, label: str, call: Callable[[int], object], seen: TicketRecord) -> None:
        def change() -> None:
            try:
                call(seen.version)
            except ConflictError as exc:
                self.post_message(self.ActionConflict(key, exc, seen))
            except (DeskError, WorkflowError) as exc:
                self.post_message(self.ActionFailed(key, str(exc)))
            else:
                self.post_message(self.ActionDone(key, label))

        # Anything else (the database busy, gone) is one line from the worker, titled "Not saved".
        run_db(self, change, group="ticket-action", what="Not saved", on_failure=lambda _line: self._change_lost(key))

    def _change_lost(self, key: str) -> None:
        self.saving = False
        if key in DRAFT_NAMES and key in self.drafts:
            name, again = DRAFT_NAMES[key]
            self.notify(f"Your {name} is kept: press {again} to edit it.", severity="warning", markup=False)
        self.reload()

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        self.saving = False
        self._forget_draft(message.key)
        self.query_one(ConflictBanner).hide()
        self.notify(message.label, markup=False)
        self.reload()

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.saving = False
        hint = ""
        if message.key in DRAFT_NAMES and message.key in self.drafts:
            name, key = DRAFT_NAMES[message.key]
            hint = f" Your {name} is kept: press {key} to edit it."
        self.notify(message.error + hint, title="Not saved", severity="error", markup=False)
        self.reload()

    @on(ActionConflict)
    def _action_conflict(self, message: ActionConflict) -> None:
        self.saving = False
        error = message.error
        changes = describe_changes(message.seen, error.fresh) if error.fresh is not None else []
        if message.key in DRAFT_NAMES and message.key in self.drafts:
            name, key = DRAFT_NAMES[message.key]
            hint = f"Your {name} draft is kept: press {key} to review it against the new state and send again."
        else:
            key = ACTION_KEYS.get(message.key, "")
            hint = f"Nothing was changed by you: press {key} to try again." if key else ""
        self.query_one(ConflictBanner).show_conflict(str(error), changes, hint)
        self.notify(str(error), title="Conflict", severity="warning", markup=False)
        # The reload adds what the others did since the version this action started from.
        self._conflict = (str(error), changes, hint, self._seen_events.get(message.seen.version, 0))
        self.reload()

    # ------------------------------------------------------------ drafts

    # Drafts are kept in the database too (deskui.services.drafts), per analyst, ticket
    # and kind: they outlive this screen and the app until sent or discarded.

    @db_work(group="ticket-drafts-read", what="Reading your drafts")
    def _read_drafts(self, engine, analyst_id: int | None, ticket_id: int) -> None:
        stored = ticket_drafts(engine, analyst_id, ticket_id)
        found = {key: draft_from_fields(key, fields) for key, fields in stored.items()}
        self.post_message(self.DraftsRead({key: value for key, value in found.items() if value is not None}))

    @on(DraftsRead)
    def _drafts_read(self, message: DraftsRead) -> None:
        # What was kept on this screen meanwhile is newer than what was stored.
        stored = {k: v for k, v in message.drafts.items() if k not in self.drafts and k not in self._draft_writes}
        if stored:
            self.drafts = {**self.drafts, **stored}

    @on(DraftKept)
    def _draft_kept(self, message: DraftKept) -> None:
        message.stop()
        if message.value is None:
            self._forget_draft(message.key)
        else:
            self._keep_draft(message.key, message.value)

    def _keep_draft(self, key: str, value: object) -> None:
        self.drafts = {**self.drafts, key: value}
        self._store_draft(key, value)

    def _forget_draft(self, key: str) -> None:
        if key in self.drafts:
            self.drafts = {k: v for k, v in self.drafts.items() if k != key}
        self._store_draft(key, None)

    def _store_draft(self, key: str, value: object | None) -> None:
        """Save (or, for None, delete) the stored draft in a worker. Writes run one at a
        time; one that a newer write of the same draft overtook does nothing."""
        engine, actor, ticket_id = self.app.desk.engine, self.app.desk.actor, self.ticket_id
        if key not in DRAFT_TYPES or actor.id is None:
            return
        turn = self._draft_writes[key] = self._draft_writes.get(key, 0) + 1
        fields = draft_fields(value) if value is not None else None

        def write() -> None:
            with _DRAFT_WRITES:
                if self._draft_writes.get(key) != turn:
                    return
                if fields is None:
                    drafts_svc.discard_draft(engine, actor, ticket_id, key)
                else:
                    drafts_svc.save_draft(engine, actor, ticket_id, key, fields)

        # The app's worker: leaving the ticket must not cancel the write.
        run_db(self.app, write, group="ticket-drafts", what=f"Your {DRAFT_NAMES[key][0]} draft was not stored")

    def watch_drafts(self, drafts: dict) -> None:
        line = self.query_one("#drafts-line", Static)
        kept = [f"{DRAFT_NAMES[k][0]} ({DRAFT_NAMES[k][1]})" for k in DRAFT_NAMES if k in drafts]
        line.update(Content.assemble(("Unsent drafts: ", "bold"), ", ".join(kept)) if kept else "")
        line.set_class(bool(kept), "-shown")

    # ------------------------------------------------------------ command palette

    def palette_commands(self) -> list[PaletteCommand]:
        """(name, help, callback) for every action of every feature; collected by the palette provider."""
        return [command for kind in PALETTE_ORDER for command in self.feature(kind).palette_commands()]
