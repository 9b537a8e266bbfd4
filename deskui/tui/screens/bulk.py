"""Small dialogs for the queue's bulk actions (assign, status) and quitting.

Each returns its answer with ``dismiss``: None means cancelled.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskui.tui.keymap import bind
from deskui.tui.workers import db_work

_CANCEL = [bind("escape", "cancel", "Cancel", "bulk.cancel", show=True)]


def _tickets(count: int) -> str:
    return f"{count} ticket" + ("" if count == 1 else "s")


class BulkAssignModal(ModalScreen[str | None]):
    """Pick an analyst (with their open load) or nobody. Answers a username, or "" to unassign."""

    BINDINGS = _CANCEL

    def __init__(self, count: int) -> None:
        super().__init__(classes="dialog-screen")
        self.count = count
        self._loads = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Assign {_tickets(self.count)} to"), classes="dialog-title")
            yield Input(placeholder="type to narrow: name or username", id="assign-filter")
            yield OptionList(id="assign-options")
            yield Label(Text("enter choose · esc cancel"), classes="dialog-help")

    def on_mount(self) -> None:
        self._read(self.app.desk.engine)

    @db_work(group="assign-loads", what="Loading analysts")
    def _read(self, engine) -> None:
        from deskui.reads.directory import analyst_loads

        loads = analyst_loads(engine)
        self.app.call_from_thread(self._show, loads)

    def _show(self, loads) -> None:
        self._loads = loads
        self._fill("")

    def _fill(self, text: str) -> None:
        options = self.query_one("#assign-options", OptionList)
        options.clear_options()
        needle = text.strip().lower()
        if not needle:
            options.add_option(Option(Text("(nobody: unassign)", style="italic"), id=""))
        for load in self._loads:
            if needle and needle not in load.username.lower() and needle not in load.name.lower():
                continue
            label = Text(f"{load.username:<12} ")
            label.append(load.name)
            label.append(f"  T{load.tier} · {load.open_tickets} open", style="dim")
            if load.away:
                label.append(" · away", style="italic")
            options.add_option(Option(label, id=load.username))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#assign-options", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_key(self, event) -> None:
        # Arrow keys move the list while the filter keeps focus.
        options = self.query_one("#assign-options", OptionList)
        if event.key in ("down", "up") and self.focused is not options:
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


STATUS_CHOICES = (
    ("open", None, "open"),
    ("pending", "awaiting_requester", "pending: awaiting requester"),
    ("pending", "awaiting_vendor", "pending: awaiting vendor"),
    ("pending", "awaiting_change", "pending: awaiting change"),
    ("cancelled", None, "cancelled"),
    ("closed", None, "closed (resolved tickets only)"),
)


class BulkStatusModal(ModalScreen[tuple[str, str | None] | None]):
    """Pick a status (and a pending reason). Resolving needs the ticket screen
    (a code and notes per ticket)."""

    BINDINGS = _CANCEL

    def __init__(self, count: int) -> None:
        super().__init__(classes="dialog-screen")
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Set the status of {_tickets(self.count)}"), classes="dialog-title")
            yield OptionList(*[Option(Text(label), id=str(i)) for i, (_, _, label) in enumerate(STATUS_CHOICES)],
                             id="status-options")
            yield Label(Text("enter choose · esc cancel"), classes="dialog-help")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        status, reason, _ = STATUS_CHOICES[int(event.option.id)]
        self.dismiss((status, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question (quitting, taking another analyst's ticket)."""

    BINDINGS = [
        bind("y,enter", "answer(True)", "Yes", "bulk.confirm_yes", show=True),
        bind("n,escape,q", "answer(False)", "No", "bulk.confirm_no", show=True),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question

    def compose(self) -> ComposeResult:
        # A short question in a small box; a longer one (whose ticket it is) wraps in a wider one.
        size = "dialog-small" if len(self.question) <= 32 else ""
        with Vertical(classes=f"dialog {size}".strip()):
            yield Static(Text(self.question), classes="dialog-title")
            yield Label(Text("y yes · n no"), classes="dialog-help")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
