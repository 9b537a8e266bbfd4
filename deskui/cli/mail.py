"""`deskui mail ...`: deliver the outbox of notifications to requesters.

    deskui mail send                 # one pass (cron)
    deskui mail send --watch         # a pass every --interval seconds
    deskui mail outbox --state failed --format json
    deskui mail retry 17             # or --all-failed

``mail outbox --format json`` rows: ``id``, ``ticket``, ``kind``, ``to``,
``subject``, ``state``, ``attempts``, ``next_attempt_at``, ``sent_at``,
``last_error``, ``message_id``. ``mail send --format json``: ``sent``,
``retrying``, ``failed``, ``unreachable``, ``errors``.
"""

from __future__ import annotations

import json
from typing import Optional

import typer

from deskui.cli import common

app = typer.Typer(help="Mail to requesters: deliver the outbox, list it, retry what failed.", no_args_is_help=True,
                  rich_markup_mode=None, pretty_exceptions_enable=False)

FORMATS = ("table", "json")
COLUMNS = ("id", "ticket", "kind", "to", "subject", "state", "attempts", "next_attempt_at", "sent_at", "last_error")


def _summary_line(summary) -> str:
    line = f"mail: {summary.sent} sent, {summary.retrying} to retry, {summary.failed} failed"
    if summary.unreachable:
        line += f"; server unreachable, the rest stays queued: {summary.unreachable}"
    return line


@app.command("send")
def send(
    watch: bool = typer.Option(False, "--watch", help="Keep sending: a pass every --interval seconds."),
    interval: float = typer.Option(30.0, "--interval", min=1, help="Seconds between passes with --watch."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Send at most this many in one pass."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Deliver queued notifications over SMTP (config.toml [mail], DESKUI_SMTP_URL)."""
    from deskui.services.mail.sender import send_pass, watch as watch_loop
    from deskui.services.mail.smtp import SmtpTransport, smtp_settings

    common.check_format_in(FORMATS, fmt)
    engine = common.get_engine()
    settings = smtp_settings(common.settings().raw)

    def report(summary) -> None:
        typer.echo(json.dumps(summary.as_dict()) if fmt == "json" else _summary_line(summary))

    if watch:
        watch_loop(engine, lambda: SmtpTransport(settings), settings, interval=interval, report=report)
        return
    summary = send_pass(engine, SmtpTransport(settings), settings, limit=limit)
    report(summary)
    for error in summary.errors[:10]:
        typer.echo(f"  failed: {error}", err=True)


@app.command("outbox")
def outbox_(
    state: Optional[str] = typer.Option(None, "--state", help="queued, sending, sent or failed."),
    ticket: Optional[int] = typer.Option(None, "--ticket", min=1, help="Only this ticket's mail."),
    limit: int = typer.Option(200, "--limit", min=1, max=100_000),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """List outgoing mail, newest first, with its state."""
    from deskui.domain.mail import STATES
    from deskui.reads.mail import outbox_counts, outbox_rows

    common.check_format_in(FORMATS, fmt)
    if state is not None and state not in STATES:
        raise typer.BadParameter(f"{state!r} is not one of {', '.join(STATES)}", param_hint="--state")
    engine = common.get_engine()
    rows = [{"id": r.id, "ticket": r.ticket_id, "kind": r.kind, "to": r.to_address, "subject": r.subject,
             "state": r.state, "attempts": r.attempts, "next_attempt_at": r.next_attempt_at, "sent_at": r.sent_at,
             "last_error": r.last_error, "message_id": r.message_id}
            for r in outbox_rows(engine, state=state, ticket_id=ticket, limit=limit)]
    if fmt == "json":
        common.emit(rows, "json", COLUMNS)
        return
    counts = outbox_counts(engine)
    common.emit(rows, "table", COLUMNS, title=", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("retry")
def retry(
    row_id: Optional[int] = typer.Argument(None, help="The outbox id of a failed message."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed message."),
) -> None:
    """Queue failed mail again (attempts start from zero)."""
    from deskui.services.mail.sender import requeue

    if (row_id is None) == (not all_failed):
        raise typer.BadParameter("give an outbox ID or --all-failed (not both)")
    count = requeue(common.get_engine(), None if all_failed else row_id)
    if row_id is not None and count == 0:
        common.fail(f"outbox #{row_id}: no failed message with that id (see deskui mail outbox --state failed)")
    typer.echo(f"mail: {count} queued again")


@app.command("config")
def config(
    notify: Optional[str] = typer.Option(None, "--notify", help="Kinds that mail the requester, comma-separated "
                                         "(created, reply, pending, escalated, resolved, reopened, closed) or none."),
    domain: Optional[str] = typer.Option(None, "--domain", help="Domain of the Message-IDs (your mail domain)."),
    csat_share: Optional[float] = typer.Option(None, "--csat-share", help="Share (0-1) of resolutions asked for a score."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Show the desk's mail settings (kept in the database), or change them."""
    from deskui.services.mail.desk import configure, current

    common.check_format_in(FORMATS, fmt)
    engine = common.get_engine()
    if notify is None and domain is None and csat_share is None:
        values = current(engine)
    else:
        values = configure(engine, notify=notify, domain=domain, csat_share=csat_share)
    if fmt == "json":
        typer.echo(json.dumps(values))
        return
    typer.echo(f"notify      {', '.join(values['notify']) or 'none'}\n"
               f"domain      {values['domain']}\ncsat share  {values['csat_share']:g}")
