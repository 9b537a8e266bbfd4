"""The metrics screen's panels: the KPI tiles (each against its target and the
previous period) and the charts (volume and SLA compliance per day, the arrivals
heatmap), with the pure renderers behind them. They show frozen figures handed
to them (deskui.reads.metrics); none reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from rich.text import Text
from textual.widget import Widget

from deskui.domain.metrics import (
    HIGHER, LOWER, WEEKDAYS, assess, change, format_change, format_share,
    format_target, format_value,
)

BLOCKS = " ▁▂▃▄▅▆▇█"
SHADES = " ░▒▓█"


# ====================================================================== data


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    previous: float | None
    target: float | None
    better: str
    unit: str
    status: str  # good | near | bad | none
    note: str = ""  # shown instead of the change when there is none (e.g. nothing to compare with)

    @property
    def delta(self) -> float | None:
        return change(self.value, self.previous)

    @property
    def trend(self) -> str:
        """improved | worsened | same | none, against the previous period."""
        d = self.delta
        if d is None:
            return "none"
        if d == 0:
            return "same"
        return "improved" if (d > 0) == (self.better == HIGHER) else "worsened"


def comparable(opened_now: int, opened_before: int) -> bool:
    """Whether the previous period holds enough tickets for a change against it to
    mean anything: at least a quarter as many as the current one (issue 15.18: a
    90-day period against an almost empty one showed "+1,982")."""
    return opened_before * 4 >= opened_now and (opened_before > 0 or opened_now == 0)


def build_tiles(report, previous=None, recurrence=None) -> list[Tile]:
    """The tiles: counts, then every KPI with its target, each against the previous period
    (when it is known, and holds enough tickets to compare with: else no change is shown
    and the tiles say so). The backlog is "now" in both periods, so it has no change.
    The recurrence tile is left out until its figures are known."""
    from deskui.reads.metrics import kpis

    now_kpis = kpis(report.figures, report.target_figures, report.targets)
    note = ""
    if previous is not None and not comparable(report.figures.opened, previous.figures.opened):
        previous, note = None, "no comparison"
    before = {}
    if previous is not None:
        before = {k.key: k.value for k in kpis(previous.figures, previous.target_figures, previous.targets)}
        before.pop("backlog_past_sla_share", None)
    short = {
        "fcr_rate": "FCR", "first_response_minutes_p1_p2": "1st reply P1-2",
        "first_response_minutes_other": "1st reply P3-4", "mttr_hours_incident": "MTTR incidents",
        "mttr_hours_request": "MTTR requests", "sla_response_compliance": "SLA response",
        "sla_resolution_compliance": "SLA resolution", "csat_satisfied_share": "CSAT 4-5",
        "backlog_past_sla_share": "Past SLA (now)",
    }
    f = report.figures
    p = previous.figures if previous is not None else None
    tiles = [
        Tile("opened", "Opened", f.opened, p.opened if p else None, None, HIGHER, "", "none", note),
        Tile("resolved", "Resolved", f.resolved, p.resolved if p else None, None, HIGHER, "", "none", note),
    ]
    tiles += [Tile(k.key, short[k.key], k.value, before.get(k.key), k.target, k.better, k.unit, k.status,
                   note if k.key != "backlog_past_sla_share" else "")
              for k in now_kpis]
    if recurrence is not None:
        earlier = p.recurrence.rate if p is not None and p.recurrence is not None else None
        tiles.append(Tile("recurrence_rate", "Recurring", recurrence.rate, earlier, None, LOWER, "%", "none", note))
    return tiles


# ====================================================================== pure renderers


def bucket(values: Sequence[int], width: int) -> list[int]:
    """Sum consecutive values so that at most ``width`` columns remain."""
    if width <= 0 or not values:
        return []
    size = -(-len(values) // width)  # ceil
    return [sum(values[i:i + size]) for i in range(0, len(values), size)]


def bars(values: Sequence[float | None], top: float, cell: int = 1) -> str:
    """``cell`` block characters per value, scaled to ``top``; zero and None are blank."""
    out = []
    for v in values:
        if v is None or v <= 0 or top <= 0:
            out.append(" " * cell)
        else:
            out.append(BLOCKS[max(1, min(8, round(v / top * 8)))] * cell)
    return "".join(out)


def columns_for(count: int, width: int) -> tuple[int, int]:
    """(values per column, characters per column) to draw ``count`` values in ``width``:
    several days per column when they do not fit, up to 3 characters per day when they do."""
    if count <= 0:
        return 1, 1
    if count > width:
        return -(-count // width), 1
    return 1, max(1, min(3, width // count))


# (label, width) of the tables' columns; the first breakdown column, the recurrence key
# and the ticket subject flex: at least this width, wider when the box has room for them.
BREAKDOWN_COLUMNS = (("value", 18), ("opened", 6), ("resolved", 8), ("MTTR", 7), ("FCR", 4), ("SLA rsp", 7),
                     ("SLA res", 7), ("open", 5), ("past SLA", 8), ("CSAT", 4), ("recur", 5))
RECURRING_COLUMNS = (("recurrence key", 40), ("recur", 5))  # the key: a CI, or requester · category
TICKET_COLUMNS = (("#", 6), ("status", 8), ("opened", 10), ("subject", 20))


def flex_width(box: int, columns: Sequence[tuple[str, int]], flex: int, longest: int) -> int:
    """Width of the column at index ``flex`` in a table laid out in a box ``box`` cells wide:
    its ``longest`` value when the other columns (each with a cell of padding either side),
    the table's margin and a scrollbar leave room for it, never below its default width."""
    least = columns[flex][1]
    others = sum(width + 2 for i, (_label, width) in enumerate(columns) if i != flex)
    room = box - 2 - 2 - others - 2  # margin, scrollbar, own padding
    return max(least, min(longest, room))


def shade(value: int, top: int) -> str:
    if value <= 0 or top <= 0:
        return SHADES[0]
    return SHADES[max(1, min(4, -(-value * 4 // top)))]


# ====================================================================== widgets


class KpiTile(Widget):
    """One KPI: label, value coloured against its target, change, target."""

    COMPONENT_CLASSES = {"kpi--label", "kpi--good", "kpi--near", "kpi--bad", "kpi--none", "kpi--improved",
                         "kpi--worsened", "kpi--muted"}
    DEFAULT_CSS = """
    KpiTile { height: 3; padding: 0 1; background: $boost; }
    KpiTile > .kpi--label { color: $text-muted; }
    KpiTile > .kpi--good { color: $success; text-style: bold; }
    KpiTile > .kpi--near { color: $warning; text-style: bold; }
    KpiTile > .kpi--bad { color: $error; text-style: bold; }
    KpiTile > .kpi--none { color: $text; text-style: bold; }
    KpiTile > .kpi--improved { color: $success; }
    KpiTile > .kpi--worsened { color: $error; }
    KpiTile > .kpi--muted { color: $text-muted; }
    """

    def __init__(self, label: str, **kw) -> None:
        super().__init__(**kw)
        self.label = label
        self.tile: Tile | None = None

    def show(self, tile: Tile | None) -> None:
        self.tile = tile
        self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.label, style("kpi--label"))
        tile = self.tile
        if tile is None:
            text.append("\n…", style("kpi--muted"))
            return text
        text.append("\n" + format_value(tile.value, tile.unit), style(f"kpi--{tile.status}"))
        delta = format_change(tile.delta, tile.unit)
        if delta:
            arrow = "▲" if tile.delta > 0 else "▼" if tile.delta < 0 else "="
            trend = {"improved": "kpi--improved", "worsened": "kpi--worsened"}.get(tile.trend, "kpi--muted")
            text.append(f"  {arrow} {delta}", style(trend))
        elif tile.note:
            text.append(f"  {tile.note}", style("kpi--muted"))
        target = format_target(tile.target, tile.unit, tile.better)
        text.append("\n" + (f"target {target}" if target else "vs previous"), style("kpi--muted"))
        return _cut_lines(text, self.size.width)


def _cut_lines(text: Text, width: int) -> Text:
    """Each line at most ``width`` cells, cut with an ellipsis: a tile never wraps a
    long change onto its target line."""
    if width <= 0:
        return text
    lines = text.split("\n", allow_blank=True)
    for line in lines:
        line.truncate(width, overflow="ellipsis")
    return Text("\n").join(lines)


class VolumeChart(Widget):
    """Opened and resolved per day as two rows of blocks on one scale."""

    COMPONENT_CLASSES = {"chart--opened", "chart--resolved", "chart--axis"}
    DEFAULT_CSS = """
    VolumeChart { height: 4; }
    VolumeChart > .chart--opened { color: $accent; }
    VolumeChart > .chart--resolved { color: $success; }
    VolumeChart > .chart--axis { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.days: list = []

    def show(self, days: list) -> None:
        self.days = days
        self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="crop")
        if not self.days:
            return Text("…", style("chart--axis"))
        label_width, total_width = 9, 8
        width = max(4, (self.size.width or 60) - label_width - total_width)
        per, cell = columns_for(len(self.days), width)
        opened = bucket([d.opened for d in self.days], -(-len(self.days) // per))
        resolved = bucket([d.resolved for d in self.days], -(-len(self.days) // per))
        top = max(opened + resolved + [0])
        text.append("Opened   ", style("chart--axis"))
        text.append(bars(opened, top, cell), style("chart--opened"))
        text.append(f" {sum(d.opened for d in self.days):>6,}\n", style("chart--axis"))
        text.append("Resolved ", style("chart--axis"))
        text.append(bars(resolved, top, cell), style("chart--resolved"))
        text.append(f" {sum(d.resolved for d in self.days):>6,}\n", style("chart--axis"))
        text.append(" " * label_width + _axis(self.days[0].day, self.days[-1].day, len(opened) * cell),
                    style("chart--axis"))
        text.append(f"\n{' ' * label_width}peak {top:,} per {'day' if per == 1 else f'{per} days'}",
                    style("chart--axis"))
        return text


def _axis(first: date, last: date, width: int) -> str:
    left, right = first.strftime("%d %b"), last.strftime("%d %b")
    if width < len(left) + len(right) + 1:
        return left[:width]
    return left + " " * (width - len(left) - len(right)) + right


class ComplianceChart(Widget):
    """SLA compliance per day (response and resolution), coloured against the target."""

    COMPONENT_CLASSES = {"chart--good", "chart--near", "chart--bad", "chart--axis"}
    DEFAULT_CSS = """
    ComplianceChart { height: 4; }
    ComplianceChart > .chart--good { color: $success; }
    ComplianceChart > .chart--near { color: $warning; }
    ComplianceChart > .chart--bad { color: $error; }
    ComplianceChart > .chart--axis { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.days: list = []
        self.target = 0.95

    def show(self, days: list, target: float) -> None:
        self.days, self.target = days, target
        self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        if not self.days:
            return Text("…", style("chart--axis"))
        text = Text(no_wrap=True, overflow="crop")
        label_width, total_width = 9, 8
        width = max(4, (self.size.width or 60) - label_width - total_width)
        per, cell = columns_for(len(self.days), width)
        columns = -(-len(self.days) // per)
        for label, due_of, met_of in (("Response ", "response_due", "response_met"),
                                      ("Resolve  ", "resolution_due", "resolution_met")):
            due = bucket([getattr(d, due_of) for d in self.days], columns)
            met = bucket([getattr(d, met_of) for d in self.days], columns)
            text.append(label, style("chart--axis"))
            for d, m in zip(due, met):
                if not d:
                    text.append(" " * cell)
                    continue
                share = m / d
                text.append(BLOCKS[max(1, min(8, round(share * 8)))] * cell,
                            style(f"chart--{assess(share, self.target, HIGHER)}"))
            total_due, total_met = sum(due), sum(met)
            text.append(f" {format_share(total_met / total_due if total_due else None, 0):>6}\n", style("chart--axis"))
        text.append(" " * label_width + _axis(self.days[0].day, self.days[-1].day, len(due) * cell),
                    style("chart--axis"))
        text.append(f"\n{' ' * label_width}by the day each target fell due; target {format_share(self.target, 0)}",
                    style("chart--axis"))
        return text


class Heatmap(Widget):
    """Arrivals by weekday (rows) and hour (columns) in the desk's time zone."""

    COMPONENT_CLASSES = {"heat--cell", "heat--axis"}
    DEFAULT_CSS = """
    Heatmap { height: 9; }
    Heatmap > .heat--cell { color: $accent; }
    Heatmap > .heat--axis { color: $text-muted; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.grid: tuple = ()

    def show(self, grid: tuple) -> None:
        self.grid = grid
        self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        if not self.grid:
            return Text("…", style("heat--axis"))
        cell = 2 if (self.size.width or 80) >= 4 + 48 + 7 else 1
        top = max(max(row) for row in self.grid)
        text = Text(no_wrap=True, overflow="crop")
        hours = "".join((f"{h:02d}" if cell == 2 else f"{h // 10}") if h % 3 == 0 else " " * cell for h in range(24))
        text.append("    " + hours + "\n", style("heat--axis"))
        for name, row in zip(WEEKDAYS, self.grid):
            text.append(f"{name} ", style("heat--axis"))
            text.append("".join(shade(n, top) * cell for n in row), style("heat--cell"))
            text.append(f" {sum(row):>6,}\n", style("heat--axis"))
        text.append(f"    busiest hour {top:,} tickets", style("heat--axis"))
        return text
