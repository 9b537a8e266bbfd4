"""The metrics screen (DESIGN.md §2 Metrics, issue 5): KPI tiles against their
targets and the previous period, opened vs resolved per day, SLA compliance per
day, the arrivals heatmap, a breakdown table and the top recurring keys.

Everything is read in one thread worker per period, in phases: the KPI tiles
first (the first paint), then the charts, the breakdown and the recurring keys.
Each phase comes back as a message tagged with a generation number, so answers
for a period the user already left are dropped. Widgets get frozen dataclasses
from ``deskui.reads.metrics`` and never touch the database.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from deskui import clock
from deskui.reads.failures import one_line
from deskui.domain.metrics import (
    MetricsConfig, Period, format_hours, format_share,
    last_days, period_of_days,
)
from deskui.tui.screens.fresh import FreshOnFirstResume
from deskui.tui.widgets.metrics_panels import (
    BREAKDOWN_COLUMNS, RECURRING_COLUMNS, TICKET_COLUMNS, ComplianceChart, Heatmap, KpiTile, VolumeChart, build_tiles,
    comparable, flex_width,
)
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine

PERIOD_LENGTHS = (7, 30, 90, 365)  # p cycles them; 365: a year (issue 17.2)


def bind(keys: str, action: str, description: str, binding_id: str, *, show: bool = False,
         key_display: str | None = None) -> Binding:
    return Binding(keys, action, description, show=show, key_display=key_display, id=binding_id)


METRICS_BINDINGS = [
    bind("left_square_bracket", "shift_period(-1)", "Earlier period", "metrics.earlier", show=True, key_display="["),
    bind("right_square_bracket", "shift_period(1)", "Later period", "metrics.later", show=True, key_display="]"),
    bind("p", "cycle_length", "Period length", "metrics.length", show=True),
    bind("t", "latest", "Up to today", "metrics.today"),
    bind("b", "cycle_breakdown", "Breakdown by", "metrics.breakdown", show=True),
    bind("ctrl+r", "reload", "Refresh", "metrics.refresh"),
]
BREAKDOWNS = ("group", "priority", "category", "analyst", "channel", "type")


# ====================================================================== messages


@dataclass
class KpisLoaded(Message):
    generation: int
    period: Period
    previous: Period
    tiles: list
    report: Any  # deskui.domain.report.Report
    before: Any = None  # the previous period's report, once read


@dataclass
class ChartsLoaded(Message):
    generation: int
    volume: list
    compliance: list
    heatmap: tuple


@dataclass
class BreakdownLoaded(Message):
    generation: int
    by: str
    rows: tuple


@dataclass
class RecurringLoaded(Message):
    generation: int
    keys: list


@dataclass
class LoadFailed(Message):
    generation: int
    error: str


# ====================================================================== the screen


class MetricsScreen(FreshOnFirstResume, Screen):
    """Metrics over a period of local days; [ ] move it, p changes its length."""

    BINDINGS = METRICS_BINDINGS
    # -roomy: the breakdown and the recurring keys side by side, the keys 56 columns;
    # -wider: side by side 3:2; narrower, one above the other, so the breakdown keeps
    # all its columns (issue 15.16: at 120 columns it lost four); -tall: the tables
    # show more rows before scrolling.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (140, "-roomy"), (180, "-wider")]
    VERTICAL_BREAKPOINTS = [(50, "-tall")]
    DEFAULT_CSS = """
    MetricsScreen #metrics-body { height: 1fr; }
    MetricsScreen #period { height: 1; padding: 0 1; background: $panel; }
    MetricsScreen #tiles { height: auto; grid-rows: 3; grid-gutter: 1 1; padding: 0 1; }
    MetricsScreen.-wide #tiles, MetricsScreen.-roomy #tiles, MetricsScreen.-wider #tiles { grid-size: 6; }
    MetricsScreen.-narrow #tiles { grid-size: 3; }
    MetricsScreen .section-title { height: 1; padding: 0 1; color: $text-muted; text-style: bold; margin-top: 1; }
    MetricsScreen .chart { padding: 0 1; }
    MetricsScreen #charts { height: auto; }
    MetricsScreen.-wide #charts, MetricsScreen.-roomy #charts, MetricsScreen.-wider #charts { layout: horizontal; }
    MetricsScreen.-wide #charts-left, MetricsScreen.-roomy #charts-left, MetricsScreen.-wider #charts-left {
        width: 1fr; height: auto; }
    MetricsScreen.-wide #charts-right, MetricsScreen.-roomy #charts-right, MetricsScreen.-wider #charts-right {
        width: 62; height: auto; }
    MetricsScreen.-narrow #charts-left, MetricsScreen.-narrow #charts-right { height: auto; }
    MetricsScreen #tables { height: auto; }
    MetricsScreen.-roomy #tables, MetricsScreen.-wider #tables { layout: horizontal; }
    MetricsScreen #breakdown-box { height: auto; }
    MetricsScreen.-roomy #breakdown-box { width: 1fr; }
    MetricsScreen.-wider #breakdown-box { width: 3fr; }
    MetricsScreen #recurring-box { height: auto; }
    MetricsScreen.-roomy #recurring-box { width: 56; }
    MetricsScreen.-wider #recurring-box { width: 2fr; }
    MetricsScreen DataTable { height: auto; max-height: 16; margin: 0 1; }
    MetricsScreen #recurring-tickets { max-height: 8; }
    MetricsScreen.-tall DataTable { max-height: 30; }
    MetricsScreen.-tall #recurring-tickets { max-height: 20; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.length = 30
        self.end_day: date | None = None  # exclusive; None = up to today
        self.breakdown_by = BREAKDOWNS[0]
        self.generation = 0
        self.timezone: str | None = None
        self.period: Period | None = None
        self.previous: Period | None = None
        self.report = None
        self.before = None
        self.recurring: list = []
        self.first_paint = asyncio.Event()  # set once the KPI tiles show (bench, tests)
        self.loaded = asyncio.Event()  # set once every phase of the current period is shown
        self.config = MetricsConfig()
        self._config_error = ""
        self._breakdown_rows: tuple = ()
        self._tickets_index = 0
        # The column widths each table was last built with.
        self._breakdown_widths: tuple[int, ...] = ()
        self._recurring_widths: tuple[int, ...] = ()
        self._ticket_widths: tuple[int, ...] = ()

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="period", markup=False)
        with VerticalScroll(id="metrics-body"):
            with Grid(id="tiles"):
                for key, label in TILE_ORDER:
                    yield KpiTile(label, id=f"tile-{key}")
            with Vertical(id="charts"):
                with Vertical(id="charts-left"):
                    yield Static("Opened vs resolved per day", classes="section-title", markup=False)
                    yield VolumeChart(id="volume", classes="chart")
                    yield Static("SLA compliance over time", classes="section-title", markup=False)
                    yield ComplianceChart(id="compliance", classes="chart")
                with Vertical(id="charts-right"):
                    yield Static("Arrivals by weekday and hour", classes="section-title", markup=False)
                    yield Heatmap(id="heatmap", classes="chart")
            with Vertical(id="tables"):
                with Vertical(id="breakdown-box"):
                    yield Static("", id="breakdown-title", classes="section-title", markup=False)
                    yield DataTable(id="breakdown", cursor_type="row", zebra_stripes=True)
                with Vertical(id="recurring-box"):
                    yield Static("Top recurring keys (enter: tickets)", classes="section-title", markup=False)
                    yield DataTable(id="recurring", cursor_type="row")
                    yield DataTable(id="recurring-tickets", cursor_type="row")
        yield StatusLine(id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        settings = self.app.desk.settings
        try:
            self.config = MetricsConfig.from_config(getattr(settings, "targets", None) or {},
                                                    (getattr(settings, "raw", None) or {}).get("metrics"))
        except ValueError as exc:
            self._config_error = str(exc)
            self.notify(f"config.toml: {exc}; using the default targets", severity="warning", markup=False)
        self.length = self.config.default_days if self.config.default_days in PERIOD_LENGTHS else 30
        self._show_breakdown()
        self._show_recurring()
        self._show_tickets(0)
        self.load()

    def on_resize(self, _event: Resize) -> None:
        # The boxes have their new width once this refresh is laid out.
        self.call_after_refresh(self._refit_tables)

    def _refit_tables(self) -> None:
        """Cut the flexible columns again for the new width (only where that changes them)."""
        if self._breakdown_widths != self._fitted(BREAKDOWN_COLUMNS, "#breakdown-box", self._breakdown_labels()):
            self._show_breakdown(keep_cursor=True)
        if self._recurring_widths != self._fitted(RECURRING_COLUMNS, "#recurring-box", self._key_labels()):
            self._show_recurring(keep_cursor=True)
        if self._ticket_widths != self._fitted(TICKET_COLUMNS, "#recurring-box", self._ticket_subjects(), flex=-1):
            self._show_tickets(self._tickets_index, keep_cursor=True)

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        self.generation += 1
        self.loaded.clear()
        self._show_period_label(loading=True)
        self.run_worker(partial(self._read, self.generation, self.length, self.end_day, self.breakdown_by),
                        thread=True, exclusive=True, group="metrics", name="metrics", exit_on_error=False)

    def _read(self, generation: int, length: int, end_day: date | None, by: str) -> None:
        from deskui.reads import metrics as m

        worker = get_current_worker()
        engine = self.app.desk.engine
        config = self.config
        now = clock.now()
        try:
            tz = config.timezone or self.timezone
            if tz is None:
                tz = m.desk_timezone(engine)
            self.timezone = tz
            if end_day is None:
                period = last_days(now, tz, length)
            else:
                period = period_of_days(end_day - timedelta(days=length), end_day, tz)
            previous = period.previous()
            # First paint: this period's KPIs, without what the tiles do not show.
            report = m.report(engine, period, now=now, targets=config.targets, window_days=config.window_days,
                                    percentiles=False, recurrence=False)
            if worker.is_cancelled:
                return
            self.post_message(KpisLoaded(generation, period, previous, build_tiles(report), report))
            charts = m.charts(engine, period, now=now)
            if worker.is_cancelled:
                return
            self.post_message(ChartsLoaded(generation, list(charts.volume), list(charts.compliance), charts.heatmap))
            # Then the changes against the previous period, and recurrence.
            before = m.report(engine, previous, now=now, targets=config.targets,
                                    window_days=config.window_days, percentiles=False, backlog=False)
            recurrence = m.recurrence(engine, period, config.window_days)
            if worker.is_cancelled:
                return
            self.post_message(KpisLoaded(generation, period, previous, build_tiles(report, before, recurrence),
                                         report, before))
            # The table shows means, not medians or p90s.
            rows = m.breakdown(engine, period, by, now=now, window_days=config.window_days, percentiles=False)
            if worker.is_cancelled:
                return
            self.post_message(BreakdownLoaded(generation, by, rows))
            keys = m.recurring_keys(engine, period, window_days=config.window_days)
            self.post_message(RecurringLoaded(generation, keys))
        except Exception as exc:  # a database error must not take the app down
            self.post_message(LoadFailed(generation, one_line(exc)))

    def _current(self, message) -> bool:
        return message.generation == self.generation

    def on_kpis_loaded(self, message: KpisLoaded) -> None:
        if not self._current(message):
            return
        self.period, self.previous, self.report = message.period, message.previous, message.report
        self.before = message.before
        shown = {tile.key for tile in message.tiles}
        for key, _label in TILE_ORDER:
            if key not in shown:
                self.query_one(f"#tile-{key}", KpiTile).show(None)  # still loading
        for tile in message.tiles:
            self.query_one(f"#tile-{tile.key}", KpiTile).show(tile)
        self._show_period_label()
        self.first_paint.set()

    def on_charts_loaded(self, message: ChartsLoaded) -> None:
        if not self._current(message):
            return
        self.query_one(VolumeChart).show(message.volume)
        self.query_one(ComplianceChart).show(message.compliance, self.config.targets.sla_compliance)
        self.query_one(Heatmap).show(message.heatmap)

    def on_breakdown_loaded(self, message: BreakdownLoaded) -> None:
        if not self._current(message):
            return
        self.query_one("#breakdown-title", Static).update(
            Text(f"Breakdown by {message.by} (b: change)"))
        self._breakdown_rows = message.rows
        self._show_breakdown()

    # ------------------------------------------------------------ tables

    def _fitted(self, columns: Sequence[tuple[str, int]], box: str, values: Sequence[str],
                flex: int = 0) -> tuple[int, ...]:
        """The widths of ``columns`` in the box ``box``, the column at ``flex`` wide enough for
        the longest of ``values`` when the box has room."""
        flex %= len(columns)
        longest = max((cell_len(v) for v in values), default=0)
        width = flex_width(self.query_one(box).content_region.width, columns, flex, longest)
        return tuple(width if i == flex else w for i, (_label, w) in enumerate(columns))

    @staticmethod
    def _rebuild(table: DataTable, columns: Sequence[tuple[str, int]], widths: tuple[int, ...]) -> int:
        """Clear ``table`` and give it these columns; returns the row the cursor was on."""
        row = table.cursor_row
        table.clear(columns=True)
        for (label, _default), width in zip(columns, widths):
            table.add_column(label, width=width, key=label)
        return row

    def _breakdown_labels(self) -> list[str]:
        return [row.label if row.label is not None else "(none)" for row in self._breakdown_rows]

    def _key_labels(self) -> list[str]:
        return [key.label for key in self.recurring]

    def _ticket_subjects(self) -> list[str]:
        if not 0 <= self._tickets_index < len(self.recurring):
            return []
        return [t.subject for t in self.recurring[self._tickets_index].tickets]

    def _show_breakdown(self, keep_cursor: bool = False) -> None:
        from deskui.reads.metrics import in_hours

        table = self.query_one("#breakdown", DataTable)
        self._breakdown_widths = self._fitted(BREAKDOWN_COLUMNS, "#breakdown-box", self._breakdown_labels())
        cursor = self._rebuild(table, BREAKDOWN_COLUMNS, self._breakdown_widths)
        for row in self._breakdown_rows:
            f = row.figures
            table.add_row(
                Text(row.label if row.label is not None else "(none)"),  # names are data, never markup
                f"{f.opened:,}", f"{f.resolved:,}", format_hours(in_hours(f.resolution.mean_seconds)),
                format_share(f.fcr_rate, 0), format_share(f.sla.response_compliance, 0),
                format_share(f.sla.resolution_compliance, 0), f"{f.backlog.open:,}",
                format_share(f.backlog.past_sla_share, 0), format_share(f.csat.satisfied_share, 0),
                format_share(f.recurrence.rate, 0),
            )
        if keep_cursor and 0 < cursor < table.row_count:
            table.move_cursor(row=cursor, animate=False)

    def on_recurring_loaded(self, message: RecurringLoaded) -> None:
        if not self._current(message):
            return
        self.recurring = message.keys
        self._show_recurring()
        self._show_tickets(0)
        self.loaded.set()

    def _show_recurring(self, keep_cursor: bool = False) -> None:
        table = self.query_one("#recurring", DataTable)
        self._recurring_widths = self._fitted(RECURRING_COLUMNS, "#recurring-box", self._key_labels())
        cursor = self._rebuild(table, RECURRING_COLUMNS, self._recurring_widths)
        for i, key in enumerate(self.recurring):
            table.add_row(Text(key.label), str(key.recurrences), key=str(i))
        if keep_cursor and 0 < cursor < table.row_count:
            table.move_cursor(row=cursor, animate=False)

    def on_load_failed(self, message: LoadFailed) -> None:
        if self._current(message):
            self.notify(f"metrics: {message.error}", severity="error", markup=False)
            self.first_paint.set()
            self.loaded.set()

    def _show_tickets(self, index: int, keep_cursor: bool = False) -> None:
        tickets = self.query_one("#recurring-tickets", DataTable)
        self._tickets_index = index
        self._ticket_widths = self._fitted(TICKET_COLUMNS, "#recurring-box", self._ticket_subjects(), flex=-1)
        cursor = self._rebuild(tickets, TICKET_COLUMNS, self._ticket_widths)
        if not 0 <= index < len(self.recurring):
            return
        for t in self.recurring[index].tickets:
            tickets.add_row(f"#{t.id}", t.status, t.created_at.strftime("%Y-%m-%d"), Text(t.subject),
                            key=str(t.id))
        if keep_cursor and 0 < cursor < tickets.row_count:
            tickets.move_cursor(row=cursor, animate=False)

    @on(DataTable.RowHighlighted, "#recurring")
    def _key_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            index = int(event.row_key.value)
            if index != self._tickets_index:  # the same key's tickets are shown already
                self._show_tickets(index)

    @on(DataTable.RowSelected, "#recurring")
    def _key_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one("#recurring-tickets", DataTable).focus()

    @on(DataTable.RowSelected, "#recurring-tickets")
    def _ticket_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key is not None and event.row_key.value is not None and hasattr(self.app, "open_ticket"):
            self.app.open_ticket(int(event.row_key.value))

    # ------------------------------------------------------------ the period

    def _show_period_label(self, loading: bool = False) -> None:
        period = self.period
        text = Text(no_wrap=True, overflow="ellipsis")
        if period is None:
            text.append("Metrics · loading…")
        else:
            text.append(f"Metrics · {period.days} days {period.label()}", "bold")
            text.append(f" ({period.timezone}) · vs {self.previous.label()}")
            if self.report is not None and self.before is not None and not comparable(
                    self.report.figures.opened, self.before.figures.opened):
                text.append(f" (only {self.before.figures.opened:,} tickets: too few to compare)", "bold")
            if loading:
                text.append(" · loading…")
        self.query_one("#period", Static).update(text)
        self.query_one(StatusLine).note = (f"{period.days}-day period" if period else "")

    def action_shift_period(self, direction: int) -> None:
        today_end = self._today_end()
        end = self.end_day or today_end
        end = end + timedelta(days=direction * self.length)
        self.end_day = None if end >= today_end else end
        self.load()

    def action_cycle_length(self) -> None:
        index = PERIOD_LENGTHS.index(self.length) if self.length in PERIOD_LENGTHS else 0
        self.length = PERIOD_LENGTHS[(index + 1) % len(PERIOD_LENGTHS)]
        self.load()

    def action_latest(self) -> None:
        self.end_day = None
        self.load()

    def action_cycle_breakdown(self) -> None:
        self.breakdown_by = BREAKDOWNS[(BREAKDOWNS.index(self.breakdown_by) + 1) % len(BREAKDOWNS)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def _today_end(self) -> date:
        from deskui.domain.metrics import local_date

        return local_date(clock.now(), self.timezone or "UTC") + timedelta(days=1)

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands = [(f"Metrics: last {n} days", "period", partial(self._set_length, n)) for n in PERIOD_LENGTHS]
        commands += [(f"Metrics: breakdown by {by}", "breakdown", partial(self._set_breakdown, by))
                     for by in BREAKDOWNS]
        return commands

    def _set_length(self, days: int) -> None:
        self.length, self.end_day = days, None
        self.load()

    def _set_breakdown(self, by: str) -> None:
        self.breakdown_by = by
        self.load()


TILE_ORDER = (
    ("opened", "Opened"), ("resolved", "Resolved"), ("fcr_rate", "FCR"),
    ("first_response_minutes_p1_p2", "1st reply P1-2"), ("first_response_minutes_other", "1st reply P3-4"),
    ("mttr_hours_incident", "MTTR incidents"), ("mttr_hours_request", "MTTR requests"),
    ("sla_response_compliance", "SLA response"), ("sla_resolution_compliance", "SLA resolution"),
    ("csat_satisfied_share", "CSAT 4-5"), ("backlog_past_sla_share", "Past SLA (now)"),
    ("recurrence_rate", "Recurring"),
)
