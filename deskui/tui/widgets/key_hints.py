"""A one-line footer of the screen's main keys, drawn as a single Text.

Textual's Footer builds a widget per key and restyles them all whenever the
bindings change; on the queue that cost more than the whole first page, so
every screen shows its keys this way. It follows the user's keymap (it reads the
active bindings), keeps "? Keys" and "q Quit" at any width, and a click on a key
runs its action.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget


# Kept in the footer at any width (issue 15.16): the way to every other key, and back or out.
ESSENTIAL_ACTIONS = frozenset({"help", "app.help", "back", "app.back", "back_or_quit", "app.back_or_quit"})


class KeyHints(Widget):
    COMPONENT_CLASSES = {"hints--key", "hints--label", "hints--unavailable"}

    DEFAULT_CSS = """
    KeyHints { height: 1; dock: bottom; }
    KeyHints > .hints--unavailable { color: $text-disabled; text-style: strike; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, str, object]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    def _hints(self) -> list[tuple[str, str, str, object]]:
        """(key display, description, action, node) of each shown binding, once per action.
        A binding the actor may not use (check_action None: deskui/tui/permissions.py) is
        shown too, as unavailable; one hidden for now (check_action False) is not."""
        seen: dict[tuple[int, str], list] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not (active.enabled or self._unavailable(binding.action, active.node)):
                continue
            key = (id(active.node), binding.action)
            display = self.app.get_key_display(binding)
            if key in seen:
                continue
            seen[key] = [display, binding.description, binding.action, active.node]
        return [tuple(v) for v in seen.values()]

    @staticmethod
    def _unavailable(action: str, node) -> bool:
        denial = getattr(node, "permission_denial", None)
        return denial is not None and denial(action.split("(", 1)[0]) is not None

    def _palette_key(self) -> str:
        for active in self.screen.active_bindings.values():
            if active.binding.action in ("command_palette", "app.command_palette"):
                return self.app.get_key_display(active.binding)
        return "^p"

    def render(self) -> Text:
        key_style = self.get_component_rich_style("hints--key", partial=True)
        label_style = self.get_component_rich_style("hints--label", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        self._spans = []
        palette = f"{self._palette_key()} Commands"
        hints = self._hints()
        # "? Keys" and "q Quit" stay whatever the width: the screen's own keys give way first.
        essential = [h for h in hints if h[2] in ESSENTIAL_ACTIONS]
        shown = [h for h in hints if h[2] not in ESSENTIAL_ACTIONS]
        reserved = sum(cell_len(d) + cell_len(t) + 3 for d, t, _a, _n in essential)
        room = self.size.width - cell_len(palette) - 2
        fitting = []
        used = 0
        for hint in shown:
            part_len = cell_len(hint[0]) + cell_len(hint[1]) + 3
            if used + part_len + reserved > room:
                break
            fitting.append(hint)
            used += part_len
        unavailable = self.get_component_rich_style("hints--unavailable", partial=True)
        for display, description, action, node in fitting + essential:
            start = cell_len(text.plain)
            off = self._unavailable(action, node)
            text.append(f" {display} ", unavailable if off else key_style)
            text.append(f"{description} ", unavailable if off else label_style)
            self._spans.append((start, cell_len(text.plain), action, node))
        gap = max(1, self.size.width - cell_len(text.plain) - cell_len(palette) - 1)
        text.append(" " * gap)
        start = cell_len(text.plain)
        keys, _, label = palette.partition(" ")
        text.append(keys, key_style)
        text.append(f" {label} ", label_style)
        self._spans.append((start, cell_len(text.plain), "command_palette", self.app))
        return text

    async def on_click(self, event: events.Click) -> None:
        for start, end, action, node in self._spans:
            if start <= event.x < end:
                denial = getattr(node, "permission_denial", None)
                line = denial(action.split("(", 1)[0]) if denial is not None else None
                if line is not None:
                    self.notify(line, severity="warning", markup=False)
                else:
                    await self.app.run_action(action, node)
                return
