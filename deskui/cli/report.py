"""`deskui report`, `deskui wallboard` and `deskui survey record`.

``deskui report --format json`` prints one object with the stable keys listed in
docs/metrics.md: tickets_opened, tickets_resolved, first_response_minutes {responses,
median, p90}, resolution_hours {resolved, mean, median, p90}, fcr_rate, reopen_rate,
escalation_rate, reassignment_rate, sla {response_compliance, resolution_compliance,
response_due, response_met, resolution_due, resolution_met}, backlog {open, past_sla,
past_sla_share, aging {under_1d, 1d_to_3d, 3d_to_7d, over_7d}}, csat {responses,
satisfied_share, mean}, recurrence {resolved_incidents, recurring, rate,
mean_hours_between, window_days}, plus period, kpis and, with --by, by and breakdown
(a list of objects: value + the same figures). Rates are fractions (0.75), null when
there is nothing to divide.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from typing import Callable, Optional

import typer

from deskui.cli import common

FormatOpt = typer.Option("table", "--format", "-f", help="table, json or csv", callback=common.check_format)


def register(app: typer.Typer, make: Callable[..., typer.Typer]) -> None:
    app.command("report")(report)
    app.command("wallboard")(wallboard)
    survey_app = make(help="CSAT surveys: record a requester's 1-5 answer.")
    survey_app.command("record")(survey_record)
    app.add_typer(survey_app, name="survey")


# ------------------------------------------------------------------ report

def metrics_config():
    """[targets] and [metrics] from config.toml, as a MetricsConfig (one clear error if wrong)."""
    from deskui.domain.metrics import MetricsConfig
    from deskui.errors import ValidationError

    settings = common.settings()
    try:
        return MetricsConfig.from_config(settings.targets, settings.raw.get("metrics"))
    except ValueError as exc:
        raise ValidationError(f"config.toml: {exc}") from None


def report(
    since: Optional[str] = typer.Option(None, "--since", help="First day (YYYY-MM-DD, local to the desk)."),
    until: Optional[str] = typer.Option(None, "--until", help="Day after the last (exclusive). Default: tomorrow."),
    by: Optional[str] = typer.Option(None, "--by",
                                     help="Breakdown: priority, category, group, analyst, channel or type."),
    fmt: str = FormatOpt,
) -> None:
    """Service desk metrics over a period (default: the last 30 days, today included)."""
    from deskui.reads.metrics import report_dict, report_for

    config = metrics_config()
    result = report_for(common.get_engine(), since, until, timezone=config.timezone, default_days=config.default_days,
                        by=by, targets=config.targets, window_days=config.window_days)
    data = report_dict(result)
    if fmt == "json":
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        sys.stdout.write(_csv(data))
    else:
        _print_tables(result)


FIGURE_KEYS_SKIPPED_IN_CSV = ("period", "kpis", "by", "breakdown")


def _csv(data: dict) -> str:
    """One row for the whole period ("(all)") and one per breakdown value; nested keys flattened."""
    from deskui.reads.metrics import flatten

    overall = {k: v for k, v in data.items() if k not in FIGURE_KEYS_SKIPPED_IN_CSV}
    rows = [{"value": "(all)", **flatten(overall)}]
    for row in data.get("breakdown", []):
        rows.append(flatten({**row, "value": "(none)" if row["value"] is None else row["value"]}))
    columns = ["first_day", "last_day", "by"] + list(rows[0])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"first_day": data["period"]["first_day"], "last_day": data["period"]["last_day"],
                         "by": data.get("by", ""), **{k: "" if v is None else v for k, v in row.items()}})
    return buf.getvalue()


def _print_tables(result) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from deskui.domain.metrics import AGING_BUCKETS, format_hours, format_minutes, format_share, format_target, format_value
    from deskui.reads.metrics import in_hours, in_minutes, kpis

    f = result.figures
    p = result.period
    console = Console()
    table = Table(title=f"deskui report {p.label()} ({p.timezone})", header_style="bold")
    for column in ("metric", "value", "target", ""):
        table.add_column(column)

    def row(label: str, value: str, target: str = "", status: str = "") -> None:
        style = {"good": "green", "near": "yellow", "bad": "red"}.get(status, "")
        mark = {"good": "met", "near": "near", "bad": "missed"}.get(status, "")
        table.add_row(Text(label), Text(value, style=style), Text(target), Text(mark, style=style))

    row("Tickets opened", f"{f.opened:,}")
    row("Tickets resolved", f"{f.resolved:,}")
    row("Tickets cancelled", f"{f.cancelled:,}  (of those opened; out of the SLA and first-response figures)")
    fr = f.first_response
    row("First response median / p90", f"{format_minutes(in_minutes(fr.median_seconds))} / "
        f"{format_minutes(in_minutes(fr.p90_seconds))}  ({fr.count:,} responses)")
    rs = f.resolution
    row("Resolution mean / median / p90", f"{format_hours(in_hours(rs.mean_seconds))} / "
        f"{format_hours(in_hours(rs.median_seconds))} / {format_hours(in_hours(rs.p90_seconds))}"
        + (f"  ({f.resolution_unknown:,} resolved without a known time: not in durations)"
           if f.resolution_unknown else ""))
    for kpi in kpis(f, result.target_figures, result.targets):
        detail = ""
        if kpi.key == "sla_response_compliance":
            detail = f"  ({f.sla.response_met:,} of {f.sla.response_due:,} due)"
        elif kpi.key == "sla_resolution_compliance":
            detail = f"  ({f.sla.resolution_met:,} of {f.sla.resolution_due:,} due)"
        elif kpi.key == "csat_satisfied_share":
            detail = f"  (mean {format_value(f.csat.mean, '/5')}, {f.csat.responses:,} responses)"
        elif kpi.key == "backlog_past_sla_share":
            detail = f"  ({f.backlog.past_sla:,} of {f.backlog.open:,} open)"
        row(kpi.label, format_value(kpi.value, kpi.unit) + detail, format_target(kpi.target, kpi.unit, kpi.better),
            kpi.status)
    aging = " / ".join(f"{count:,}" for count in f.backlog.aging)
    row("Backlog aging " + " / ".join(_bucket_label(b) for b in AGING_BUCKETS), aging)
    row("Reopen rate", format_share(f.reopen_rate))
    row("Escalation rate", format_share(f.escalation_rate))
    row("Reassignment rate", format_share(f.reassignment_rate))
    rec = f.recurrence
    row(f"Recurring incidents ({rec.window_days} d window)",
        f"{format_share(rec.rate)}  ({rec.recurring:,} of {rec.resolved_incidents:,}; mean "
        f"{format_hours(rec.mean_hours_between)} apart)")
    console.print(table)
    if result.by:
        console.print(_breakdown_table(result))


def _bucket_label(bucket) -> str:
    _name, low, high = bucket
    if low == 0:
        return f"<{high}d"
    return f"{low}-{high}d" if high else f">={low}d"


def _breakdown_table(result):
    from rich.table import Table
    from rich.text import Text

    from deskui.domain.metrics import format_hours, format_share
    from deskui.reads.metrics import in_hours

    # The widest figures only; --format json or csv has every figure of every row.
    table = Table(title=f"by {result.by}", header_style="bold", box=None, pad_edge=False)
    table.add_column("value", overflow="fold", min_width=12)
    # (header, width): the widest value each column shows ("12,345", "37h 10m", "100%")
    for header, width in (("opened", 6), ("resolved", 8), ("MTTR", 7), ("FCR", 4), ("SLA rsp", 7),
                          ("SLA res", 7), ("past SLA", 8), ("CSAT", 4)):
        table.add_column(header, justify="right", no_wrap=True, width=width)
    for row in result.breakdown:
        f = row.figures
        table.add_row(
            Text(row.label if row.label is not None else "(none)"),  # names are data, never markup
            f"{f.opened:,}", f"{f.resolved:,}", format_hours(in_hours(f.resolution.mean_seconds)),
            format_share(f.fcr_rate, 0), format_share(f.sla.response_compliance, 0),
            format_share(f.sla.resolution_compliance, 0), format_share(f.backlog.past_sla_share, 0),
            format_share(f.csat.satisfied_share, 0),
        )
    return table


# ------------------------------------------------------------------ wallboard

def wallboard() -> None:
    """Launch the app straight into the wallboard (live counts for a team lead's screen)."""
    import inspect

    engine = common.get_engine()
    actor = common.get_actor()
    from deskui.tui import app as tui_app  # textual is imported only here

    if "start_mode" in inspect.signature(tui_app.run_app).parameters:
        tui_app.run_app(engine=engine, actor=actor, settings=common.settings(), start_mode="wallboard")
    else:
        wallboard_app(engine, actor, common.settings()).run()


def wallboard_app(engine, actor, settings, **context):
    """DeskApp whose first screen is the wallboard (for as long as run_app has no start mode)."""
    from deskui.tui.app import DeskApp
    from deskui.tui.context import DeskContext

    class WallboardFirst(DeskApp):
        def on_mount(self) -> None:
            # DeskApp.on_mount runs after this one and opens the queue; switch once it has.
            self.call_after_refresh(self.switch_mode, "wallboard")

    return WallboardFirst(DeskContext(engine=engine, actor=actor, settings=settings, **context))


# ------------------------------------------------------------------ survey

def survey_record(
    ticket: str = typer.Argument(..., help="Ticket number (123 or #123)."),
    score: str = typer.Argument(..., help="The requester's answer, 1 (very unhappy) to 5 (very happy)."),
    comment: str = typer.Option("", "--comment", help="What the requester said."),
) -> None:
    """Record a requester's CSAT answer for a resolved or closed ticket."""
    from deskui.errors import UsageError
    from deskui.services.survey import record_survey

    text = ticket.strip().lstrip("#")
    if not text.isascii() or not text.isdigit():
        raise UsageError("TICKET", f"{ticket!r} is not a ticket number (e.g. 123 or #123)")
    if score.strip() not in ("1", "2", "3", "4", "5"):
        raise UsageError("SCORE", f"{score!r} is not one of 1, 2, 3, 4, 5")
    common.check_ticket_id(int(text))
    saved = record_survey(common.get_engine(), int(text), score, comment=comment, actor=common.get_actor())
    typer.echo(f"recorded {saved.score}/5 for #{saved.ticket_id}")
