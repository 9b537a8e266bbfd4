"""The virtual queue: a ScrollView that renders only the lines on screen.

The recipe of DESIGN.md §4 (Toolong's log view): the screen hands the view the
ordered ids of the whole queue (``array('I')``, 4 bytes a ticket); the view's
virtual height is their number; rows are fetched by id in ~100-row pages, in a
thread worker, into an LRU cache, a screen above and below the visible part
ahead of time. Column widths are fixed per terminal width, never measured
from the data.

Untrusted text (subjects, names) is drawn as plain Segments: never parsed as
markup, and any control character left is shown as a visible symbol.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Callable, Iterable, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskui import clock
from deskui.domain.text import show_invisible
from deskui.reads.failures import one_line
from deskui.reads.queue import id_array
from deskui.reads.queue_rows import QueueRow, age, sla_cell

PAGE_SIZE = 100
CACHE_ROWS = 2000

# ------------------------------------------------------------------ cells

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """One line of untrusted text, with every control character made visible
    (ESC becomes ␛): it was cleaned on the way in, this is defence in depth."""
    text = show_invisible(text)  # stored before sanitising showed them; see deskui.domain.text
    return _CONTROL.sub(_control_picture, text) if _CONTROL.search(text) else text


def _control_picture(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


_STATUS_SHORT = {"new": "new", "open": "open", "pending": "pend", "resolved": "resv", "closed": "clsd",
                 "cancelled": "canc"}
_TYPE_SHORT = {"incident": "inc", "request": "req", "problem": "prb"}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    narrow: int  # width when squeezed (0: cannot narrow)
    align: str = "left"
    short: str = ""  # title when squeezed

    def heading(self, width: int) -> str:
        return self.short if self.short and width < len(self.title) else self.title


# Subject takes what is left. Order here is order on screen.
COLUMNS = (
    Column("mark", "", 1, 0),
    Column("number", "#", 8, 0),
    Column("priority", "P", 2, 0),
    Column("sla", "SLA", 8, 0, "right"),
    Column("status", "Status", 8, 4, short="Stat"),
    Column("type", "Type", 8, 3, short="Typ"),
    Column("subject", "Subject", 0, 0),
    Column("requester", "Requester", 20, 14),
    Column("group", "Group", 18, 12),
    Column("assignee", "Assignee", 10, 8),
    Column("age", "Upd", 4, 0, "right"),
)
_NARROW_ORDER = ("requester", "group", "type", "status", "assignee", "sla")
_DROP_ORDER = ("requester", "type", "group", "age", "assignee")
MIN_SUBJECT = 24
WIDE_SUBJECT = 60  # beyond this, give width back to the other columns


def layout(width: int) -> list[tuple[Column, int]]:
    """Fixed column widths for a line of ``width`` cells (subject flexes)."""
    widths = {c.key: c.width for c in COLUMNS}
    shown = [c.key for c in COLUMNS]

    def fixed() -> int:
        keys = [k for k in shown if k != "subject"]
        return sum(widths[k] for k in keys) + len(shown) - 1  # one space between columns

    for key in _NARROW_ORDER:
        if width - fixed() >= MIN_SUBJECT:
            break
        narrow = next(c.narrow for c in COLUMNS if c.key == key)
        if narrow:
            widths[key] = narrow
    for key in _DROP_ORDER:
        if width - fixed() >= MIN_SUBJECT:
            break
        shown.remove(key)
    widths["subject"] = max(8, width - fixed())
    # A very long subject column helps less than whole group and requester names.
    for key, most in (("group", 8), ("requester", 6), ("assignee", 4)):
        spare = widths["subject"] - WIDE_SUBJECT
        if spare <= 0:
            break
        if key in shown:
            grow = min(spare, most)
            widths[key] += grow
            widths["subject"] -= grow
    return [(c, widths[c.key]) for c in COLUMNS if c.key in shown]


# ------------------------------------------------------------------ the view


class QueueView(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of the queue. The screen owns the ids and asks; the view renders.

    It has no key bindings of its own (not even ScrollView's): the screen's
    cursor keys move the cursor, and the view follows it."""

    COMPONENT_CLASSES = {
        "queue--header", "queue--cursor", "queue--cursor-blurred", "queue--marked", "queue--dim",
        "queue--sla-ok", "queue--sla-at_risk", "queue--sla-breached", "queue--sla-paused", "queue--sla-met",
        "queue--p1", "queue--p2", "queue--p3", "queue--p4", "queue--status-new", "queue--subject",
    }

    DEFAULT_CSS = """
    QueueView { overflow-x: hidden; overflow-y: auto; }
    """

    class CursorMoved(Message):
        def __init__(self, view: "QueueView", ticket_id: int | None, index: int) -> None:
            super().__init__()
            self.view = view
            self.ticket_id = ticket_id
            self.index = index

    class Activated(Message):
        """Enter or a double click on a row."""

        def __init__(self, view: "QueueView", ticket_id: int) -> None:
            super().__init__()
            self.view = view
            self.ticket_id = ticket_id

    class RowsLoaded(Message):
        def __init__(self, generation: int, rows: list[QueueRow], error: str = "", final: bool = True) -> None:
            super().__init__()
            self.generation = generation
            self.rows = rows
            self.error = error
            self.final = final  # the last answer of this load

    def __init__(self, loader: Callable[[Sequence[int]], list[QueueRow]] | None = None, *,
                 now: Callable[[], datetime] = clock.now, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.loader = loader
        self.now = now
        self.ids: array = id_array()
        self.loaded = False  # False until the first ids arrive: show "Loading"
        self.empty_message = "No tickets match this view."
        self.cursor = 0
        self.marks: set[int] = set()
        self.sort = "sla"
        self._cache: OrderedDict[int, QueueRow] = OrderedDict()
        self._generation = 0  # bumps when the cache is cleared; stale loads are dropped
        self._loading = False
        self._again = False
        self._layout_width = -1
        self._layout: list[tuple[Column, int]] = []
        self._sla_memo: dict[tuple[int, int], tuple[str, str]] = {}
        self._sla_minute: datetime | None = None

    # ------------------------------------------------------------ data in

    def set_ids(self, ids: array, *, keep_cursor: bool = True, loaded: bool = True) -> None:
        """Replace the ordered ids (a new query, or a refresh).

        With ``keep_cursor`` the cursor stays on the same ticket, on the same
        screen line, when that ticket is still in the list."""
        old_id = self.cursor_id
        screen_line = self.cursor - int(self.scroll_y)
        self.ids = ids
        self.loaded = loaded
        index = 0
        if keep_cursor and old_id is not None:
            try:
                index = ids.index(old_id)
            except ValueError:
                index = min(self.cursor, len(ids) - 1)
        self.cursor = max(0, min(index, len(ids) - 1))
        self._set_virtual_height()
        if keep_cursor:
            self._scroll_to_line(self.cursor - max(0, screen_line))
        else:
            self._scroll_to_line(0)
        self._ensure_cursor_visible()
        self._cursor_changed()
        self.refresh()
        self.request_rows()

    def extend_ids(self, chunk: array) -> None:
        """More ids of the same query arrived (the list grows as it is read)."""
        shown_to = int(self.scroll_y) + self.visible_rows
        had = len(self.ids)
        self.ids.extend(chunk)
        self._set_virtual_height()  # the scrollbar follows
        if had < shown_to:
            # Only when the new rows are on screen: repainting unchanged lines
            # for every batch of a million-row list slows the reading down.
            self.refresh()
            self.request_rows()

    def patch_rows(self, rows: Iterable[QueueRow]) -> None:
        """Fresh copies of rows (another analyst changed them): replace in place."""
        for row in rows:
            self._cache[row.id] = row
            self._cache.move_to_end(row.id)
        self._trim()
        self.refresh()

    def forget(self, ticket_ids: Iterable[int] | None = None) -> None:
        """Drop cached rows (all of them with None) so they are read again."""
        if ticket_ids is None:
            self._cache.clear()
            self._generation += 1
        else:
            for ticket_id in ticket_ids:
                self._cache.pop(ticket_id, None)
        self._sla_memo.clear()
        self.refresh()
        self.request_rows()

    def cached_ids(self) -> frozenset[int]:
        return frozenset(self._cache)

    def row(self, ticket_id: int) -> QueueRow | None:
        return self._cache.get(ticket_id)

    # ------------------------------------------------------------ cursor

    @property
    def cursor_id(self) -> int | None:
        if 0 <= self.cursor < len(self.ids):
            return self.ids[self.cursor]
        return None

    @property
    def visible_rows(self) -> int:
        """Lines available for tickets (the first line is the header)."""
        return max(1, self.scrollable_content_region.height - 1)

    def move_cursor(self, index: int) -> None:
        if not self.ids:
            return
        index = max(0, min(index, len(self.ids) - 1))
        if index == self.cursor:
            self._ensure_cursor_visible()
            return
        self.cursor = index
        self._ensure_cursor_visible()
        self._cursor_changed()
        self.refresh()

    def move_by(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def page(self, fraction: float) -> None:
        """Move the cursor and the view by a share of a page (negative: up)."""
        step = max(1, int(self.visible_rows * abs(fraction)))
        step = step if fraction > 0 else -step
        top = int(self.scroll_y)
        self.move_cursor(self.cursor + step)
        self._scroll_to_line(top + step)
        self._ensure_cursor_visible()

    def toggle_mark(self) -> None:
        ticket_id = self.cursor_id
        if ticket_id is None:
            return
        if ticket_id in self.marks:
            self.marks.discard(ticket_id)
        else:
            self.marks.add(ticket_id)
        self.refresh()

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()

    def prune_marks(self) -> None:
        """Keep only marks whose tickets are still in the list."""
        if not self.marks:
            return
        if len(self.marks) <= 32:
            keep = set()
            for ticket_id in self.marks:
                try:
                    self.ids.index(ticket_id)
                    keep.add(ticket_id)
                except ValueError:
                    pass
        else:
            marks = self.marks
            keep = {ticket_id for ticket_id in self.ids if ticket_id in marks}
        self.marks = keep

    def _cursor_changed(self) -> None:
        self.post_message(self.CursorMoved(self, self.cursor_id, self.cursor))

    def _ensure_cursor_visible(self) -> None:
        top = int(self.scroll_y)
        rows = self.visible_rows
        if self.cursor < top:
            self._scroll_to_line(self.cursor)
        elif self.cursor >= top + rows:
            self._scroll_to_line(self.cursor - rows + 1)

    def _scroll_to_line(self, line: int) -> None:
        line = max(0, min(line, max(0, len(self.ids) - self.visible_rows)))
        self.scroll_to(y=line, animate=False, immediate=True)

    def _set_virtual_height(self) -> None:
        """A new number of ids, or a new size: when the width and the scrollbar
        stay, move the scrollbar without laying out the screen, as Textual's own
        ``_size_updated(layout=False)`` does.
        Setting ``virtual_size`` repaints every widget (8-17 ms): once per
        filter, and once per batch while a million ids are read (thirty times,
        slowing the thread that reads them)."""
        size = Size(self.scrollable_content_region.width, len(self.ids) + 1)
        bar_stays = self.show_vertical_scrollbar and size.height > self.container_size.height
        if bar_stays and size.width == self.virtual_size.width:
            self.set_reactive(QueueView.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size  # the scrollbar comes or goes: the width changes

    # ------------------------------------------------------------ events

    def on_resize(self, event: events.Resize) -> None:
        self._set_virtual_height()
        self._ensure_cursor_visible()
        self.request_rows()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.request_rows()

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.ids):
            self.move_cursor(index)
            if event.chain >= 2:
                self.post_message(self.Activated(self, self.ids[index]))

    # ------------------------------------------------------------ loading

    def request_rows(self) -> None:
        """Fetch the pages around the visible part that are not cached yet:
        the visible rows first (painted at once), then a screen above and below."""
        if self.loader is None or not self.ids or not self.is_mounted:
            return
        if self._loading:
            self._again = True
            return
        visible, around = self._missing_ids()
        if not visible and not around:
            return
        self._loading = True
        self._again = False
        generation = self._generation
        self.run_worker(partial(self._load, visible, around, generation), thread=True, group="queue-rows",
                        exit_on_error=False, name="queue rows")

    def _missing_ids(self) -> tuple[list[int], list[int]]:
        rows = self.visible_rows
        top = int(self.scroll_y)
        count = len(self.ids)
        cache = self._cache
        visible = [i for i in self.ids[top:top + rows] if i not in cache]
        # Whole pages from a screen above to a screen below.
        first_page, last_page = max(0, top - rows) // PAGE_SIZE, min(count - 1, top + 2 * rows) // PAGE_SIZE
        wanted = set(visible)
        around = [i for i in self.ids[first_page * PAGE_SIZE:(last_page + 1) * PAGE_SIZE]
                  if i not in cache and i not in wanted]
        return visible, around

    def _load(self, visible: list[int], around: list[int], generation: int) -> None:
        try:
            if visible:
                rows = self.loader(visible)
                self.post_message(self.RowsLoaded(generation, rows, final=not around))
            if around:
                self.post_message(self.RowsLoaded(generation, self.loader(around), final=True))
        except Exception as exc:
            # Always answer, so a failed load does not leave the view waiting.
            self.post_message(self.RowsLoaded(generation, [], error=one_line(exc)))

    def on_queue_view_rows_loaded(self, message: "QueueView.RowsLoaded") -> None:
        message.stop()
        if message.final or message.error:
            self._loading = False
        if message.error:
            # Shown once; the next scroll or refresh tries again.
            self.notify(f"could not read tickets: {message.error}", severity="error", markup=False)
            return
        if message.generation == self._generation:
            for row in message.rows:
                self._cache[row.id] = row
            self._trim()
            self.refresh()
        if message.final and (self._again or message.generation != self._generation):
            self.request_rows()

    def _trim(self) -> None:
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------ render

    def _styles(self) -> dict[str, Style]:
        get = self.get_component_rich_style
        return {name: get(name, partial=True) for name in self.COMPONENT_CLASSES}

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._layout_width:
            self._layout = layout(width)
            self._layout_width = width
        base = self.rich_style
        styles = self._styles()
        if y == 0:
            return self._header(width, base + styles["queue--header"])
        index = int(self.scroll_y) + y - 1
        if index >= len(self.ids):
            if not self.ids and y == 1:
                message = "Loading…" if not self.loaded else self.empty_message
                return Strip([Segment(set_cell_size(f"  {message}", width), base + styles["queue--dim"])], width)
            return Strip.blank(width, base)
        ticket_id = self.ids[index]
        row_style = base
        if index == self.cursor:
            row_style = base + styles["queue--cursor" if self.has_focus else "queue--cursor-blurred"]
        row = self._cache.get(ticket_id)
        marked = ticket_id in self.marks
        if row is not None:
            self._cache.move_to_end(ticket_id)  # least recently shown goes first
        if row is None:
            return self._placeholder(ticket_id, marked, width, row_style, styles)
        return self._row(row, marked, width, row_style, styles)

    def _header(self, width: int, style: Style) -> Strip:
        arrow = {"sla": "sla", "priority": "priority", "updated": "age", "created": "age"}.get(self.sort)
        segments = []
        for column, w in self._layout:
            title = column.heading(w)
            if column.key == "age":
                title = "Age" if self.sort == "created" else "Upd"
            if column.key == arrow:
                title = f"{title}▼"
            segments.append(Segment(_fit(title, w, column.align), style))
            segments.append(Segment(" ", style))
        return Strip(segments[:-1], width).adjust_cell_length(width, style)

    def _placeholder(self, ticket_id: int, marked: bool, width: int, style: Style, styles) -> Strip:
        segments = []
        for column, w in self._layout:
            if column.key == "mark":
                segments.append(Segment("●" if marked else " ", style + styles["queue--marked"]))
            elif column.key == "number":
                segments.append(Segment(_fit(f"#{ticket_id}", w), style))
            elif column.key == "subject":
                segments.append(Segment(_fit("…", w), style + styles["queue--dim"]))
            else:
                segments.append(Segment(" " * w, style))
            segments.append(Segment(" ", style))
        return Strip(segments[:-1]).adjust_cell_length(width, style)

    def _sla(self, row: QueueRow) -> tuple[str, str]:
        now = self.now()
        minute = now.replace(second=0, microsecond=0)
        if minute != self._sla_minute:
            self._sla_memo.clear()
            self._sla_minute = minute
        key = (row.id, row.version)
        cell = self._sla_memo.get(key)
        if cell is None:
            cell = self._sla_memo[key] = sla_cell(row, now)
        return cell

    def _row(self, row: QueueRow, marked: bool, width: int, style: Style, styles) -> Strip:
        segments = []
        for column, w in self._layout:
            key = column.key
            cell_style = style
            if key == "mark":
                text = "●" if marked else " "
                cell_style = style + styles["queue--marked"]
            elif key == "number":
                text = f"#{row.id}"
                if marked:
                    cell_style = style + styles["queue--marked"]
            elif key == "priority":
                text = f"P{row.priority}"
                cell_style = style + styles.get(f"queue--p{row.priority}", Style())
            elif key == "sla":
                text, state = self._sla(row)
                cell_style = style + styles.get(f"queue--sla-{state}", styles["queue--dim"])
            elif key == "status":
                text = row.status if w >= 8 else _STATUS_SHORT.get(row.status, row.status)
                if row.status == "new":
                    cell_style = style + styles["queue--status-new"]
            elif key == "type":
                text = row.type if w >= 8 else _TYPE_SHORT.get(row.type, row.type)
            elif key == "subject":
                text = row.subject
                cell_style = style + styles["queue--subject"]
            elif key == "requester":
                text = row.requester
            elif key == "group":
                text = row.group
            elif key == "assignee":
                text = row.assignee or "—"
                if not row.assignee:
                    cell_style = style + styles["queue--dim"]
            elif key == "age":
                text = age(row.created_at if self.sort == "created" else row.updated_at, self.now())
                cell_style = style + styles["queue--dim"]
            else:  # pragma: no cover - every column is handled above
                text = ""
            segments.append(Segment(_fit(visible(text), w, column.align), cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments[:-1]).adjust_cell_length(width, style)


def _fit(text: str, width: int, align: str = "left") -> str:
    """Exactly ``width`` cells: cut with an ellipsis, or padded."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    if align == "right":
        return " " * (width - length) + text
    return text + " " * (width - length)
