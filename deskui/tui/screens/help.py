"""`?`: the keys of the screen underneath, as they are bound now (after the
user's keymap), with the binding ids to remap them; then what the screen's
notation means, when it has a ``HELP_LEGEND`` (the queue's SLA column)."""

from __future__ import annotations

from typing import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from deskui.tui.keymap import bind


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for each active binding of ``screen``,
    the screen's own (and its focused widget's) before the app's."""
    app = screen.app
    grouped: dict[tuple[int, str], list] = {}
    order: list[tuple[int, str]] = []
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.system or not binding.description:
            continue
        # The screen's keys, then the app's, then Textual's own (no id).
        node_rank = 2 if binding.id is None else 1 if active.node is app else 0
        group = (node_rank, binding.id or binding.action)
        if group not in grouped:
            grouped[group] = [binding.description, binding.id or "", []]
            order.append(group)
        display = app.get_key_display(binding)
        if display not in grouped[group][2]:
            grouped[group][2].append(display)
    order.sort(key=lambda group: group[0])
    return [(" ".join(grouped[g][2]), grouped[g][0], grouped[g][1]) for g in order]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [bind("escape,q,question_mark", "close", "Close", "help.close", show=True)]

    def __init__(self, title: str, rows: list[tuple[str, str, str]],
                 legend: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.rows = rows
        #: (what the screen shows, what it means), under the keys: the screen's ``HELP_LEGEND``.
        self.legend = tuple(legend)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column(Text("Key"), no_wrap=True, style="bold")
        table.add_column(Text("Action"))
        table.add_column(Text("Id, for [keymap] in config.toml"), style="dim", no_wrap=True)
        for keys, description, binding_id in self.rows:
            table.add_row(Text(keys), Text(description), Text(binding_id))
        with Vertical(classes="dialog dialog-wide", id="help"):
            yield Label(Text(f"Keys: {self.title_text}"), classes="dialog-title")
            with VerticalScroll():
                yield Static(table)
                if self.legend:
                    yield Static(self._legend_table(), id="help-legend")
            yield Label(Text("esc close · remap keys in config.toml [keymap] by id"), classes="dialog-help")

    def _legend_table(self) -> Table:
        (heading, first), *entries = self.legend
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column(Text(heading), no_wrap=True, style="bold")
        table.add_column(Text(first))
        for shown, meaning in entries:
            table.add_row(Text(shown), Text(meaning))
        return table

    def on_resize(self, event) -> None:
        # The dialog may take 90% of the screen; its title, help line and border take 6 rows.
        self.query_one("#help VerticalScroll").styles.max_height = max(3, int(event.size.height * 0.9) - 6)

    def action_close(self) -> None:
        self.dismiss(None)
