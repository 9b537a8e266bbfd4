"""`deskui ticket ...`: work tickets from the command line (through the services)."""

from __future__ import annotations

from typing import Callable, Optional

import typer

from deskui.cli import common
from deskui.domain.enums import Channel, Level, PendingReason, ResolutionCode, Status, TicketType

from deskui.cli.ticket_table import FULL_COLUMNS as LIST_COLUMNS


def register(app: typer.Typer, make: Callable[..., typer.Typer]) -> None:
    ticket_app = make(help="Open, list, show and work tickets.")
    for name, fn in (("new", new), ("list", list_), ("show", show), ("assign", assign), ("take", take),
                     ("comment", comment), ("status", status), ("escalate", escalate), ("resolve", resolve),
                     ("reopen", reopen), ("close", close), ("priority", priority)):
        ticket_app.command(name)(fn)
    app.add_typer(ticket_app, name="ticket")


FormatOpt = typer.Option("table", "--format", "-f", help="table, json or csv", callback=common.check_format)


def row_of(t) -> dict:
    """The stable JSON shape of a ticket row (documented in the README)."""
    return {
        "id": t.id, "number": t.number, "type": t.type, "priority": t.priority, "status": t.status,
        "pending_reason": t.pending_reason, "sla": _worst_sla(t), "response_state": t.response_state,
        "resolution_state": t.resolution_state, "subject": t.subject, "requester": t.requester_email,
        "group": t.group, "assignee": t.assignee, "category": t.category, "channel": t.channel, "tier": t.tier,
        "ci": t.ci, "created_at": t.created_at, "updated_at": t.updated_at,
        "first_response_at": t.first_response_at, "resolved_at": t.resolved_at,
        "response_due_at": t.response_due_at, "resolution_due_at": t.resolution_due_at, "version": t.version,
    }


_SLA_ORDER = ("breached", "at_risk", "paused", "ok", "met")


def _worst_sla(t) -> str:
    states = [s for s in (t.response_state, t.resolution_state) if s]
    return min(states, key=_SLA_ORDER.index) if states else ""


def _print_ticket(record, fmt: str) -> None:
    if fmt == "table":
        typer.echo(f"{record.number} [{record.status}] P{record.priority} {record.subject}")
    else:
        common.emit([row_of(record)], fmt, LIST_COLUMNS)


def new(
    subject: str = typer.Option(..., "--subject", "-s"),
    requester: str = typer.Option(..., "--requester", "-r", help="Requester email"),
    description: str = typer.Option("", "--description", "-d"),
    type_: str = typer.Option("incident", "--type", help="incident, request or problem",
                              callback=common.one_of(TicketType)),
    channel: str = typer.Option("portal", "--channel", help="phone, email, chat, portal, monitoring or walk_in",
                                callback=common.one_of(Channel)),
    category: Optional[str] = typer.Option(None, "--category", help="Category path, e.g. Network/VPN"),
    impact: str = typer.Option("medium", "--impact", help="high, medium or low", callback=common.one_of(Level)),
    urgency: str = typer.Option("medium", "--urgency", help="high, medium or low", callback=common.one_of(Level)),
    ci: str = typer.Option("", "--ci", help="Configuration item"),
    group: Optional[str] = typer.Option(None, "--group"),
    assignee: Optional[str] = typer.Option(None, "--assignee"),
    fmt: str = FormatOpt,
) -> None:
    """Open a ticket (priority from the matrix, routing from the category)."""
    from deskui.services.tickets import open_ticket

    record = open_ticket(common.get_engine(), common.get_actor(), subject=subject, requester=requester,
                         description=description, type=type_, channel=channel, category=category, impact=impact,
                         urgency=urgency, ci=ci, group=group, assignee=assignee)
    _print_ticket(record, fmt)


def list_(
    query: str = typer.Option("", "--query", "-q", help='Queue query, e.g. "status:open priority:1,2 assignee:me"'),
    sort: str = typer.Option("sla", "--sort", help="sla, priority, updated or created"),
    limit: int = typer.Option(50, "--limit", "-n", min=1),
    all_: bool = typer.Option(False, "--all", help="Include resolved, closed and cancelled tickets"),
    fmt: str = FormatOpt,
) -> None:
    """List tickets: the queue, sorted by SLA due time by default.

    On a terminal one line per ticket, fitted to its width; into a pipe or a file
    every column in full, tab-separated (--format csv or json for a header or keys).
    """
    from deskui.errors import UsageError
    from deskui.domain.query import QueryError, parse_query
    from deskui.reads.queue import SORTS, first_page

    if sort not in SORTS:
        raise typer.BadParameter(f"{sort!r} is not one of {', '.join(SORTS)}", param_hint="--sort")
    me = None
    if "assignee:me" in query:
        me = common.get_actor().id
    try:
        parse_query(query)
    except QueryError as exc:
        raise UsageError("--query", str(exc)) from None
    # A well-formed query naming nobody is not a usage error: one line, exit 1 (issue 15.5).
    records = first_page(common.get_engine(), query, sort=sort, limit=limit, include_inactive=all_, me_id=me,
                         check=True)
    if fmt == "table":
        from deskui import clock
        from deskui.cli.ticket_table import print_rows

        # Fitted to the terminal, like `gh issue list`; in full (tab-separated) into a pipe or file.
        print_rows([row_of(r) for r in records], clock.now())
        return
    common.emit([row_of(r) for r in records], fmt, LIST_COLUMNS)


def show(ticket: int = common.ticket_argument(), fmt: str = FormatOpt) -> None:
    """Show a ticket with its conversation and history."""
    from deskui.reads.ticket import ticket_view

    view = ticket_view(common.get_engine(), ticket)  # what the ticket screen shows, read the same way
    record, convo, history = view.ticket, view.comments, view.events
    if fmt == "json":
        data = row_of(record) | {
            "description": record.description, "priority_reason": record.priority_reason,
            "resolution_code": record.resolution_code, "resolution_notes": record.resolution_notes,
            "reopen_count": record.reopen_count, "reassignment_count": record.reassignment_count,
            "escalation_count": record.escalation_count, "external_ref": record.external_ref,
            "external_made_sla": record.external_made_sla,
            "comments": [common.to_plain(c) for c in convo], "events": [common.to_plain(e) for e in history],
        }
        common.emit_object(data, "json")
        return
    if fmt == "csv":
        common.emit([row_of(record)], "csv", LIST_COLUMNS)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console()
    console.print(Text(f"{record.number}  {record.subject}", style="bold"))
    console.print(Text(f"{record.type} · {record.status} · P{record.priority} ({record.priority_reason}) · "
                       f"{record.requester_name} <{record.requester_email}> · {record.group or '-'} · "
                       f"{record.assignee or 'unassigned'}"))
    if record.description:
        console.print(Text(record.description))
    for c in convo:
        label = "INTERNAL NOTE" if c.visibility == "internal" else "PUBLIC REPLY"
        console.print(Text(f"\n── {label} · {c.author} · {c.created_at:%Y-%m-%d %H:%M}",
                           style="yellow" if c.visibility == "internal" else "cyan"))
        console.print(Text(c.body))


def assign(
    ticket: int = common.ticket_argument(),
    analyst: Optional[str] = typer.Argument(None, help="Username; omit with --none to unassign"),
    group: Optional[str] = typer.Option(None, "--group"),
    none: bool = typer.Option(False, "--none", help="Unassign"),
    fmt: str = FormatOpt,
) -> None:
    """Assign a ticket to an analyst (and optionally a group)."""
    from deskui.services.tickets import assign as assign_ticket

    if not analyst and not none and not group:
        raise typer.BadParameter("give an analyst, --group or --none")
    record = assign_ticket(common.get_engine(), common.get_actor(), ticket, None if none else analyst, group=group)
    _print_ticket(record, fmt)


def take(ticket: int = common.ticket_argument(), fmt: str = FormatOpt) -> None:
    """Assign a ticket to yourself."""
    from deskui.services.tickets import take as take_ticket

    _print_ticket(take_ticket(common.get_engine(), common.get_actor(), ticket), fmt)


def comment(
    ticket: int = common.ticket_argument(),
    body: str = typer.Argument(..., help="Text; '-' reads standard input"),
    internal: bool = typer.Option(False, "--internal", help="Internal note (analysts only)"),
) -> None:
    """Add a public reply (or an internal note with --internal)."""
    import sys

    from deskui.services.tickets import add_comment

    text = sys.stdin.read() if body == "-" else body
    record = add_comment(common.get_engine(), common.get_actor(), ticket, text, internal=internal)
    typer.echo(f"#{ticket}: {record.visibility} comment {record.id} added")


def status(
    ticket: int = common.ticket_argument(),
    new_status: str = typer.Argument(..., metavar="STATUS", help="new, open, pending, resolved, closed or cancelled",
                                     callback=common.one_of(Status)),
    reason: Optional[str] = typer.Option(None, "--reason", help="Pending reason: awaiting_requester, awaiting_vendor, awaiting_change",
                                         callback=common.one_of(PendingReason)),
    fmt: str = FormatOpt,
) -> None:
    """Change status along the workflow."""
    from deskui.services.tickets import change_status

    _print_ticket(change_status(common.get_engine(), common.get_actor(), ticket, new_status, pending_reason=reason), fmt)


def escalate(
    ticket: int = common.ticket_argument(),
    reason: str = typer.Option(..., "--reason"),
    tier: Optional[int] = typer.Option(None, "--tier", min=1, max=3, help="1-3"),
    group: Optional[str] = typer.Option(None, "--group"),
    fmt: str = FormatOpt,
) -> None:
    """Escalate to a higher tier and/or another group."""
    from deskui.services.tickets import escalate as escalate_ticket

    _print_ticket(escalate_ticket(common.get_engine(), common.get_actor(), ticket, reason=reason, tier=tier, group=group), fmt)


def resolve(
    ticket: int = common.ticket_argument(),
    code: str = typer.Option(..., "--code", help="solved, workaround, not_reproducible, duplicate, user_error, no_response, fulfilled",
                             callback=common.one_of(ResolutionCode)),
    notes: str = typer.Option(..., "--notes"),
    fmt: str = FormatOpt,
) -> None:
    """Resolve with a resolution code and notes."""
    from deskui.services.tickets import resolve as resolve_ticket

    _print_ticket(resolve_ticket(common.get_engine(), common.get_actor(), ticket, code=code, notes=notes), fmt)


def reopen(ticket: int = common.ticket_argument(), reason: str = typer.Option(..., "--reason"), fmt: str = FormatOpt) -> None:
    """Reopen a resolved ticket (its resolution clock resumes where it stopped)."""
    from deskui.services.tickets import reopen as reopen_ticket

    _print_ticket(reopen_ticket(common.get_engine(), common.get_actor(), ticket, reason=reason), fmt)


def close(ticket: int = common.ticket_argument(), fmt: str = FormatOpt) -> None:
    """Close a resolved ticket (final)."""
    from deskui.services.tickets import close as close_ticket

    _print_ticket(close_ticket(common.get_engine(), common.get_actor(), ticket), fmt)


def priority(
    ticket: int = common.ticket_argument(),
    impact: Optional[str] = typer.Option(None, "--impact", help="high, medium or low", callback=common.one_of(Level)),
    urgency: Optional[str] = typer.Option(None, "--urgency", help="high, medium or low", callback=common.one_of(Level)),
    set_priority: Optional[int] = typer.Option(None, "--priority", min=1, max=4, help="Override 1-4 (needs --reason)"),
    reason: str = typer.Option("", "--reason"),
    fmt: str = FormatOpt,
) -> None:
    """Change priority: from the matrix (impact/urgency) or an override with a reason."""
    from deskui.services.tickets import change_priority

    _print_ticket(change_priority(common.get_engine(), common.get_actor(), ticket, impact=impact, urgency=urgency,
                                  priority=set_priority, reason=reason), fmt)
