"""The wallboard (key 4, or `deskui wallboard`): the live queue for a team lead's
screen across the room. Large digits for open, at-risk, breached and unassigned
tickets, the same by group, each analyst's load, and the oldest breaches.

It refreshes by itself: a timer asks one cheap question (the newest event id)
and re-reads only when something changed, or at least every FULL_EVERY seconds
because targets breach as time passes without any event. The next tick is
scheduled only after a read finished, so reads never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Digits, Footer, Static

from deskui import clock
from deskui.domain.metrics import format_minutes, zone
from deskui.tui.widgets.status_line import StatusLine

FULL_EVERY = timedelta(seconds=30)

WALLBOARD_BINDINGS = [
    Binding("ctrl+r", "reload", "Refresh", id="wallboard.refresh", show=True),
]


@dataclass
class BoardRead(Message):
    board: Any  # deskui.store.metrics.Wallboard, or None when nothing changed
    timezone: str
    error: str = ""


class BigCount(Vertical):
    """A label and a number in large digits."""

    DEFAULT_CSS = """
    BigCount { height: 5; width: 1fr; border: round $panel-lighten-2; border-title-style: bold; padding: 0 1;
               align-horizontal: center; }
    BigCount Digits { width: auto; }
    BigCount.-breached { border: round $sla-breached; color: $sla-breached; }
    BigCount.-at_risk { border: round $sla-at-risk; color: $sla-at-risk; }
    BigCount.-unassigned { border: round $accent; color: $accent; }
    BigCount.-zero { color: $text-muted; }
    """

    def __init__(self, title: str, kind: str, **kw) -> None:
        super().__init__(classes=f"-{kind}", **kw)
        self.border_title = title

    def compose(self) -> ComposeResult:
        yield Digits("-")

    def show(self, value: int) -> None:
        self.query_one(Digits).update(f"{value:,}")
        self.set_class(value == 0, "-zero")


class BoardTable(Static):
    """A rich table of plain Text cells (names are data, never markup)."""

    DEFAULT_CSS = """
    BoardTable { height: auto; padding: 0 1; }
    """


@dataclass(frozen=True)
class Palette:
    """Rich styles from the theme's semantic colours."""

    breached: str = "bold red"
    at_risk: str = "bold yellow"
    ok: str = "green"
    muted: str = "dim"

    @classmethod
    def of(cls, app) -> "Palette":
        from deskui.tui.themes import semantic_colour

        return cls(breached=f"bold {semantic_colour(app, 'sla-breached')}",
                   at_risk=f"bold {semantic_colour(app, 'sla-at-risk')}", ok=semantic_colour(app, "sla-ok"))


def group_table(board, width: int, colours: Palette = Palette()) -> Table:
    table = Table(box=None, expand=True, header_style="bold", pad_edge=False, title_justify="left")
    table.add_column("Group", ratio=1, overflow="ellipsis", no_wrap=True)
    for header in ("open", "unassigned", "at risk", "breached"):
        table.add_column(header, justify="right", no_wrap=True)
    for g in board.groups:
        table.add_row(
            Text(g.group or "(no group)"), Text(f"{g.open:,}", style="bold"), Text(f"{g.unassigned:,}"),
            Text(f"{g.at_risk:,}", style=colours.at_risk if g.at_risk else colours.muted),
            Text(f"{g.breached:,}", style=colours.breached if g.breached else colours.muted),
        )
    if not board.groups:
        table.add_row(Text("no open tickets", style=colours.muted), "", "", "", "")
    return table


def analyst_table(board, width: int, colours: Palette = Palette()) -> Table:
    table = Table(box=None, expand=True, header_style="bold", pad_edge=False)
    table.add_column("Analyst", no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("open", justify="right", no_wrap=True)
    table.add_column("risk", justify="right", no_wrap=True)
    table.add_column("breach", justify="right", no_wrap=True)
    table.add_column("load", ratio=1, no_wrap=True, overflow="crop")
    top = max((a.open for a in board.analysts), default=0)
    bar_width = max(4, width - 18 - 5 - 5 - 7 - 6)
    for a in board.analysts:
        filled = round(a.open / top * bar_width) if top else 0
        bar = Text("█" * filled, style=colours.breached if a.breached else colours.at_risk if a.at_risk else colours.ok)
        table.add_row(Text(a.username), Text(f"{a.open:,}", style="bold"),
                      Text(f"{a.at_risk:,}", style=colours.at_risk if a.at_risk else colours.muted),
                      Text(f"{a.breached:,}", style=colours.breached if a.breached else colours.muted), bar)
    if not board.analysts:
        table.add_row(Text("nobody has open tickets", style=colours.muted), "", "", "", "")
    return table


def breach_table(board, colours: Palette = Palette(), width: int = 80) -> Table:
    """The oldest breaches; the subject takes what the other columns leave, and a wide
    screen leaves room for whole group names."""
    table = Table(box=None, expand=True, header_style="bold", pad_edge=False)
    table.add_column("#", no_wrap=True, justify="right")
    table.add_column("P", no_wrap=True)
    table.add_column("breached", no_wrap=True, justify="right")
    table.add_column("subject", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("group", no_wrap=True, overflow="ellipsis", max_width=max(22, width // 6))
    table.add_column("assignee", no_wrap=True, overflow="ellipsis", max_width=12)
    for b in board.oldest_breaches:
        ago = format_minutes((board.now - b.breached_at).total_seconds() / 60) + " ago" if b.breached_at else "-"
        table.add_row(Text(f"#{b.id}", style="bold"), Text(f"P{b.priority}", style="bold" if b.priority <= 2 else ""),
                      Text(ago, style=colours.breached), Text(b.subject), Text(b.group or "-"),
                      Text(b.assignee or "unassigned", style="" if b.assignee else colours.at_risk))
    if not board.oldest_breaches:
        table.add_row("", "", "", Text("no breaches", style=colours.ok), "", "")
    return table


class WallboardScreen(Screen):
    """Live counts, refreshed by itself."""

    BINDINGS = WALLBOARD_BINDINGS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    DEFAULT_CSS = """
    WallboardScreen #board-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    WallboardScreen #counts { height: 5; }
    WallboardScreen #loads, WallboardScreen #groups, WallboardScreen #analysts { height: auto; }
    WallboardScreen.-wide #loads { layout: horizontal; }
    WallboardScreen.-wide #groups { width: 1fr; }
    WallboardScreen.-wide #analysts { width: 1fr; }
    WallboardScreen .board-heading { height: 1; padding: 0 1; margin-top: 1; color: $text-muted; text-style: bold; }
    WallboardScreen #board-body { height: 1fr; overflow-y: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.board = None
        self.timezone = "UTC"
        self._marker: int | None = None
        self._last_full: datetime | None = None
        self._reading = False
        self._timer = None
        self.reads = 0  # full reads done (tests)

    def compose(self) -> ComposeResult:
        yield Static("Wallboard", id="board-title", markup=False)
        with Horizontal(id="counts"):
            yield BigCount("OPEN", "open", id="count-open")
            yield BigCount("AT RISK", "at_risk", id="count-at-risk")
            yield BigCount("BREACHED", "breached", id="count-breached")
            yield BigCount("UNASSIGNED", "unassigned", id="count-unassigned")
        with Vertical(id="board-body"):
            with Vertical(id="loads"):
                with Vertical(id="groups"):
                    yield Static("By group", classes="board-heading", markup=False)
                    yield BoardTable(id="group-table")
                with Vertical(id="analysts"):
                    yield Static("Analyst load", classes="board-heading", markup=False)
                    yield BoardTable(id="analyst-table")
            yield Static("Oldest breaches", classes="board-heading", markup=False)
            yield BoardTable(id="breach-table")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.read(force=True)

    def on_screen_resume(self) -> None:
        self.read(force=False)

    def action_reload(self) -> None:
        self.read(force=True)

    def on_resize(self, _event: Resize) -> None:
        # The load bars and the breach table's columns are cut for the width: cut them again.
        if self.board is not None:
            self.call_after_refresh(self._show, self.board)

    # ------------------------------------------------------------ reading

    def read(self, *, force: bool) -> None:
        if self._reading:
            return
        self._reading = True
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.run_worker(partial(self._read, force, self._marker, self._last_full), thread=True, exclusive=True,
                        group="wallboard", name="wallboard", exit_on_error=False)

    def _read(self, force: bool, marker: int | None, last_full: datetime | None) -> None:
        from deskui.store import metrics as m
        from deskui.store.db import session_scope

        engine = self.app.desk.engine
        now = clock.now()
        try:
            with session_scope(engine) as session:
                tz = (self.timezone if self.board is not None else m.desk_timezone(session))
                stale = last_full is None or now - last_full >= FULL_EVERY
                if not force and not stale and m.change_marker(session) == marker:
                    self.post_message(BoardRead(None, tz))
                    return
                board = m.wallboard(session, now=now)
            self.post_message(BoardRead(board, tz))
        except Exception as exc:  # a locked or unreachable database must not stop the board
            self.post_message(BoardRead(None, self.timezone, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"))

    def on_board_read(self, message: BoardRead) -> None:
        self._reading = False
        self.timezone = message.timezone
        if message.error:
            self.query_one(StatusLine).note = f"wallboard: {message.error}"
        elif message.board is not None:
            self.board = message.board
            self._marker = message.board.marker
            self._last_full = message.board.now
            self.reads += 1
            self._show(message.board)
        seconds = self.app.desk.live_refresh_seconds
        if seconds and seconds > 0:
            self._timer = self.set_timer(seconds, partial(self.read, force=False))

    def _show(self, board) -> None:
        local = board.now.replace(tzinfo=None)
        try:
            from datetime import timezone as dt_timezone

            local = board.now.replace(tzinfo=dt_timezone.utc).astimezone(zone(self.timezone))
        except ValueError:
            pass
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Wallboard", "bold")
        title.append(f" · {local:%a %d %b %H:%M} {self.timezone} · live queue")
        self.query_one("#board-title", Static).update(title)
        self.query_one("#count-open", BigCount).show(board.open)
        self.query_one("#count-at-risk", BigCount).show(board.at_risk)
        self.query_one("#count-breached", BigCount).show(board.breached)
        self.query_one("#count-unassigned", BigCount).show(board.unassigned)
        width = self.size.width or 80
        half = width // 2 if self.has_class("-wide") else width
        colours = Palette.of(self.app)
        self.query_one("#group-table", BoardTable).update(group_table(board, half, colours))
        self.query_one("#analyst-table", BoardTable).update(analyst_table(board, half - 2, colours))
        self.query_one("#breach-table", BoardTable).update(breach_table(board, colours, width - 2))
        self.query_one(StatusLine).note = f"{board.open:,} open · {board.breached:,} breached"
        if hasattr(self.app, "live_counts"):
            self.app.live_counts = (board.at_risk, board.breached)
