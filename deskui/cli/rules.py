"""`deskui rules ...` (automation rules) and `deskui route suggest` (routing from
similar resolved tickets)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, out


def seed_rules(file: Path = typer.Argument(..., help="TOML file")) -> None:
    from deskui.services.automation import seed_rules as seed

    s = seed(common.get_engine(), file)
    out(f"rules: {s.created} created, {s.updated} updated, {s.unchanged} unchanged")


def rules_list(fmt: str = FormatOpt) -> None:
    """The automation rules in the order they apply."""
    import json

    from deskui.services.automation import list_rules

    rows = list_rules(common.get_engine())
    common.emit([{"name": r.name, "kind": r.kind, "enabled": r.enabled,
                  "config": r.config if fmt == "json" else json.dumps(r.config, sort_keys=True)} for r in rows],
                fmt, ("name", "kind", "enabled", "config"))


def rules_apply(tickets: Optional[List[int]] = common.ticket_argument(None, help="Tickets (default: every unassigned one)"),
                limit: int = typer.Option(500, "--limit", "-n")) -> None:
    """Apply the assign rules to unassigned active tickets (e.g. after an import)."""
    from deskui.services.automation import apply_assignment

    outcome = apply_assignment(common.get_engine(), tickets or None, limit=limit)
    for ticket_id, who in outcome.assigned:
        out(f"#{ticket_id} -> {who}")
    for ticket_id, why in outcome.skipped:
        out(f"#{ticket_id} skipped: {why}")
    out(f"assigned {len(outcome.assigned)}, skipped {len(outcome.skipped)}")


def route_suggest(
    ticket: Optional[int] = common.ticket_argument(None, help="Ticket to route"),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Free text instead of a ticket"),
    k: int = typer.Option(15, "--k", help="Neighbours consulted"),
    fmt: str = FormatOpt,
) -> None:
    """Suggest category and group from similar resolved tickets, with the evidence."""
    from deskui.reads.routing import suggest, suggest_for_ticket

    if (ticket is None) == (text is None):
        raise typer.BadParameter("give a ticket number or --text", param_hint="TICKET/--text")
    engine = common.get_engine()
    got = suggest_for_ticket(engine, ticket, k=k) if ticket is not None else suggest(engine, text, k=k)
    if fmt == "json":
        common.emit_object(got, "json")
        return
    rows = ([{"kind": "category", "name": s.name, "share": f"{s.share:.0%}", "votes": s.votes} for s in got.categories]
            + [{"kind": "group", "name": s.name, "share": f"{s.share:.0%}", "votes": s.votes} for s in got.groups])
    if fmt == "csv":
        common.emit(rows, "csv", ("kind", "name", "share", "votes"))
        return
    if got.empty:
        out("no similar resolved tickets")
        return
    common.emit(rows, "table", ("kind", "name", "share", "votes"), title="suggestions")
    common.emit([{"ticket": f"#{e.id}", "subject": e.subject, "category": e.category, "group": e.group,
                  "score": f"{e.score:.2f}"} for e in got.evidence], "table",
                ("ticket", "subject", "category", "group", "score"), title="evidence")


def register(app: typer.Typer, make) -> None:
    rules_app = make(help="Automation rules: seed, list, apply assignment to unassigned tickets.")
    rules_app.command("seed")(seed_rules)
    rules_app.command("list")(rules_list)
    rules_app.command("apply")(rules_apply)
    app.add_typer(rules_app, name="rules")

    route_app = make(help="Routing suggestions from similar resolved tickets.")
    route_app.command("suggest")(route_suggest)
    app.add_typer(route_app, name="route")
