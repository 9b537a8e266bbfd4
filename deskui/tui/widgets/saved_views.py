"""Saved views with live counts: a sidebar when wide, a one-line strip when narrow.

A saved view is a name and a query string in the queue language. The defaults
are DESIGN.md §5's; users add their own in the config file::

    [[views]]
    name = "Network P1/P2"
    query = 'group:"Network Operations" priority:1,2'
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


@dataclass(frozen=True)
class SavedView:
    name: str
    short: str
    query: str


DEFAULT_VIEWS = (
    SavedView("All open", "Open", ""),
    SavedView("My open", "Mine", "assignee:me"),
    SavedView("Unassigned", "Unasg", "assignee:none"),
    SavedView("Breaching / at risk", "Risk", "sla:breached|at_risk"),
    SavedView("Pending", "Pend", "status:pending"),
    SavedView("Recently resolved", "Done", "status:resolved,closed resolved:<7d"),
)


def views_from_settings(raw: dict | None) -> tuple[list[SavedView], list[str]]:
    """The default views plus the user's ``[[views]]``; bad entries are warnings."""
    views = list(DEFAULT_VIEWS)
    warnings: list[str] = []
    entries = (raw or {}).get("views", [])
    if not isinstance(entries, list):
        return views, ["config: views must be a list of [[views]] tables with name and query"]
    for n, entry in enumerate(entries, 1):
        name = entry.get("name") if isinstance(entry, dict) else None
        query = entry.get("query", "") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip() or not isinstance(query, str):
            warnings.append(f"config: views #{n}: needs name = \"...\" and query = \"...\"")
            continue
        views.append(SavedView(name.strip(), name.strip()[:6], query))
    return views, warnings


def compact(count: int | None) -> str:
    if count is None:
        return "…"
    if count < 10_000:
        return str(count)
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}M"


class SavedViews(Widget):
    """Lists the views; the current one is highlighted. Click to choose."""

    COMPONENT_CLASSES = {"views--title", "views--current", "views--count", "views--name"}

    current: reactive[int] = reactive(0)
    counts: reactive[tuple] = reactive(tuple, always_update=True)

    class Selected(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, views: list[SavedView], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.views = views
        self._spans: list[tuple[int, int]] = []

    def count_of(self, index: int) -> int | None:
        return self.counts[index] if index < len(self.counts) else None

    def render(self) -> Text:
        if self.size.height <= 1:
            return self._strip()
        return self._list()

    def _list(self) -> Text:
        width = max(10, self.size.width)
        title = self.get_component_rich_style("views--title", partial=True)
        current = self.get_component_rich_style("views--current", partial=True)
        count_style = self.get_component_rich_style("views--count", partial=True)
        text = Text(no_wrap=True, overflow="crop")
        text.append("VIEWS\n", title)
        for index, view in enumerate(self.views):
            count = self.count_of(index)
            number = "…" if count is None else f"{count:,}"
            marker = "▸ " if index == self.current else "  "
            name_width = max(1, width - len(marker) - len(number) - 1)
            name = view.name if len(view.name) <= name_width else view.name[: name_width - 1] + "…"
            line = Text(marker + name.ljust(name_width) + " ", no_wrap=True)
            line.append(number, count_style)
            if index == self.current:
                line.stylize(current)
            text.append_text(line)
            text.append("\n")
        return text

    def _strip(self) -> Text:
        current = self.get_component_rich_style("views--current", partial=True)
        count_style = self.get_component_rich_style("views--count", partial=True)
        text = Text(no_wrap=True, overflow="ellipsis")
        self._spans = []
        for index, view in enumerate(self.views):
            if index:
                text.append(" │ ")
            start = len(text)
            part = Text(f" {view.short} ")
            part.append(compact(self.count_of(index)), count_style)
            part.append(" ")
            if index == self.current:
                part.stylize(current)
            text.append_text(part)
            self._spans.append((start, len(text)))
        return text

    def on_click(self, event: events.Click) -> None:
        if self.size.height <= 1:
            for index, (start, end) in enumerate(self._spans):
                if start <= event.x < end:
                    self.post_message(self.Selected(index))
                    return
        elif 1 <= event.y <= len(self.views):
            self.post_message(self.Selected(event.y - 1))
