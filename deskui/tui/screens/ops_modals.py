"""Small dialogs for the operations screens (problems, requests, bulletins, routing).

Every label that carries ticket or problem text is built with rich ``Text`` (or
``Content``), never markup: untrusted text shows as typed.
"""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

MODAL_CSS = """
OpsModal { align: center middle; }
OpsModal > Vertical {
    width: 80%; max-width: 100; height: auto; max-height: 90%;
    background: $surface; border: round $primary; padding: 0 1;
}
OpsModal .ops-title { text-style: bold; color: $accent; }
OpsModal .ops-hint { color: $text-muted; }
OpsModal .ops-error { color: $error; text-style: bold; }
OpsModal Input { margin: 1 0 0 0; }
OpsModal TextArea { height: 5; margin: 0 0 1 0; }
OpsModal OptionList { height: auto; max-height: 16; margin: 1 0; }
OpsModal #ops-body { height: auto; max-height: 24; }
"""


class OpsModal(ModalScreen):
    DEFAULT_CSS = MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ops.modal_cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


def _label(text: str, classes: str) -> Static:
    return Static(Text(text), classes=classes)


class PromptModal(OpsModal):
    """One line of text; enter sends, esc cancels (None)."""

    def __init__(self, title: str, *, value: str = "", placeholder: str = "", hint: str = "",
                 required: bool = True) -> None:
        super().__init__()
        self.title_text, self.value, self.placeholder, self.hint, self.required = title, value, placeholder, hint, required

    def compose(self) -> ComposeResult:
        with Vertical():
            yield _label(self.title_text, "ops-title")
            if self.hint:
                yield _label(self.hint, "ops-hint")
            yield Input(value=self.value, placeholder=self.placeholder, id="ops-input")
            yield Static("", id="ops-error", classes="ops-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if self.required and not value:
            self.query_one("#ops-error", Static).update(Text("This cannot be empty (esc to cancel)."))
            return
        self.dismiss(value)


class ChoiceModal(OpsModal):
    """Pick one of ``options`` ((value, label) pairs); esc cancels (None)."""

    def __init__(self, title: str, options: Sequence[tuple[object, str]], *, hint: str = "") -> None:
        super().__init__()
        self.title_text, self.options, self.hint = title, list(options), hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield _label(self.title_text, "ops-title")
            if self.hint:
                yield _label(self.hint, "ops-hint")
            yield OptionList(*[Option(Text(label), id=str(i)) for i, (_, label) in enumerate(self.options)],
                             id="ops-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[int(event.option.id)][0])


class FieldsModal(OpsModal):
    """Several multi-line fields; ctrl+s saves a dict, esc cancels (None)."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", id="ops.modal_save"),
                Binding("escape", "cancel", "Cancel", id="ops.modal_cancel")]

    def __init__(self, title: str, fields: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text, self.fields = title, list(fields)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield _label(self.title_text, "ops-title")
            yield _label("ctrl+s saves · esc cancels · tab moves between fields", "ops-hint")
            with VerticalScroll(id="ops-body"):
                for name, label, value in self.fields:
                    yield Label(Text(label))
                    yield TextArea(value, id=f"field-{name}", soft_wrap=True)

    def on_mount(self) -> None:
        self.query(TextArea).first().focus()

    def action_save(self) -> None:
        self.dismiss({name: self.query_one(f"#field-{name}", TextArea).text for name, _, _ in self.fields})
