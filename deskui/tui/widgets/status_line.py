"""The status line: who you are, which database, live SLA counts, and the
screen's own note (view, sort, marks)."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


def describe_database(engine) -> str:
    """The database URL with the password hidden; a SQLite file as its path."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        try:
            path = Path(database)
            home = Path.home()
            if path.is_absolute() and path.is_relative_to(home):
                database = "~/" + str(path.relative_to(home))
        except (OSError, RuntimeError, ValueError):
            pass
        return f"sqlite:{database}"
    return url.render_as_string(hide_password=True)


def _short(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return "…" + text[-(width - 1):] if width > 1 else text[:width]


class StatusLine(Widget):
    """One line. Counts come from the app (``live_counts``), the note from the screen."""

    COMPONENT_CLASSES = {"status--user", "status--db", "status--at-risk", "status--breached", "status--note",
                         "status--sep"}

    note: reactive[str] = reactive("")
    at_risk: reactive[int | None] = reactive(None)
    breached: reactive[int | None] = reactive(None)

    def on_mount(self) -> None:
        if hasattr(self.app, "live_counts"):
            self.watch(self.app, "live_counts", self._counts_changed)

    def _counts_changed(self, counts) -> None:
        if counts:
            self.at_risk, self.breached = counts

    def render(self) -> Text:
        desk = getattr(self.app, "desk", None)
        style = self.get_component_rich_style
        width = self.size.width or 80
        user = desk.actor.username if desk else "?"
        database = describe_database(desk.engine) if desk else ""
        sep = (" │ ", style("status--sep", partial=True))
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {user}", style("status--user", partial=True))
        text.append(*sep)
        text.append("at risk ", style("status--at-risk", partial=True))
        text.append("…" if self.at_risk is None else f"{self.at_risk:,}", style("status--at-risk", partial=True))
        text.append(*sep)
        text.append("breached ", style("status--breached", partial=True))
        text.append("…" if self.breached is None else f"{self.breached:,}", style("status--breached", partial=True))
        if self.note:
            text.append(*sep)
            text.append(self.note, style("status--note", partial=True))
        room = width - text.cell_len - 3
        if room >= 12 and database:
            text.append(*sep)
            text.append(_short(database, room), style("status--db", partial=True))
        return text
