"""The ticket detail screen: header, SLA bars and timeline, conversation, history, actions.

Everything that touches the database runs in a thread worker with its own
session and posts a message back (DESIGN.md §1, §8 Harlequin). Actions call the
services with the version the screen loaded; a ``ConflictError`` shows who
changed what, reloads, and keeps the analyst's unsent draft (DESIGN.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import OperationalError
from textual import on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from deskui.domain.enums import ACTIVE_STATUSES, Status
from deskui.domain.priority import PriorityMatrix
from deskui.domain.sla import SlaStatus
from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, DeskError
from deskui.services import tickets as svc
from deskui.services.sla import explain_ticket
from deskui.store.db import session_scope
from deskui.store.directory_queries import requester_comment_ids, ticket_last_event_id
from deskui.store.records import CommentRecord, EventRecord, TicketRecord
from deskui.store.tickets import comments, events, ticket_record
from deskui.tui.palette import CommandListProvider
from deskui.tui.screens.modals import (
    AssignChoice, AssignModal, CannedResponseModal, ComposeDraft, EditorError, EscalateDraft, EscalateModal,
    Outcome, PriorityDraft, PriorityModal, ReopenDraft, ReopenModal, ReplyModal, ResolveDraft, ResolveModal,
    StatusChoice, StatusModal, edit_in_editor,
)
from deskui.tui.widgets.ticket_conflict import ConflictBanner, describe_changes
from deskui.tui.widgets.ticket_conversation import Conversation
from deskui.tui.widgets.ticket_header import TicketHeader
from deskui.tui.widgets.ticket_history import TicketHistory
from deskui.tui.widgets.status_line import StatusLine
from deskui.tui.widgets.ticket_sla import SlaBars, SlaTimeline
from deskui.tui.screens.ticket_ops import TICKET_OPS_BINDINGS, OpsPanel, TicketOpsActions  # issue 7
from deskui.tui.screens.ticket_survey import SURVEY_BINDINGS, TicketSurveyActions  # issue 5: CSAT
from deskui.tui.widgets.bulletin_banner import BulletinBanner  # issue 7
from deskui.tui.widgets.ticket_suggestions import (  # issue 4
    TICKET_KB_BINDINGS, TicketKnowledgeActions, TicketSuggestions,
)

# Below this width the two columns stack into one scroll.
NARROW_WIDTH = 120
# From this width the side column (knowledge, SLA timeline, history) gets half the
# screen: the conversation reads no better beyond ~100 columns, the side lines then
# fit without wrapping.
WIDE_WIDTH = 180

# Draft key -> (what it is, the key that reopens it).
DRAFT_NAMES = {
    "compose": ("reply", "r"),
    "resolve": ("resolution", "x"),
    "reopen": ("reopen reason", "o"),
    "escalate": ("escalation", "e"),
    "priority": ("priority change", "p"),
}
ACTION_KEYS = {"assign": "a", "take": "t", "status": "s"}


@dataclass(frozen=True)
class TicketView:
    """Everything the screen shows, read in one worker call."""

    ticket: TicketRecord
    comments: tuple[CommentRecord, ...]
    events: tuple[EventRecord, ...]
    sla: SlaStatus | None
    sla_lines: tuple[str, ...]
    matrix: PriorityMatrix
    from_requester: frozenset[int] = frozenset()

    @property
    def last_event_id(self) -> int:
        return self.events[-1].id if self.events else 0


def load_ticket_view(engine, ticket_id: int) -> TicketView:
    with session_scope(engine) as session:
        ticket = ticket_record(session, ticket_id)
        thread = tuple(comments(session, ticket_id))
        history = tuple(events(session, ticket_id))
        matrix = svc.priority_matrix(session)
        external = requester_comment_ids(session, ticket_id)
    status, lines = explain_ticket(engine, ticket_id)
    return TicketView(ticket, thread, history, status, tuple(lines), matrix, external)


def last_event_id(engine, ticket_id: int) -> int:
    with session_scope(engine) as session:
        return ticket_last_event_id(session, ticket_id)


class TicketCommands(CommandListProvider):
    """The ticket screen's actions in the command palette."""

    def _commands(self):
        screen = self.screen
        return screen.palette_commands() if isinstance(screen, TicketScreen) else []


class TicketScreen(TicketKnowledgeActions, TicketOpsActions, TicketSurveyActions, Screen):
    """One ticket. Open it with ``app.push_screen(TicketScreen(ticket_id))``."""

    COMMANDS = {TicketCommands}
    # The first focusable of these: the one scroll when narrow, the conversation when wide.
    AUTO_FOCUS = "#ticket-columns, #ticket-main"

    BINDINGS = [
        Binding("r", "reply", "Reply", id="ticket.reply"),
        Binding("n", "note", "Note", id="ticket.note"),
        Binding("t", "take", "Take", id="ticket.take"),
        Binding("a", "assign", "Assign", id="ticket.assign"),
        Binding("s", "status", "Status", id="ticket.status"),
        Binding("e", "escalate", "Escalate", id="ticket.escalate"),
        Binding("x", "resolve", "Resolve", id="ticket.resolve"),
        Binding("o", "reopen", "Reopen", id="ticket.reopen"),
        Binding("p", "priority", "Priority", id="ticket.priority"),
        Binding("c", "canned", "Canned", id="ticket.canned"),
        Binding("ctrl+e", "editor", "$EDITOR", id="ticket.editor", show=False),
        Binding("f5,ctrl+r", "reload", "Reload", id="ticket.reload", show=False),
        Binding("escape,q", "back", "Back", id="ticket.back"),
        Binding("j", "scroll(1)", "Down", id="ticket.scroll_down", show=False),
        Binding("k", "scroll(-1)", "Up", id="ticket.scroll_up", show=False),
        Binding("g,home", "scroll_edge('home')", "Top", id="ticket.top", show=False),
        Binding("G,end", "scroll_edge('end')", "Bottom", id="ticket.bottom", show=False),
        *TICKET_OPS_BINDINGS,
        *SURVEY_BINDINGS,
        *TICKET_KB_BINDINGS,
    ]

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

    class Loaded(Message):
        def __init__(self, view: TicketView) -> None:
            super().__init__()
            self.view = view

    class LoadFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

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

    def __init__(self, ticket_id: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.view: TicketView | None = None
        self.drafts: dict[str, object] = {}
        self.saving = False
        self.load_error = ""
        # version -> newest event id seen at that version, to tell what changed since.
        self._seen_events: dict[int, int] = {}
        # A conflict waiting for the reload that shows what the others did.
        self._conflict: tuple[str, list[str], str, int] | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield BulletinBanner()
        yield ConflictBanner(id="conflict")
        yield TicketHeader(id="ticket-header")
        yield SlaBars(id="sla-bars")
        yield OpsPanel(self.ticket_id)
        with ScrollableContainer(id="ticket-columns"):
            with VerticalScroll(id="ticket-main"):
                yield Conversation(id="conversation")
            with VerticalScroll(id="ticket-side"):
                yield Static(Content("Knowledge (f)"), classes="section-title")
                yield TicketSuggestions(self.ticket_id)
                yield Static(Content("SLA timeline (business time; times in the calendar's zone)"),
                             classes="section-title")
                yield SlaTimeline(id="sla-timeline")
                yield Static(Content("History (UTC)"), classes="section-title")
                yield TicketHistory(id="history")
        yield Static("", id="drafts-line")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(TicketHeader).update(Content.styled(f"Loading #{self.ticket_id}…", "italic"))
        self._apply_width(self.app.size.width)
        self.reload()
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
            self.scroller.focus()

    @property
    def scroller(self):
        columns = self.query_one("#ticket-columns")
        if columns.has_class("-narrow"):
            return columns
        focused = self.focused
        if isinstance(focused, VerticalScroll):
            return focused
        return self.query_one("#ticket-main")

    # ------------------------------------------------------------ loading

    def reload(self) -> None:
        self._load(self.app.desk.engine, self.ticket_id)

    @work(thread=True, exclusive=True, group="ticket-load")
    def _load(self, engine, ticket_id: int) -> None:
        try:
            view = load_ticket_view(engine, ticket_id)
        except (DeskError, OperationalError) as exc:
            self.post_message(self.LoadFailed(str(exc).splitlines()[0]))
        else:
            # A newer load replaced this one: drop the stale result.
            if not get_current_worker().is_cancelled:
                self.post_message(self.Loaded(view))

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        previous = self.view
        view = message.view
        self.view = view
        self.load_error = ""
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
        self.query_one(TicketSuggestions).follow(view.last_event_id)
        await self.query_one(Conversation).show(ticket.description, ticket.requester_name or ticket.requester_email,
                                                ticket.created_at, view.comments, view.from_requester)
        self.sub_title = f"{ticket.number} {ticket.subject}"
        self.query_one(StatusLine).note = f"{ticket.number} · {ticket.status} · v{ticket.version}"
        if (previous is not None and previous.ticket.version != ticket.version and not self.saving
                and conflict is None):
            who = ticket.updated_by or "someone"
            if who != self.app.desk.actor.username:
                self.notify(f"{ticket.number} was updated by {who}", markup=False)

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.load_error = message.error
        header = self.query_one(TicketHeader)
        header.update(Content.styled(message.error, "bold $error"))
        self.notify(message.error, severity="error", markup=False)

    def _poll_changes(self) -> None:
        if self.view is not None and not self.saving:
            self._check_changed(self.app.desk.engine, self.ticket_id, self.view.last_event_id)

    @work(thread=True, exclusive=True, group="ticket-poll")
    def _check_changed(self, engine, ticket_id: int, seen: int) -> None:
        try:
            latest = last_event_id(engine, ticket_id)
        except OperationalError:
            return
        if latest != seen:
            self.app.call_from_thread(self.reload)

    # ------------------------------------------------------------ running actions

    def _ready(self) -> TicketRecord | None:
        if self.view is None:
            self.notify(self.load_error or "Still loading the ticket…", severity="warning", markup=False)
            return None
        return self.view.ticket

    def _submit(self, key: str, label: str, seen: TicketRecord, call: Callable[[int], object],
                draft: object | None = None) -> None:
        """Run a service call in a worker with the version the analyst saw when starting
        the action (``seen``), so a change made meanwhile is a conflict, not overwritten."""
        if draft is not None:
            self.drafts[key] = draft
            self._show_drafts()
        if self.saving:
            self.notify("Still saving the previous change; try again in a moment.", severity="warning")
            return
        self.saving = True
        self._run_action(key, label, call, seen)

    @work(thread=True, group="ticket-action")
    def _run_action(self, key: str, label: str, call: Callable[[int], object], seen: TicketRecord) -> None:
        try:
            call(seen.version)
        except ConflictError as exc:
            self.post_message(self.ActionConflict(key, exc, seen))
        except (DeskError, WorkflowError) as exc:
            self.post_message(self.ActionFailed(key, str(exc)))
        except OperationalError as exc:
            self.post_message(self.ActionFailed(key, f"database error: {str(exc.orig).splitlines()[0]}"))
        else:
            self.post_message(self.ActionDone(key, label))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        self.saving = False
        self.drafts.pop(message.key, None)
        self._show_drafts()
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

    def _show_drafts(self) -> None:
        line = self.query_one("#drafts-line", Static)
        kept = [f"{DRAFT_NAMES[k][0]} ({DRAFT_NAMES[k][1]})" for k in DRAFT_NAMES if k in self.drafts]
        line.update(Content.assemble(("Unsent drafts: ", "bold"), ", ".join(kept)) if kept else "")
        line.set_class(bool(kept), "-shown")

    def _keep_or_clear(self, key: str, outcome: Outcome | None) -> None:
        """A dialog closed without sending: keep what was typed, or forget a discarded draft."""
        if outcome is None:
            return
        if outcome.value is None:
            self.drafts.pop(key, None)
        else:
            self.drafts[key] = outcome.value
            name, again = DRAFT_NAMES[key]
            self.notify(f"{name.capitalize()} draft kept: press {again} to continue.", markup=False)
        self._show_drafts()

    # ------------------------------------------------------------ actions

    @property
    def _engine(self):
        return self.app.desk.engine

    @property
    def _actor(self):
        return self.app.desk.actor

    def action_reply(self) -> None:
        self._open_composer(internal=False)

    def action_note(self) -> None:
        self._open_composer(internal=True)

    def _open_composer(self, internal: bool, draft: ComposeDraft | None = None) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        draft = draft or self.drafts.get("compose")
        self.app.push_screen(ReplyModal(ticket, draft, internal=internal), lambda o: self._composed(ticket, o))

    def _composed(self, seen: TicketRecord, outcome: Outcome[ComposeDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("compose", outcome)
            return
        draft = outcome.value
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        label = "Internal note added" if draft.internal else f"Reply sent to {seen.requester_email or 'the requester'}"
        # Comments are inserts and never conflict (DESIGN.md §3).
        self._submit("compose", label, seen,
                     lambda _v: svc.add_comment(engine, actor, ticket_id, draft.body, internal=draft.internal),
                     draft=draft)

    def action_take(self) -> None:
        ticket = self._ready()
        if ticket is None or not self._require_active(ticket, "take"):
            return
        if ticket.assignee == self._actor.username:
            self.notify(f"{ticket.number} is already yours.")
            return
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        self._submit("take", f"You took {ticket.number}", ticket,
                     lambda v: svc.take(engine, actor, ticket_id, version=v))

    def action_assign(self) -> None:
        ticket = self._ready()
        if ticket is None or not self._require_active(ticket, "assign"):
            return
        self.app.push_screen(AssignModal(ticket), lambda c: self._assigned(ticket, c))

    def _assigned(self, seen: TicketRecord, choice: AssignChoice | None) -> None:
        if choice is None:
            return
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        who = choice.username or "nobody"
        where = f" in {choice.group}" if choice.group else ""
        self._submit("assign", f"Assigned to {who}{where}", seen,
                     lambda v: svc.assign(engine, actor, ticket_id, choice.username, group=choice.group, version=v))

    def action_status(self) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        if not StatusModal.targets(ticket):
            hint = "reopen it with o" if ticket.status == Status.RESOLVED else "it is final"
            self.notify(f"{ticket.number} is {ticket.status}: {hint}.", severity="warning")
            return
        self.app.push_screen(StatusModal(ticket), lambda c: self._status_chosen(ticket, c))

    def _status_chosen(self, seen: TicketRecord, choice: StatusChoice | None) -> None:
        if choice is None:
            return
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        self._submit("status", f"Status set to {choice.status}", seen,
                     lambda v: svc.change_status(engine, actor, ticket_id, choice.status,
                                                 pending_reason=choice.pending_reason, version=v))

    def action_escalate(self) -> None:
        ticket = self._ready()
        if ticket is None or not self._require_active(ticket, "escalate"):
            return
        self.app.push_screen(EscalateModal(ticket, self.drafts.get("escalate")), lambda o: self._escalated(ticket, o))

    def _escalated(self, seen: TicketRecord, outcome: Outcome[EscalateDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("escalate", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        target = ", ".join(x for x in (f"tier {d.tier}" if d.tier else "", d.group or "") if x)
        self._submit("escalate", f"Escalated to {target}", seen,
                     lambda v: svc.escalate(engine, actor, ticket_id, reason=d.reason, tier=d.tier, group=d.group,
                                            version=v),
                     draft=d)

    def action_resolve(self) -> None:
        ticket = self._ready()
        if ticket is None or not self._require_active(ticket, "resolve"):
            return
        self.app.push_screen(ResolveModal(ticket, self.drafts.get("resolve")), lambda o: self._resolved(ticket, o))

    def _resolved(self, seen: TicketRecord, outcome: Outcome[ResolveDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("resolve", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        self._submit("resolve", f"Resolved {seen.number}", seen,
                     lambda v: svc.resolve(engine, actor, ticket_id, code=d.code, notes=d.notes, version=v), draft=d)

    def action_reopen(self) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        if ticket.status != Status.RESOLVED:
            self.notify(f"{ticket.number} is {ticket.status}: only resolved tickets reopen.", severity="warning")
            return
        self.app.push_screen(ReopenModal(ticket, self.drafts.get("reopen")), lambda o: self._reopened(ticket, o))

    def _reopened(self, seen: TicketRecord, outcome: Outcome[ReopenDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("reopen", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        self._submit("reopen", f"Reopened {seen.number}", seen,
                     lambda v: svc.reopen(engine, actor, ticket_id, reason=d.reason, version=v), draft=d)

    def action_priority(self) -> None:
        ticket = self._ready()
        if ticket is None or not self._require_active(ticket, "change the priority of"):
            return
        modal = PriorityModal(ticket, self.view.matrix, self.drafts.get("priority"))
        self.app.push_screen(modal, lambda o: self._prioritised(ticket, o))

    def _prioritised(self, seen: TicketRecord, outcome: Outcome[PriorityDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("priority", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        label = f"Priority overridden to P{d.override}" if d.override else "Priority set from the matrix"
        self._submit("priority", label, seen,
                     lambda v: svc.change_priority(engine, actor, ticket_id, impact=d.impact, urgency=d.urgency,
                                                   priority=d.override, reason=d.reason, version=v),
                     draft=d)

    def action_canned(self) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        self.app.push_screen(CannedResponseModal(ticket, self._actor), self._canned_chosen)

    def _canned_chosen(self, text: str | None) -> None:
        if not text:
            return
        current = self.drafts.get("compose")
        body = f"{current.body.rstrip()}\n\n{text}" if current and current.body.strip() else text
        internal = current.internal if current else False
        self._open_composer(internal=internal, draft=ComposeDraft(body, internal))

    def action_editor(self) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        current = self.drafts.get("compose") or ComposeDraft("")
        try:
            body = edit_in_editor(self.app, current.body, suffix=".md")
        except EditorError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        draft = ComposeDraft(body.rstrip("\n"), current.internal)
        if draft.body.strip():
            self.drafts["compose"] = draft
            self._show_drafts()
        self._open_composer(internal=draft.internal, draft=draft)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        banner = self.query_one(ConflictBanner)
        if banner.shown:
            banner.hide()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_scroll(self, lines: int) -> None:
        scroller = self.scroller
        scroller.scroll_relative(y=lines * 3, animate=False)

    def action_scroll_edge(self, where: str) -> None:
        scroller = self.scroller
        if where == "home":
            scroller.scroll_home(animate=False)
        else:
            scroller.scroll_end(animate=False)

    def _require_active(self, ticket: TicketRecord, verb: str) -> bool:
        if Status(ticket.status) in ACTIVE_STATUSES:
            return True
        hint = "; reopen it first (o)" if ticket.status == Status.RESOLVED else ""
        self.notify(f"Cannot {verb} {ticket.number}: it is {ticket.status}{hint}.", severity="warning", markup=False)
        return False

    # ------------------------------------------------------------ command palette

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(name, help, callback) for every action; collected by the palette provider."""
        n = f"#{self.ticket_id}"
        return [
            (f"Reply to requester ({n})", "Public reply, visible to the requester  [r]", self.action_reply),
            (f"Add internal note ({n})", "Note for analysts only  [n]", self.action_note),
            (f"Take ticket ({n})", "Assign to me  [t]", self.action_take),
            (f"Assign ticket ({n})", "Pick an analyst of the group, by open load  [a]", self.action_assign),
            (f"Change status ({n})", "Open, pending (with reason), cancelled, closed  [s]", self.action_status),
            (f"Escalate ticket ({n})", "Tier, group and reason  [e]", self.action_escalate),
            (f"Resolve ticket ({n})", "Resolution code and notes  [x]", self.action_resolve),
            (f"Reopen ticket ({n})", "Reopen a resolved ticket with a reason  [o]", self.action_reopen),
            (f"Change priority ({n})", "Impact x urgency, or override with a reason  [p]", self.action_priority),
            (f"Insert canned response ({n})", "Stored reply with placeholders filled  [c]", self.action_canned),
            (f"Compose in $EDITOR ({n})", "Edit the reply draft in your editor  [ctrl+e]", self.action_editor),
            (f"Reload ticket ({n})", "Read the ticket again  [f5]", self.action_reload),
        ] + self.ops_palette_commands() + self.kb_palette_commands() + self.survey_palette_commands()  # issues 7, 4, 5
