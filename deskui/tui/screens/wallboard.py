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

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from deskui import clock
from deskui.reads.failures import one_line
from deskui.domain.metrics import zone
from deskui.tui.screens.fresh import FreshOnFirstResume
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine
from deskui.tui.widgets.wallboard_panels import (
    BigCount, BoardTable, Palette, analyst_table, breach_table, group_table,
)

FULL_EVERY = timedelta(seconds=30)

WALLBOARD_BINDINGS = [
    Binding("ctrl+r", "reload", "Refresh", id="wallboard.refresh", show=True),
]


@dataclass
class BoardRead(Message):
    board: Any  # deskui.reads.wallboard.Wallboard, or None when nothing changed
    timezone: str
    error: str = ""


class WallboardScreen(FreshOnFirstResume, Screen):
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
            # Calendar time since the deadline; the queue's SLA column counts business time.
            yield Static("Oldest breaches (calendar time since the deadline)", classes="board-heading", markup=False)
            yield BoardTable(id="breach-table")
        yield StatusLine(id="status")
        yield KeyHints()

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
        from deskui.reads.wallboard import board_if_changed

        now = clock.now()
        try:
            stale = last_full is None or now - last_full >= FULL_EVERY
            board, tz = board_if_changed(self.app.desk.engine, now=now, marker=marker, force=force or stale,
                                         timezone=self.timezone if self.board is not None else None,
                                         breaches=self.breach_rows())
            self.post_message(BoardRead(board, tz))
        except Exception as exc:  # a locked or unreachable database must not stop the board
            self.post_message(BoardRead(None, self.timezone, one_line(exc)))

    def breach_rows(self) -> int:
        """The oldest breaches fill the rows the counts and tables above leave (a tall
        wall screen showed ten and a 24-row empty band: issue 15.16)."""
        return max(10, min(100, self.size.height - 26))

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
