"""The wallboard's panels: the big counts and the tables by group, by analyst
and of the oldest breaches. Names are data: every cell is plain Text."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static

from deskui.domain.metrics import format_minutes


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
    # A wide screen gets natural widths: the group and assignee next to the subject,
    # not pushed to the far edge (issue 15.16).
    table = Table(box=None, expand=width <= 140, header_style="bold", pad_edge=False)
    table.add_column("#", no_wrap=True, justify="right")
    table.add_column("P", no_wrap=True)
    table.add_column("breached", no_wrap=True, justify="right")
    # Readable from across the room: the subject stops at 80 columns on a wide screen
    # rather than pushing the group and assignee to the far edge.
    table.add_column("subject", ratio=1, no_wrap=True, overflow="ellipsis", max_width=80)
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
