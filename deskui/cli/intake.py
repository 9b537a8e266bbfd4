"""`deskui intake ...`: work that arrives by itself -- mail and monitoring alerts.

    deskui intake email ~/Maildir/servicedesk --group "Service Desk"
    DESKUI_IMAP_PASSWORD=... deskui intake imap imaps://desk@mail.example.org --move-to Taken
    tail -F /var/log/nagios/alerts.jsonl | deskui intake alerts - --group "Server & Cloud"

``--format json`` prints the summary as one JSON object. For mail: ``source``,
``dry_run``, ``messages_read``, ``tickets_created``, ``comments_added``,
``reopened``, ``resumed``, ``not_on_thread`` (mail naming a ticket from someone
not on its thread: a new ticket), ``rated`` (survey answers by reply), ``ignored``
(reason -> count), ``errors``, ``seconds``; the same for ``intake imap``. For alerts: ``source``, ``dry_run``, ``alerts_read``,
``incidents_opened``, ``notes_added``, ``resolved``, ``reopened``,
``held_back``, ``ignored``, ``skipped``, ``rows_skipped``, ``rejects_file``,
``seconds``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from deskui.cli import common

app = typer.Typer(help="Take in work that arrives by itself: email and monitoring alerts.", no_args_is_help=True,
                  rich_markup_mode=None, pretty_exceptions_enable=False)

FORMATS = ("table", "json")


def _progress(label: str):
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(SpinnerColumn(), TextColumn(label), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def _reasons(label: str, counts) -> str:
    """A summary line for a reason -> count tally: the total, then each reason."""
    line = f"  {label:<17}{sum(counts.values()):>8,}"
    if counts:
        line += "  (" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + ")"
    return line


@app.command("email")
def email_(
    path: Path = typer.Argument(..., help="An .eml file, an mbox file, a Maildir folder or a folder of .eml files."),
    group: Optional[str] = typer.Option(None, "--group", help="Group new tickets go to."),
    type_: str = typer.Option("incident", "--type", help="Type of new tickets: incident or request."),
    desk_address: List[str] = typer.Option([], "--desk-address",
                                           help="The desk's own address (mail from it is a loop); repeatable. "
                                                "Groups' emails count already."),
    loop_limit: int = typer.Option(20, "--loop-limit", min=1, help="Messages from one sender within "
                                                                   "--loop-window that make a loop."),
    loop_window: int = typer.Option(60, "--loop-window", min=1, help="Minutes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide everything, write nothing."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Open tickets from new mail; replies become comments (and reopen resolved tickets)."""
    from deskui.domain.enums import TicketType, allowed
    from deskui.services.intake.email import MailOptions, intake_email

    common.check_format_in(FORMATS, fmt)
    if type_ not in {t.value for t in TicketType}:
        raise typer.BadParameter(f"{type_!r} is not one of {allowed(TicketType)}", param_hint="--type")
    options = MailOptions(dry_run=dry_run, group=group, ticket_type=type_, desk_addresses=tuple(desk_address),
                          loop_limit=loop_limit, loop_window_minutes=loop_window)
    engine = common.get_engine()
    actor = common.get_actor()
    with _progress("mail") as progress:
        task = progress.add_task("", total=None)
        summary = intake_email(engine, path, options, lambda s: progress.update(
            task, description=f"{s.messages_read:,} read, {s.tickets_created:,} tickets, {s.comments_added:,} replies"),
            actor=actor)
    _print_mail_summary(summary, fmt)


def _print_mail_summary(summary, fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return
    lines = [
        f"email intake of {summary.source}" + (" (dry run: nothing written)" if summary.dry_run else ""),
        f"  messages read    {summary.messages_read:>8,}",
        f"  tickets created  {summary.tickets_created:>8,}  ({summary.not_on_thread} from mail naming a ticket "
        "whose thread the sender is not on)",
        f"  replies added    {summary.comments_added:>8,}  ({summary.reopened} reopened, {summary.resumed} "
        "back from pending)",
        f"  ratings          {summary.rated:>8,}",
        _reasons("ignored", summary.ignored),
    ]
    lines += [f"  unreadable: {e}" for e in summary.errors[:10]]
    typer.echo("\n".join(lines))


@app.command("imap")
def imap(
    url: str = typer.Argument(..., help="imaps://user@host[:993], imap+starttls://user@host[:143] or "
                                        "imap://user@host (loopback only)."),
    folder: str = typer.Option("INBOX", "--folder", help="The folder to read."),
    move_to: Optional[str] = typer.Option(None, "--move-to", help="Move taken mail here (else it is flagged)."),
    password_file: Optional[Path] = typer.Option(None, "--password-file",
                                                 help="File holding the password (else DESKUI_IMAP_PASSWORD)."),
    ca_file: str = typer.Option("", "--ca-file", help="CA bundle for a server with a private certificate."),
    group: Optional[str] = typer.Option(None, "--group", help="Group new tickets go to."),
    type_: str = typer.Option("incident", "--type", help="Type of new tickets: incident or request."),
    desk_address: List[str] = typer.Option([], "--desk-address", help="The desk's own address; repeatable."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide everything, write nothing, flag nothing."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Take new mail from an IMAP mailbox: by UID, each message once, flagged or moved when taken."""
    from deskui.domain.enums import TicketType, allowed
    from deskui.services.intake.email import MailOptions
    from deskui.services.intake.imap import imap_account, intake_imap

    common.check_format_in(FORMATS, fmt)
    if type_ not in {t.value for t in TicketType}:
        raise typer.BadParameter(f"{type_!r} is not one of {allowed(TicketType)}", param_hint="--type")
    account = imap_account(url, password_file=password_file, ca_file=ca_file)
    options = MailOptions(dry_run=dry_run, group=group, ticket_type=type_, desk_addresses=tuple(desk_address))
    engine = common.get_engine()
    with _progress("imap") as progress:
        task = progress.add_task("", total=None)
        summary = intake_imap(engine, account, options, folder=folder, move_to=move_to, progress=lambda s: progress.update(
            task, description=f"{s.messages_read:,} read, {s.tickets_created:,} tickets, {s.comments_added:,} replies"))
    _print_mail_summary(summary, fmt)


@app.command("alerts")
def alerts(
    file: str = typer.Argument(..., help="A JSON Lines file of alerts, or - for standard input."),
    group: Optional[str] = typer.Option(None, "--group", help="Group new incidents go to."),
    flap_changes: int = typer.Option(3, "--flap-changes", min=2,
                                     help="Problem/recovery changes within --flap-window that count as flapping."),
    flap_window: int = typer.Option(30, "--flap-window", min=1, help="Minutes."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip bad lines (counted, written to the rejects "
                                                            "file) instead of stopping."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Where --skip-bad writes skipped lines "
                                                                   "[default: FILE.rejects.jsonl]."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide everything, write nothing."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Open, note and resolve incidents from monitoring alerts (JSON Lines)."""
    from deskui.services.intake.alerts import AlertOptions, intake_alerts

    common.check_format_in(FORMATS, fmt)
    options = AlertOptions(dry_run=dry_run, skip_bad=skip_bad, rejects_path=rejects, group=group,
                           flap_changes=flap_changes, flap_window_minutes=flap_window)
    engine = common.get_engine()
    actor = common.get_actor()
    with _progress("alerts") as progress:
        task = progress.add_task("", total=None)
        summary = intake_alerts(engine, file, options, lambda s: progress.update(
            task, description=f"{s.alerts_read:,} read, {s.incidents_opened:,} opened, {s.resolved:,} resolved"),
            actor=actor)
    if fmt == "json":
        typer.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return
    lines = [
        f"alert intake of {summary.source}" + (" (dry run: nothing written)" if summary.dry_run else ""),
        f"  alerts read      {summary.alerts_read:>8,}",
        f"  incidents opened {summary.incidents_opened:>8,}",
        f"  notes added      {summary.notes_added:>8,}",
        f"  resolved         {summary.resolved:>8,}",
        f"  reopened         {summary.reopened:>8,}  (problem again while flapping)",
        f"  held back        {summary.held_back:>8,}  (recoveries while flapping)",
        _reasons("ignored", summary.ignored),
        _reasons("skipped", summary.skipped),
    ]
    if summary.rejects_file:
        lines.append(f"  rejects file     {summary.rejects_file}")
    typer.echo("\n".join(lines))
