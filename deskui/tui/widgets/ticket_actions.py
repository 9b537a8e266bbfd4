"""The analyst's work on a ticket: reply, note, take, assign, status, escalate,
resolve, reopen, priority, canned responses, $EDITOR, reload, and moving around
the screen. The innermost layer of the ticket screen, so its keys come first.

Each key opens its dialog (prefilled with an unsent draft, if any) and asks the
screen to run the service call (:class:`~deskui.tui.widgets.ticket_feature.TicketChange`)
with the version the analyst saw when the dialog opened.
"""

from __future__ import annotations

import dataclasses

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import var

from deskui.domain.enums import Status
from deskui.domain.permissions import Action, ticket_action
from deskui.services import tickets as svc
from deskui.store.records import TicketRecord
from deskui.tui.editor import EditorError, edit_in_editor
from deskui.tui.permissions import PermissionGate
from deskui.tui.screens.modals import (
    ComposeDraft, EscalateDraft, Outcome, PriorityDraft, PriorityModal, ReopenDraft, ReopenModal, ReplyModal,
    ResolveDraft, ResolveModal, StatusChoice, StatusModal,
)
from deskui.tui.screens.picker_modals import AssignChoice, AssignModal, CannedResponseModal, EscalateModal
from deskui.tui.widgets.ticket_conflict import ConflictBanner
from deskui.tui.widgets.ticket_feature import DraftKept, PaletteCommand, ReloadTicket, TicketFeature

# Draft key -> (what it is, the key that reopens it).
DRAFT_NAMES = {
    "compose": ("reply", "r"),
    "resolve": ("resolution", "x"),
    "reopen": ("reopen reason", "o"),
    "escalate": ("escalation", "e"),
    "priority": ("priority change", "p"),
}
#: Draft key -> the dialog's value it holds (stored as its fields: deskui.services.drafts).
DRAFT_TYPES = {
    "compose": ComposeDraft,
    "resolve": ResolveDraft,
    "reopen": ReopenDraft,
    "escalate": EscalateDraft,
    "priority": PriorityDraft,
}


def draft_fields(value: object) -> dict:
    """A dialog's draft as the fields the database keeps."""
    return dataclasses.asdict(value)


def draft_from_fields(key: str, fields: dict) -> object | None:
    """The dialog's draft from its stored fields; None when they no longer fit it."""
    kind = DRAFT_TYPES.get(key)
    if kind is None:
        return None
    try:
        return kind(**{f.name: fields[f.name] for f in dataclasses.fields(kind) if f.name in fields})
    except TypeError:
        return None


#: Actions without a draft -> the key that tries again after a conflict.
ACTION_KEYS = {"assign": "a", "take": "t", "status": "s"}

TICKET_BINDINGS = [
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
]


class TicketActions(PermissionGate, TicketFeature):
    """The ticket screen's own keys (``ticket.*``)."""

    BINDINGS = TICKET_BINDINGS
    PERMISSIONS = {"reply": Action.REPLY, "note": Action.NOTE, "take": Action.TAKE, "assign": Action.REASSIGN,
                   "status": Action.STATUS, "escalate": Action.ESCALATE, "resolve": Action.RESOLVE,
                   "reopen": Action.REOPEN, "priority": Action.RATE, "canned": Action.REPLY,
                   "editor": Action.REPLY}

    def needed_permission(self, action: str) -> Action | None:
        needed = super().needed_permission(action)
        if needed is Action.TAKE and self.view is not None:  # another analyst's ticket is a lead's to take
            return ticket_action(needed, self.app.desk.actor.id, self.view.ticket.assignee_id)
        return needed

    def watch_view(self) -> None:
        self.refresh_bindings()  # whose ticket it is decides whether t is available

    #: The unsent drafts (draft key -> value), as the screen keeps them.
    drafts: var[dict] = var(dict, always_update=True)

    def palette_commands(self) -> list[PaletteCommand]:
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
        ]

    def _keep_or_clear(self, key: str, outcome: Outcome | None) -> None:
        """A dialog closed without sending: keep what was typed, or forget a discarded draft."""
        if outcome is None:
            return
        self.tell(DraftKept(key, outcome.value))
        if outcome.value is not None:
            name, again = DRAFT_NAMES[key]
            self.notify(f"{name.capitalize()} draft kept: press {again} to continue.", markup=False)

    # ------------------------------------------------------------ reply and note

    def action_reply(self) -> None:
        self.open_composer(internal=False)

    def action_note(self) -> None:
        self.open_composer(internal=True)

    def open_composer(self, internal: bool, draft: ComposeDraft | None = None) -> None:
        ticket = self.ready()
        if ticket is None:
            return
        draft = draft or self.drafts.get("compose")
        self.app.push_screen(ReplyModal(ticket, draft, internal=internal), lambda o: self._composed(ticket, o))

    def add_to_reply(self, text: str) -> None:
        """Open the composer with ``text`` after what the reply draft holds (canned responses,
        article steps): it keeps the draft's public or internal choice."""
        current = self.drafts.get("compose")
        body = f"{current.body.rstrip()}\n\n{text}" if current and current.body.strip() else text
        internal = current.internal if current else False
        self.open_composer(internal=internal, draft=ComposeDraft(body, internal))

    def _composed(self, seen: TicketRecord, outcome: Outcome[ComposeDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("compose", outcome)
            return
        draft = outcome.value
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        label = "Internal note added" if draft.internal else f"Reply sent to {seen.requester_email or 'the requester'}"
        # Comments are inserts and never conflict (DESIGN.md §3).
        self.submit("compose", label, seen,
                    lambda _v: svc.add_comment(engine, actor, ticket_id, draft.body, internal=draft.internal),
                    draft=draft)

    # ------------------------------------------------------------ assignment

    def action_take(self) -> None:
        ticket = self.ready()
        if ticket is None or not self.require_active(ticket, "take"):
            return
        if ticket.assignee == self.actor.username:
            self.notify(f"{ticket.number} is already yours.")
            return
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        owner = ticket.assignee

        def take() -> None:
            label = f"You took {ticket.number}" + (f" from {owner}" if owner else "")
            # The version seen before the question: a change made meanwhile is a conflict.
            self.submit("take", label, ticket, lambda v: svc.take(engine, actor, ticket_id, version=v))

        if not owner:
            take()
            return
        from deskui.tui.screens.bulk import ConfirmModal

        who = f"{ticket.assignee_name} ({owner})" if ticket.assignee_name else owner
        question = f"{ticket.number} is assigned to {who}. Take it from them?"
        self.app.push_screen(ConfirmModal(question), lambda yes: take() if yes else None)

    def action_assign(self) -> None:
        ticket = self.ready()
        if ticket is None or not self.require_active(ticket, "assign"):
            return
        self.app.push_screen(AssignModal(ticket), lambda c: self._assigned(ticket, c))

    def _assigned(self, seen: TicketRecord, choice: AssignChoice | None) -> None:
        if choice is None:
            return
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        who = choice.username or "nobody"
        where = f" in {choice.group}" if choice.group else ""
        self.submit("assign", f"Assigned to {who}{where}", seen,
                    lambda v: svc.assign(engine, actor, ticket_id, choice.username, group=choice.group, version=v))

    # ------------------------------------------------------------ workflow

    def action_status(self) -> None:
        ticket = self.ready()
        if ticket is None:
            return
        if not StatusModal.targets(ticket):
            hint = "reopen it with o" if ticket.status == Status.RESOLVED else "it is final"
            self.notify(f"{ticket.number} is {ticket.status}: {hint}.", severity="warning", markup=False)
            return
        self.app.push_screen(StatusModal(ticket), lambda c: self._status_chosen(ticket, c))

    def _status_chosen(self, seen: TicketRecord, choice: StatusChoice | None) -> None:
        if choice is None:
            return
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        self.submit("status", f"Status set to {choice.status}", seen,
                    lambda v: svc.change_status(engine, actor, ticket_id, choice.status,
                                                pending_reason=choice.pending_reason, version=v))

    def action_escalate(self) -> None:
        ticket = self.ready()
        if ticket is None or not self.require_active(ticket, "escalate"):
            return
        self.app.push_screen(EscalateModal(ticket, self.drafts.get("escalate")), lambda o: self._escalated(ticket, o))

    def _escalated(self, seen: TicketRecord, outcome: Outcome[EscalateDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("escalate", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        target = ", ".join(x for x in (f"tier {d.tier}" if d.tier else "", d.group or "") if x)
        self.submit("escalate", f"Escalated to {target}", seen,
                    lambda v: svc.escalate(engine, actor, ticket_id, reason=d.reason, tier=d.tier, group=d.group,
                                           version=v),
                    draft=d)

    def action_resolve(self) -> None:
        ticket = self.ready()
        if ticket is None or not self.require_active(ticket, "resolve"):
            return
        self.app.push_screen(ResolveModal(ticket, self.drafts.get("resolve")), lambda o: self._resolved(ticket, o))

    def _resolved(self, seen: TicketRecord, outcome: Outcome[ResolveDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("resolve", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        self.submit("resolve", f"Resolved {seen.number}", seen,
                    lambda v: svc.resolve(engine, actor, ticket_id, code=d.code, notes=d.notes, version=v), draft=d)

    def action_reopen(self) -> None:
        ticket = self.ready()
        if ticket is None:
            return
        if ticket.status != Status.RESOLVED:
            self.notify(f"{ticket.number} is {ticket.status}: only resolved tickets reopen.", severity="warning",
                        markup=False)
            return
        self.app.push_screen(ReopenModal(ticket, self.drafts.get("reopen")), lambda o: self._reopened(ticket, o))

    def _reopened(self, seen: TicketRecord, outcome: Outcome[ReopenDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("reopen", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        self.submit("reopen", f"Reopened {seen.number}", seen,
                    lambda v: svc.reopen(engine, actor, ticket_id, reason=d.reason, version=v), draft=d)

    def action_priority(self) -> None:
        ticket = self.ready()
        if ticket is None or not self.require_active(ticket, "change the priority of"):
            return
        modal = PriorityModal(ticket, self.view.matrix, self.drafts.get("priority"))
        self.app.push_screen(modal, lambda o: self._prioritised(ticket, o))

    def _prioritised(self, seen: TicketRecord, outcome: Outcome[PriorityDraft] | None) -> None:
        if outcome is None or not outcome.send:
            self._keep_or_clear("priority", outcome)
            return
        d = outcome.value
        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        label = f"Priority overridden to P{d.override}" if d.override else "Priority set from the matrix"
        self.submit("priority", label, seen,
                    lambda v: svc.change_priority(engine, actor, ticket_id, impact=d.impact, urgency=d.urgency,
                                                  priority=d.override, reason=d.reason, version=v),
                    draft=d)

    # ------------------------------------------------------------ text helpers

    def action_canned(self) -> None:
        ticket = self.ready()
        if ticket is None:
            return
        self.app.push_screen(CannedResponseModal(ticket, self.actor), self._canned_chosen)

    def _canned_chosen(self, text: str | None) -> None:
        if text:
            self.add_to_reply(text)

    def action_editor(self) -> None:
        ticket = self.ready()
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
            self.tell(DraftKept("compose", draft))
        self.open_composer(internal=draft.internal, draft=draft)

    # ------------------------------------------------------------ moving around

    def action_reload(self) -> None:
        self.tell(ReloadTicket())

    def action_back(self) -> None:
        banner = self.query_one(ConflictBanner)
        if banner.shown:
            banner.hide()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    @property
    def scroller(self):
        """What j/k/g/G move: the one scroll when narrow, else the focused column (the conversation)."""
        columns = self.query_one("#ticket-columns")
        if columns.has_class("-narrow"):
            return columns
        focused = self.screen.focused
        if isinstance(focused, VerticalScroll):
            return focused
        return self.query_one("#ticket-main")

    def action_scroll(self, lines: int) -> None:
        self.scroller.scroll_relative(y=lines * 3, animate=False)

    def action_scroll_edge(self, where: str) -> None:
        scroller = self.scroller
        if where == "home":
            scroller.scroll_home(animate=False)
        else:
            scroller.scroll_end(animate=False)
