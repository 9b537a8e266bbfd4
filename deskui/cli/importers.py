"""`deskui import ...`: bring tickets over from another service desk.

    deskui import servicenow incidents.csv --dayfirst --tz Europe/London --create-missing
    deskui import csv jira.csv --map sample_data/mappings/jira.toml --dry-run

Both stream the file, write it in batches (one transaction each), show a
progress bar on a terminal and print a summary; ``--format json`` prints the
summary as one JSON object with the keys ``source``, ``kind``, ``dry_run``,
``rows_read``, ``rows_applied``, ``rows_unchanged``, ``rows_skipped``,
``skipped`` (reason -> count), ``tickets_created``, ``tickets_updated``,
``events_written``, ``batches``, ``source_sla`` (the source's own SLA verdicts
of the tickets written: ``made``, ``missed``), ``created_missing`` (groups / analysts /
categories -> count), ``ignored_columns``, ``rejects_file`` and ``seconds``.
Importing the same file again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from deskui.cli import common

app = typer.Typer(help="Import tickets from another service desk (ServiceNow, or any CSV with a mapping).",
                  no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)

FORMATS = ("table", "json")

DryRun = typer.Option(False, "--dry-run", help="Read and check everything, write nothing.")
SkipBad = typer.Option(False, "--skip-bad", help="Skip bad rows (counted, and written to the rejects file) "
                                                  "instead of stopping at the first one.")
RejectsOpt = typer.Option(None, "--rejects", help="Where --skip-bad writes skipped rows [default: FILE.rejects.csv].")
CreateMissing = typer.Option(False, "--create-missing",
                             help="Create groups, categories and (inactive) analysts the file names but the desk "
                                  "lacks, instead of stopping at them.")
DayFirst = typer.Option(None, "--dayfirst/--monthfirst", help="Read 03/04/2016 as 3 April (or as 4 March) "
                                                               "[default: the mapping's setting, else month first].")


def _checked_by(check):
    """An option callback: ``check(value)`` raising ValidationError ("--opt: why") is a usage error."""
    def callback(value):
        from deskui.errors import ValidationError

        if value is not None:
            try:
                check(value)
            except ValidationError as exc:
                raise typer.BadParameter(str(exc).partition(": ")[2]) from None
        return value

    return callback


def _zone(name: str) -> None:
    from deskui.services.importers.values import zone_for

    zone_for(name)


def _encoding(name: str) -> None:
    from deskui.services.importers.common import check_encoding

    check_encoding(name)


Tz = typer.Option(None, "--tz", help="Time zone of times without an offset, e.g. Europe/London [default: UTC].",
                  callback=_checked_by(_zone))
Encoding = typer.Option(None, "--encoding", help="The file's encoding if not UTF-8, e.g. cp1252.",
                        callback=_checked_by(_encoding))
BatchSize = typer.Option(2000, "--batch-size", min=1, help="Rows per transaction.")
Domain = typer.Option("imported.invalid", "--requester-domain",
                      help="Requesters given by name become first.last@DOMAIN.")
Format = typer.Option("table", "--format", "-f", help="table or json")


@app.command("servicenow")
def servicenow(
    file: Path = typer.Argument(..., help="A ServiceNow incident export (CSV; audit exports with several rows "
                                          "a number welcome)."),
    map_: Optional[Path] = typer.Option(None, "--map", help="Extra value maps / column names (TOML) on top of the "
                                                            "built-in ServiceNow mapping."),
    dry_run: bool = DryRun, skip_bad: bool = SkipBad, rejects: Optional[Path] = RejectsOpt,
    create_missing: bool = CreateMissing, dayfirst: Optional[bool] = DayFirst, tz: Optional[str] = Tz,
    encoding: Optional[str] = Encoding, batch_size: int = BatchSize, requester_domain: str = Domain,
    fmt: str = Format,
) -> None:
    """Import a ServiceNow incident export (a CSV with number, incident_state, opened_at and more)."""
    from deskui.services.importers.csv_mapped import load_mapping
    from deskui.services.importers.servicenow import servicenow_mapping

    common.check_format_in(FORMATS, fmt)
    extra = load_mapping(map_, partial=True) if map_ else None
    _run(file, servicenow_mapping(extra), _options(dry_run, skip_bad, rejects, create_missing, dayfirst, tz,
                                                   encoding, batch_size, requester_domain), fmt)


@app.command("csv")
def csv_(
    file: Path = typer.Argument(..., help="A CSV export of another tool (Jira, Zammad, osTicket, ...)."),
    map_: Path = typer.Option(..., "--map", help="The mapping (TOML): columns, value maps, date formats. "
                                                 "Examples: sample_data/mappings/*.toml"),
    dry_run: bool = DryRun, skip_bad: bool = SkipBad, rejects: Optional[Path] = RejectsOpt,
    create_missing: bool = CreateMissing, dayfirst: Optional[bool] = DayFirst, tz: Optional[str] = Tz,
    encoding: Optional[str] = Encoding, batch_size: int = BatchSize, requester_domain: str = Domain,
    fmt: str = Format,
) -> None:
    """Import any CSV export, described by a mapping file."""
    from deskui.services.importers.csv_mapped import load_mapping

    common.check_format_in(FORMATS, fmt)
    _run(file, load_mapping(map_), _options(dry_run, skip_bad, rejects, create_missing, dayfirst, tz, encoding,
                                             batch_size, requester_domain), fmt)


def _options(dry_run, skip_bad, rejects, create_missing, dayfirst, tz, encoding, batch_size, requester_domain):
    from deskui.services.importers.common import ImportOptions

    return ImportOptions(dry_run=dry_run, skip_bad=skip_bad, rejects_path=rejects, batch_size=batch_size,
                         create_missing=create_missing, dayfirst=dayfirst, timezone=tz, encoding=encoding,
                         requester_domain=requester_domain.strip().lstrip("@") or "imported.invalid")


def _run(file: Path, mapping, options, fmt: str) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from deskui.services.importers.csv_mapped import run_mapped_import

    engine = common.get_engine()
    actor = common.get_actor()
    console = Console(stderr=True)
    progress = Progress(TextColumn("importing"), BarColumn(), TaskProgressColumn(), TextColumn("{task.description}"),
                        TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)

    def report(p) -> None:
        progress.update(task, completed=p.bytes_read, total=p.total_bytes,
                        description=f"{p.rows_read:,} rows, {p.tickets_created:,} created, "
                                    f"{p.tickets_updated:,} updated, {p.rows_skipped:,} skipped")

    try:
        with progress:
            task = progress.add_task("", total=None)
            summary = run_mapped_import(engine, file, mapping, options, report, actor=actor)
    except KeyboardInterrupt:
        typer.echo("deskui: interrupted: batches already written stay imported, the one in progress was rolled "
                   "back; run the same command again to continue (imported rows are skipped)", err=True)
        raise typer.Exit(130) from None
    if fmt == "json":
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo("\n".join(summary_lines(summary)))


def summary_lines(summary) -> list[str]:
    head = f"{summary.kind} import of {summary.source}" + (" (dry run: nothing written)" if summary.dry_run else "")
    rate = summary.rows_read / summary.seconds if summary.seconds else 0
    lines = [
        head,
        f"  rows read        {summary.rows_read:>10,}",
        f"  rows applied     {summary.rows_applied:>10,}",
        f"  rows unchanged   {summary.rows_unchanged:>10,}  (already imported)",
    ]
    skipped = f"  rows skipped     {summary.rows_skipped:>10,}"
    if summary.skipped:
        skipped += "  (" + ", ".join(f"{reason}: {n:,}" for reason, n in sorted(summary.skipped.items())) + ")"
    lines.append(skipped)
    if summary.rejects_file:
        lines.append(f"  rejects file     {summary.rejects_file}")
    lines += [
        f"  tickets created  {summary.tickets_created:>10,}",
        f"  tickets updated  {summary.tickets_updated:>10,}",
        f"  events written   {summary.events_written:>10,}",
    ]
    if summary.source_sla_made or summary.source_sla_missed:
        lines.append(f"  source SLA       {summary.source_sla_made:,} made, {summary.source_sla_missed:,} missed "
                     "(the source's verdict, kept on each ticket)")
    if summary.resolution_unknown:
        lines.append(f"  no resolved time {summary.resolution_unknown:,} tickets resolved without a resolution time in "
                     "the source: counted as resolved, left out of durations (never the close time)")
    if summary.created_missing:
        lines.append("  created missing  " + ", ".join(f"{kind}: {n:,}" for kind, n in
                                                       sorted(summary.created_missing.items())))
    if summary.ignored_columns:
        shown = ", ".join(summary.ignored_columns[:12]) + (", ..." if len(summary.ignored_columns) > 12 else "")
        lines.append(f"  ignored columns  {shown}")
    lines.append(f"  time             {summary.seconds:>10.1f} s  ({rate:,.0f} rows/s)")
    return lines
