"""`:` the jump prompt: `:123` opens ticket 123, `:kb` `:metrics` `:queue`
`:wallboard` switch screens, `:theme NAME` changes the theme, `:q` quits."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from deskui.tui.keymap import bind

MODE_WORDS = {
    "queue": "queue", "q1": "queue", "kb": "knowledge", "knowledge": "knowledge", "metrics": "metrics",
    "wallboard": "wallboard", "wb": "wallboard",
}
_TICKET = re.compile(r"#?(\d{1,18})")


@dataclass(frozen=True)
class Jump:
    kind: str  # "ticket", "mode", "theme", "quit"
    value: str | int = ""


class JumpError(ValueError):
    pass


def parse_jump(text: str) -> Jump:
    """What a `:` command asks for; JumpError with a one-line hint otherwise."""
    text = text.strip().lstrip(":").strip()
    if not text:
        raise JumpError("type a ticket number (:123) or a screen (:kb, :metrics, :queue, :wallboard)")
    if match := _TICKET.fullmatch(text):
        number = int(match.group(1))
        if number <= 0:
            raise JumpError("ticket numbers start at 1")
        return Jump("ticket", number)
    word, _, rest = text.partition(" ")
    word = word.lower()
    if word in MODE_WORDS:
        return Jump("mode", MODE_WORDS[word])
    if word == "theme":
        if not rest.strip():
            raise JumpError("theme needs a name, e.g. :theme deskui-light")
        return Jump("theme", rest.strip())
    if word in ("q", "quit"):
        return Jump("quit")
    raise JumpError(f"{text[:30]!r}: try :123 :kb :metrics :queue :wallboard :theme NAME :q")


class JumpScreen(ModalScreen[Jump | None]):
    """A one-line prompt at the bottom, like vim's."""

    BINDINGS = [bind("escape", "cancel", "Cancel", "jump.cancel")]
    TAKES_TEXT = True  # app-wide digit keys type here (see DeskApp.is_typing)

    def compose(self) -> ComposeResult:
        with Vertical(id="jump"):
            yield Static("", id="jump-error", markup=False)
            yield Input(placeholder="123 · kb · metrics · queue · wallboard · theme NAME", id="jump-input")

    def on_mount(self) -> None:
        self.query_one("#jump-error", Static).display = False
        self.query_one("#jump-input", Input).focus()

    def on_key(self, event) -> None:
        # Keys typed right after ":" can arrive before the input has the focus.
        field_ = self.query_one("#jump-input", Input)
        if field_.has_focus:
            return
        if event.key == "enter":
            event.stop()
            self._submit(field_.value)
        elif event.is_printable and event.character:
            event.stop()
            field_.insert_text_at_cursor(event.character)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit(event.value)

    def _submit(self, text: str) -> None:
        try:
            jump = parse_jump(text)
        except JumpError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(jump)

    def show_error(self, message: str) -> None:
        error = self.query_one("#jump-error", Static)
        error.update(Text(f"⚠ {message}"))
        error.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)
