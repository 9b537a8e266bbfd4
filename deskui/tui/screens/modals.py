"""The ticket screen's action dialogs: the base dialog, and those that need
nothing from the database (reply/note, resolve, reopen, priority, status; the
ones that offer lists are in deskui.tui.screens.picker_modals).

Each dialog validates what it can (required fields) and dismisses with a frozen
value; the ticket screen calls the service in a worker thread. Dialogs that hold
typing (reply/note, resolve, reopen, escalate, priority) dismiss with an
:class:`Outcome` whether sent or not, so the screen can keep the unsent text as
a draft (after Esc, an error, or a conflict) and reopen the dialog with it.

Untrusted text (subjects, names, bodies) is shown as ``Content``, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static, TextArea

from deskui.domain.enums import Level, PendingReason, ResolutionCode, Status
from deskui.domain.priority import PriorityMatrix
from deskui.domain.workflow import allowed_targets
from deskui.store.records import TicketRecord
from deskui.tui.editor import EditorError, edit_in_editor
from deskui.tui.widgets.ticket_format import priority_text, safe_line, words

T = TypeVar("T")


# ------------------------------------------------------------------ values the dialogs return

@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a typing dialog hands back: the value, and whether to send it now.

    ``send=False`` with a value: closed with Esc, keep it as a draft.
    ``value=None``: the analyst discarded the draft.
    """

    value: T | None
    send: bool = False


@dataclass(frozen=True)
class ComposeDraft:
    body: str
    internal: bool = False


@dataclass(frozen=True)
class ResolveDraft:
    code: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ReopenDraft:
    reason: str = ""


@dataclass(frozen=True)
class EscalateDraft:
    tier: int | None = None
    group: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class PriorityDraft:
    impact: str
    urgency: str
    override: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class AssignChoice:
    username: str | None  # None: unassign
    group: str | None  # None: keep the ticket's group


@dataclass(frozen=True)
class StatusChoice:
    status: str
    pending_reason: str | None = None


# ------------------------------------------------------------------ base

class DeskModal(ModalScreen[T]):
    """A centred dialog with a title, an inline error line and Send/Cancel buttons."""

    DEFAULT_CSS = """
    DeskModal {
        align: center middle;
        background: $background 60%;
    }
    DeskModal > #dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
        overflow-y: auto;
    }
    DeskModal #dialog-footer { dock: bottom; height: auto; }
    DeskModal #dialog-title { text-style: bold; margin-bottom: 1; width: 100%; }
    DeskModal .field-label { color: $text-muted; margin-top: 1; }
    DeskModal .modal-error { color: $error; text-style: bold; height: auto; display: none; }
    DeskModal .modal-error.-shown { display: block; }
    DeskModal .modal-hint { color: $text-muted; height: auto; }
    DeskModal #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    DeskModal #buttons Button { margin-left: 1; min-width: 10; }
    DeskModal TextArea { height: 10; }
    DeskModal Select { width: 100%; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="modal.cancel"),
        Binding("ctrl+s", "submit", "Send", id="modal.submit"),
    ]

    TITLE_TEXT = ""
    SUBMIT_LABEL = "Save"

    def __init__(self, ticket: TicketRecord) -> None:
        super().__init__()
        self.ticket = ticket
        self._error = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            # The error and the buttons stay in view however short the terminal is.
            with Vertical(id="dialog-footer"):
                yield Static("", classes="modal-error")
                with Horizontal(id="buttons"):
                    yield from self.compose_buttons()
            yield Static(self.title_content(), id="dialog-title")
            yield from self.compose_fields()

    # The widget that gives up rows on a short terminal, its tallest, and the
    # rows everything else in the dialog needs.
    FLEX_SELECTOR = ""
    FLEX_MAX = 0
    FIXED_ROWS = 0
    FLEX_STYLE = "height"

    def on_mount(self) -> None:
        # Textual also runs each subclass's own on_mount.
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        if not self.FLEX_SELECTOR:
            return
        rows = max(3, min(self.FLEX_MAX, self.app.size.height - self.FIXED_ROWS))
        for widget in self.query(self.FLEX_SELECTOR):
            setattr(widget.styles, self.FLEX_STYLE, rows)

    def title_content(self) -> Content:
        return Content.assemble((self.TITLE_TEXT, "bold"), f" {self.ticket.number} ", (safe_line(self.ticket.subject), "italic"))

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        yield Button(f"{self.SUBMIT_LABEL} (ctrl+s)", id="submit", variant="primary")
        yield Button("Cancel (esc)", id="cancel")

    def show_error(self, message: str) -> None:
        error = self.query_one(".modal-error", Static)
        self._error = safe_line(message)
        error.update(Content(self._error))
        error.set_class(bool(message), "-shown")

    @property
    def error_text(self) -> str:
        return self._error

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


# ------------------------------------------------------------------ reply / note

class ReplyModal(DeskModal[Outcome[ComposeDraft]]):
    """Compose a public reply or an internal note (ctrl+t switches; the dialog's colour says which)."""

    FLEX_SELECTOR, FLEX_MAX, FIXED_ROWS = "#compose-body", 14, 10

    DEFAULT_CSS = """
    ReplyModal > #dialog { width: 100; }
    ReplyModal.-internal > #dialog { border: thick $warning; background: $warning 8%; }
    ReplyModal #compose-body { height: 14; }
    """

    BINDINGS = [
        Binding("ctrl+t", "toggle_visibility", "Public/internal", id="compose.toggle"),
        Binding("ctrl+e", "editor", "$EDITOR", id="compose.editor", priority=True),
    ]

    def __init__(self, ticket: TicketRecord, draft: ComposeDraft | None = None, *, internal: bool = False) -> None:
        super().__init__(ticket)
        self.body = draft.body if draft else ""
        self.internal = internal

    def title_content(self) -> Content:
        if self.internal:
            return Content.assemble((" INTERNAL NOTE ", "bold reverse $warning"), " on ", self.ticket.number,
                                    (" -- analysts only, the requester never sees it", "$foreground-muted"))
        who = self.ticket.requester_name or self.ticket.requester_email or "the requester"
        return Content.assemble((" PUBLIC REPLY ", "bold reverse $primary"), " on ", self.ticket.number, " to ",
                                (safe_line(who), "bold"), (" -- the requester sees this", "$foreground-muted"))

    def compose_fields(self) -> ComposeResult:
        yield TextArea(self.body, id="compose-body", soft_wrap=True, tab_behavior="focus")
        yield Static(Content("ctrl+s send · ctrl+t public/internal · ctrl+e $EDITOR · esc keep draft"),
                     classes="modal-hint")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Discard", id="discard", variant="error")
        yield Button("Keep draft (esc)", id="cancel")
        yield Button("Send (ctrl+s)", id="submit", variant="primary")

    def on_mount(self) -> None:
        self._sync_visibility()
        area = self.query_one("#compose-body", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def _sync_visibility(self) -> None:
        self.set_class(self.internal, "-internal")
        self.query_one("#dialog-title", Static).update(self.title_content())
        self.query_one("#submit", Button).label = "Add note (ctrl+s)" if self.internal else "Send reply (ctrl+s)"

    @property
    def text(self) -> str:
        return self.query_one("#compose-body", TextArea).text

    def draft(self) -> ComposeDraft:
        return ComposeDraft(self.text, self.internal)

    def action_toggle_visibility(self) -> None:
        self.internal = not self.internal
        self._sync_visibility()

    def action_editor(self) -> None:
        try:
            edited = edit_in_editor(self.app, self.text, suffix=".md")
        except EditorError as exc:
            self.show_error(str(exc))
            return
        area = self.query_one("#compose-body", TextArea)
        area.text = edited.rstrip("\n")
        area.move_cursor(area.document.end)
        area.focus()

    def action_submit(self) -> None:
        if not self.text.strip():
            self.show_error("The message is empty: type something, or press esc.")
            return
        self.dismiss(Outcome(self.draft(), send=True))

    def action_cancel(self) -> None:
        self.dismiss(Outcome(self.draft() if self.text.strip() else None, send=False))

    @on(Button.Pressed, "#discard")
    def _discard(self) -> None:
        self.dismiss(Outcome(None, send=False))


# ------------------------------------------------------------------ resolve / reopen

class ResolveModal(DeskModal[Outcome[ResolveDraft]]):
    """A resolution code and notes, both required."""

    FLEX_SELECTOR, FLEX_MAX, FIXED_ROWS = "#resolve-notes", 10, 16

    TITLE_TEXT = "Resolve"
    SUBMIT_LABEL = "Resolve"

    def __init__(self, ticket: TicketRecord, draft: ResolveDraft | None = None) -> None:
        super().__init__(ticket)
        self.initial = draft or ResolveDraft()

    def compose_fields(self) -> ComposeResult:
        yield Label("Resolution code", classes="field-label")
        options = [(words(c.value), c.value) for c in ResolutionCode]
        yield Select(options, prompt="choose a resolution code", id="resolve-code",
                     value=self.initial.code if self.initial.code else Select.NULL)
        yield Label("Resolution notes (what was done; the requester may see them)", classes="field-label")
        yield TextArea(self.initial.notes, id="resolve-notes", soft_wrap=True, tab_behavior="focus")

    def on_mount(self) -> None:
        target = "#resolve-notes" if self.initial.code else "#resolve-code"
        self.query_one(target).focus()

    def draft(self) -> ResolveDraft:
        code = self.query_one("#resolve-code", Select).value
        return ResolveDraft(code="" if code is Select.NULL else str(code),
                            notes=self.query_one("#resolve-notes", TextArea).text)

    def action_submit(self) -> None:
        draft = self.draft()
        missing = [name for name, ok in (("a resolution code", draft.code), ("notes", draft.notes.strip())) if not ok]
        if missing:
            self.show_error(f"Resolving needs {' and '.join(missing)}.")
            return
        self.dismiss(Outcome(draft, send=True))

    def action_cancel(self) -> None:
        draft = self.draft()
        self.dismiss(Outcome(draft if (draft.code or draft.notes.strip()) else None, send=False))


class ReopenModal(DeskModal[Outcome[ReopenDraft]]):
    TITLE_TEXT = "Reopen"
    SUBMIT_LABEL = "Reopen"

    def __init__(self, ticket: TicketRecord, draft: ReopenDraft | None = None) -> None:
        super().__init__(ticket)
        self.initial = draft or ReopenDraft()

    def compose_fields(self) -> ComposeResult:
        yield Label("Why is it reopened? (required)", classes="field-label")
        yield Input(self.initial.reason, id="reopen-reason", placeholder="e.g. requester says the fault is back")

    def on_mount(self) -> None:
        self.query_one("#reopen-reason").focus()

    def draft(self) -> ReopenDraft:
        return ReopenDraft(self.query_one("#reopen-reason", Input).value)

    def action_submit(self) -> None:
        draft = self.draft()
        if not draft.reason.strip():
            self.show_error("Reopening needs a reason.")
            return
        self.dismiss(Outcome(draft, send=True))

    def action_cancel(self) -> None:
        draft = self.draft()
        self.dismiss(Outcome(draft if draft.reason.strip() else None, send=False))


# ------------------------------------------------------------------ priority

class PriorityModal(DeskModal[Outcome[PriorityDraft]]):
    """Impact x urgency through the matrix, or an override with a reason."""

    TITLE_TEXT = "Priority"
    SUBMIT_LABEL = "Change"

    def __init__(self, ticket: TicketRecord, matrix: PriorityMatrix | None = None,
                 draft: PriorityDraft | None = None) -> None:
        super().__init__(ticket)
        self.matrix = matrix or PriorityMatrix()
        self.initial = draft or PriorityDraft(impact=ticket.impact, urgency=ticket.urgency)

    def compose_fields(self) -> ComposeResult:
        levels = [(lvl.value, lvl.value) for lvl in Level]
        yield Static(Content.assemble("Now ", (priority_text(self.ticket.priority), "bold"), "  ",
                                      (self.ticket.priority_reason, "$foreground-muted")), classes="modal-hint")
        with Horizontal(classes="priority-row"):
            with Vertical():
                yield Label("Impact", classes="field-label")
                yield Select(levels, id="priority-impact", value=self.initial.impact, allow_blank=False)
            with Vertical():
                yield Label("Urgency", classes="field-label")
                yield Select(levels, id="priority-urgency", value=self.initial.urgency, allow_blank=False)
        yield Static("", id="priority-matrix", classes="modal-hint")
        yield Label("Override (optional; needs a reason)", classes="field-label")
        override = self.initial.override if self.initial.override is not None else Select.NULL
        yield Select([(priority_text(p), p) for p in (1, 2, 3, 4)], id="priority-override", value=override,
                     prompt="no override: use the matrix")
        yield Label("Reason for the override", classes="field-label")
        yield Input(self.initial.reason, id="priority-reason")

    DEFAULT_CSS = """
    PriorityModal .priority-row { height: auto; }
    PriorityModal .priority-row > Vertical { height: auto; width: 1fr; }
    """

    def on_mount(self) -> None:
        self._show_matrix()
        self.query_one("#priority-impact").focus()

    @on(Select.Changed)
    def _show_matrix(self) -> None:
        draft = self.draft()
        computed = self.matrix.priority(draft.impact, draft.urgency)
        self.query_one("#priority-matrix", Static).update(Content.assemble(
            "Matrix: impact ", draft.impact, " x urgency ", draft.urgency, " = ", (priority_text(computed), "bold")))

    def draft(self) -> PriorityDraft:
        override = self.query_one("#priority-override", Select).value
        return PriorityDraft(
            impact=str(self.query_one("#priority-impact", Select).value),
            urgency=str(self.query_one("#priority-urgency", Select).value),
            override=None if override is Select.NULL else int(override),
            reason=self.query_one("#priority-reason", Input).value,
        )

    def action_submit(self) -> None:
        draft = self.draft()
        if draft.override is not None and not draft.reason.strip():
            self.show_error("An override needs a reason (it is recorded in the history).")
            return
        if draft.override is None:
            unchanged = (draft.impact, draft.urgency) == (self.ticket.impact, self.ticket.urgency)
            if unchanged and self.matrix.priority(draft.impact, draft.urgency) == self.ticket.priority:
                self.show_error("Nothing to change: pick another impact or urgency, or an override.")
                return
        self.dismiss(Outcome(draft, send=True))

    def action_cancel(self) -> None:
        draft = self.draft()
        keep = draft.override is not None or draft.reason.strip()
        self.dismiss(Outcome(draft if keep else None, send=False))


# ------------------------------------------------------------------ status

class StatusModal(DeskModal[StatusChoice]):
    """Only the transitions the workflow allows; pending needs a reason."""

    TITLE_TEXT = "Status"
    SUBMIT_LABEL = "Change"

    @staticmethod
    def targets(ticket: TicketRecord) -> list[str]:
        # Resolving needs code and notes (x); reopening needs a reason (o).
        return [s.value for s in Status if s in allowed_targets(ticket.status)
                and s is not Status.RESOLVED and not (s is Status.OPEN and ticket.status == Status.RESOLVED)]

    def compose_fields(self) -> ComposeResult:
        yield Label(Content(f"Now {self.ticket.status}. Move to:"), classes="field-label")
        with RadioSet(id="status-target"):
            for index, status in enumerate(self.targets(self.ticket)):
                yield RadioButton(status, value=index == 0, name=status)
        yield Label("Pending reason", classes="field-label", id="pending-label")
        yield Select([(words(r.value), r.value) for r in PendingReason], id="pending-reason",
                     value=PendingReason.AWAITING_REQUESTER.value, allow_blank=False)
        hint = "resolve with x (code and notes)"
        if self.ticket.status == Status.RESOLVED:
            hint = "reopen with o (with a reason)"
        yield Static(Content(hint), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()
        self._sync()

    @property
    def chosen(self) -> str | None:
        button = self.query_one(RadioSet).pressed_button
        return button.name if button else None

    @on(RadioSet.Changed)
    def _sync(self) -> None:
        pending = self.chosen == Status.PENDING
        self.query_one("#pending-reason").display = pending
        self.query_one("#pending-label").display = pending

    def action_submit(self) -> None:
        status = self.chosen
        if status is None:
            self.show_error("Choose a status.")
            return
        reason = str(self.query_one("#pending-reason", Select).value) if status == Status.PENDING else None
        self.dismiss(StatusChoice(status, reason))
