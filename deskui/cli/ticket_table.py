"""`deskui ticket list` as a table (issue 15 item 12), the way `gh issue list` does it.

On a terminal: one line per ticket, fitted to its width. The subject takes the
room left and is cut with "…"; when even a short subject does not fit, whole
columns go, the least useful first (``DROP_ORDER``), never the number or the
subject.

Not a terminal (a pipe, a file): every column in full, tab-separated, one line
per ticket and no header, in the order of ``FULL_COLUMNS`` (the README lists
it); ``--format csv`` or ``json`` give a header or keys.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

#: The columns of the tab-separated rows (the keys of the JSON rows).
FULL_COLUMNS = ("number", "priority", "status", "sla", "type", "subject", "requester", "group", "assignee",
                "category", "resolution_due_at", "updated_at")

#: A subject narrower than this drops another column instead.
MIN_SUBJECT = 30
GAP = 2


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    cell: Callable[[dict, datetime], str]
    max_width: int = 0  # 0: as wide as its widest cell


def _age(value, now: datetime) -> str:
    from deskui.reads.queue_rows import age

    return age(value, now) if isinstance(value, datetime) else ""


def _due(value, _now: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}Z" if isinstance(value, datetime) else ""


def _plain(key: str) -> Callable[[dict, datetime], str]:
    return lambda row, _now: "" if row.get(key) is None else str(row[key])


#: In the order shown, left to right.
COLUMNS = (
    Column("number", "ID", _plain("number")),
    Column("priority", "P", lambda row, _now: f"P{row['priority']}"),
    Column("sla", "SLA", lambda row, _now: (row.get("sla") or "-").replace("_", " ")),
    Column("status", "STATUS", _plain("status")),
    Column("subject", "SUBJECT", _plain("subject")),
    Column("assignee", "ASSIGNEE", _plain("assignee"), 12),
    Column("group", "GROUP", _plain("group"), 20),
    Column("type", "TYPE", _plain("type")),
    Column("category", "CATEGORY", _plain("category"), 24),
    Column("requester", "REQUESTER", _plain("requester"), 28),
    Column("resolution_due_at", "DUE", lambda row, now: _due(row.get("resolution_due_at"), now)),
    Column("updated_at", "UPDATED", lambda row, now: _age(row.get("updated_at"), now)),
)

#: Dropped in this order when the terminal is too narrow.
DROP_ORDER = ("resolution_due_at", "requester", "category", "type", "group", "updated_at", "assignee", "status",
              "sla", "priority")

SLA_STYLES = {"breached": "bold red", "at risk": "yellow", "paused": "dim", "met": "green"}


def one_line(text: str) -> str:
    """Untrusted text on one line: tabs and line breaks become spaces."""
    return " ".join(text.split()) if any(ch in text for ch in "\t\n\r\v\f") else text


def fit(rows: Sequence[dict], width: int, now: datetime) -> list[tuple[Column, int]]:
    """The columns that fit in ``width`` cells and the width of each."""
    from rich.cells import cell_len

    cells = {c.key: [one_line(c.cell(row, now)) for row in rows] for c in COLUMNS}
    natural = {}
    for column in COLUMNS:
        widest = max([cell_len(column.header), *(cell_len(value) for value in cells[column.key])])
        natural[column.key] = min(widest, column.max_width) if column.max_width else widest
    shown = list(COLUMNS)

    def others() -> int:
        return sum(natural[c.key] for c in shown if c.key != "subject") + GAP * (len(shown) - 1)

    for key in DROP_ORDER:
        if others() + min(MIN_SUBJECT, natural["subject"]) <= width:
            break
        shown = [c for c in shown if c.key != key]
    subject = max(1, min(natural["subject"], width - others()))
    return [(c, subject if c.key == "subject" else natural[c.key]) for c in shown]


def print_rows(rows: Sequence[dict], now: datetime, *, out=None, width: int | None = None,
               terminal: bool | None = None) -> None:
    """The rows for a terminal (fitted) or for a pipe (tab-separated, in full)."""
    out = out or sys.stdout
    if terminal is None:
        terminal = out.isatty()
    if not terminal:
        for row in rows:
            out.write("\t".join(_tsv_cell(row.get(key)) for key in FULL_COLUMNS) + "\n")
        return
    import shutil

    from rich.console import Console
    from rich.text import Text

    width = width or shutil.get_terminal_size().columns
    console = Console(file=out, width=width, highlight=False, soft_wrap=False)
    if not rows:
        console.print(Text("No tickets match.", style="dim"))
        return
    layout = fit(rows, width, now)

    def line(cells: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for n, ((value, style), (_column, cell_width)) in enumerate(zip(cells, layout)):
            if n:
                text.append(" " * GAP)
            # Text, never markup: subjects and names are untrusted (DESIGN.md §3).
            cell = Text(value, style=style)
            cell.truncate(cell_width, overflow="ellipsis", pad=n < len(layout) - 1)
            text.append_text(cell)
        text.truncate(width)
        return text

    console.print(line([(c.header, "bold") for c, _ in layout]))
    for row in rows:
        values = []
        for column, _ in layout:
            value = one_line(column.cell(row, now))
            style = SLA_STYLES.get(value, "") if column.key == "sla" else ""
            values.append((value, style))
        console.print(line(values))


def _tsv_cell(value) -> str:
    from deskui.cli.common import to_plain

    value = to_plain(value)
    return "" if value is None else one_line(str(value))
