"""`deskui rules ...` (automation rules) and `deskui route suggest` (routing from
similar resolved tickets)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, out


def seed_rules(file: Path = typer.Argument(..., help="TOML file of [[rule]] tables")) -> None:
    """Replace the automation rules with a file.

    The rules become those of FILE ([[rule]] tables: assignment, SLA escalation,
    auto-close); rules not in it are removed. All or nothing.
    """
    from deskui.services.automation import seed_rules as seed

    s = seed(common.get_engine(), file, actor=common.get_actor())
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
    """Assign unassigned tickets by the rules.

    Applies the assignment rules to the unassigned active tickets given (default:
    every one, up to --limit), for instance after an import.
    """
    from deskui.services.automation import apply_assignment

    outcome = apply_assignment(common.get_engine(), tickets or None, limit=limit, actor=common.get_actor())
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
    if got.weak:  # issue 15.13: found, but confident about nothing
        from deskui.domain.ranking import SUGGESTION_FLOOR

        out(f"no good suggestion: the closest resolved tickets share {got.confidence:.0%} of this text's words "
            f"(weighted by rarity; a suggestion needs {SUGGESTION_FLOOR:.0%})")
        return
    common.emit(rows, "table", ("kind", "name", "share", "votes"), title="suggestions")
    common.emit([{"ticket": f"#{e.id}", "subject": e.subject, "category": e.category, "group": e.group,
                  "score": f"{e.score:.2f}"} for e in got.evidence], "table",
                ("ticket", "subject", "category", "group", "score"), title="evidence")


def route_evaluate(
    holdout: float = typer.Option(0.2, "--holdout", help="Share of resolved tickets held out (0-1)."),
    seed: int = typer.Option(7, "--seed", help="Which split: the same seed, the same tickets."),
    sample: int = typer.Option(2000, "--sample", min=1, help="Held-out tickets scored, at most."),
    model: bool = typer.Option(True, "--model/--no-model", help="Also learn and score the trained model "
                               "(without the held-out tickets; takes longest)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Accuracy of the group and category suggestions on held-out resolved tickets, beside baselines."""
    import json
    from dataclasses import asdict

    from deskui.reads.routing_evaluation import evaluate

    fmt = common.check_format_in(("table", "json"), fmt)
    got = evaluate(common.get_engine(), holdout=holdout, seed=seed, sample=sample, with_model=model)
    if fmt == "json":
        out(json.dumps(asdict(got), indent=2, ensure_ascii=False))
        return

    def pct(value) -> str:
        return "-" if value is None else f"{value:.1%}"

    out(f"{got.evaluated:,} held-out resolved tickets ({got.holdout:.0%}, seed {got.seed}); "
        f"suggestions learn from {got.trained:,} others")
    out(f"{'':<34}{'group top-1':>12}{'top-3':>8}{'category top-1':>16}{'top-3':>8}")
    none = type(got.groups.majority)(None, None)
    for label, attr in (("trained model (route train)", "model"), ("weighted neighbours", "deskui"),
                        ("most frequent label", "majority"), ("plain 5-neighbour vote (raw FTS)", "knn")):
        g, c = getattr(got.groups, attr), getattr(got.categories, attr)
        if attr == "model":
            if g is None and c is None:
                continue
            g, c = g.accuracy if g else none, c.accuracy if c else none
        out(f"{label:<34}{pct(g.top1):>12}{pct(g.top3):>8}{pct(c.top1):>16}{pct(c.top3):>8}")
    for name, m in (("group", got.groups.model), ("category", got.categories.model)):
        if m is not None:
            out(f"{name} model: confidence >= {m.min_confidence:.2f} on {pct(m.coverage)} of tickets, "
                f"right on {pct(m.precision)} of those; below it, no suggestion")
    for title, rows in (("largest groups", got.largest), ("smallest groups", got.smallest)):
        if rows:
            out(f"\n{title}: recall of the top-1 group (held out / learnt from)")
            for r in rows:
                out(f"  {r.name[:40]:<42}{pct(r.recall):>7}  ({r.held_out:,} / {r.trained:,})")


def route_train(
    min_confidence: Optional[float] = typer.Option(
        None, "--min-confidence", help="No suggestion below this calibrated confidence (0-1) [default: 0.3, "
        "or the stored models' value]."),
    if_stale: bool = typer.Option(False, "--if-stale", help="Only when no model exists or enough tickets were "
                                  "resolved since the last training (for cron)."),
    stale_after: int = typer.Option(200, "--stale-after", min=1, help="With --if-stale: resolved tickets added."),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
) -> None:
    """Train the routing classifier (group and category) on the resolved tickets."""
    import json
    from dataclasses import asdict

    from deskui.services.routing_training import train

    fmt = common.check_format_in(("table", "json"), fmt)
    got = train(common.get_engine(), min_confidence=min_confidence, if_stale=if_stale, stale_after=stale_after)
    if fmt == "json":
        out(json.dumps(asdict(got), indent=2))
        return

    def pct(value) -> str:
        return "-" if value is None else f"{value:.1%}"

    for m in got.models:
        kinds = "categories" if m.target == "category" else "groups"
        out(f"{m.target}: {m.labels} {kinds} from {m.trained_on:,} resolved tickets; held out {m.held_out:,}: "
            f"top-1 {pct(m.top1)}, top-3 {pct(m.top3)}; confidence >= {m.min_confidence:.2f} on {pct(m.coverage)}, "
            f"right on {pct(m.precision)} of those")
    for why in got.skipped:
        out(f"not trained: {why}")
    out(f"{len(got.models)} model(s) stored in {got.seconds:.1f} s")


def route_auto_assign(
    confidence: Optional[str] = typer.Argument(None, help="0-1 (e.g. 0.8), or 'off'; none: show the setting"),
) -> None:
    """Let rules move a new ticket without a group to the model's suggested group at or above a confidence."""
    from deskui.services.routing_auto import auto_assign_setting, set_auto_assign

    engine = common.get_engine()
    if confidence is not None:
        if confidence.strip().lower() == "off":
            value = None
        else:
            try:
                value = float(confidence)
            except ValueError:
                raise typer.BadParameter(f"{confidence!r} is not a number between 0 and 1 or 'off'",
                                         param_hint="CONFIDENCE") from None
        set_auto_assign(engine, value)
    current = auto_assign_setting(engine)
    out("routing by suggestion: off" if current is None else
        f"routing by suggestion: new tickets without a group go to the suggested group at confidence >= {current:.2f}")


def register(app: typer.Typer, make) -> None:
    rules_app = make(help="Automation rules: seed, list, apply assignment to unassigned tickets.")
    rules_app.command("seed")(seed_rules)
    rules_app.command("list")(rules_list)
    rules_app.command("apply")(rules_apply)
    app.add_typer(rules_app, name="rules")

    route_app = make(help="Routing suggestions from similar resolved tickets.")
    route_app.command("suggest")(route_suggest)
    route_app.command("evaluate")(route_evaluate)
    route_app.command("train")(route_train)
    route_app.command("auto-assign")(route_auto_assign)
    app.add_typer(route_app, name="route")
