"""`deskui problem ...`: problems (root causes of recurring incidents), known
errors and candidate problems; reads through deskui.reads.problems, changes
through deskui.services.problems.

:func:`register` mounts the operations commands of issue 7: `problem`,
`request` (deskui.cli.requests), `bulletin` (deskui.cli.bulletins), `rules`
and `route` (deskui.cli.rules), and `deskui seed rules|catalog FILE`.
"""

from __future__ import annotations

import sys
from typing import Callable, List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, engine_actor, out, print_lines, when


def register(app: typer.Typer, make: Callable[..., typer.Typer]) -> None:
    from deskui.cli import bulletins, requests, rules

    problem_app = make(help="Problems: root causes of recurring incidents, known errors.")
    for name, fn in (("list", problem_list), ("show", problem_show), ("new", problem_new), ("link", problem_link),
                     ("unlink", problem_unlink), ("update", problem_update), ("status", problem_status),
                     ("resolve", problem_resolve), ("candidates", problem_candidates),
                     ("known-errors", problem_known_errors)):
        problem_app.command(name)(fn)
    app.add_typer(problem_app, name="problem")
    request_app = requests.register(app, make)
    bulletins.register(app, make)
    rules.register(app, make)

    seed_app = _sub_app(app, "seed")
    if seed_app is not None:
        seed_app.command("rules", help="Replace the automation rules with a TOML file.")(rules.seed_rules)
        seed_app.command("catalog", help="Upsert the service catalogue from a TOML file.")(requests.seed_catalog)
    else:  # no seed group mounted: keep the catalogue reachable
        request_app.command("seed-catalog")(requests.seed_catalog)


def _sub_app(app: typer.Typer, name: str) -> typer.Typer | None:
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    return None


# ------------------------------------------------------------------ problems

PROBLEM_COLUMNS = ("ref", "status", "title", "incidents", "open_incidents", "recurrences", "owner",
                   "last_incident_at", "updated_at")


def _problem_statuses() -> tuple[str, ...]:
    from deskui.reads.problems import PROBLEM_STATUSES

    return PROBLEM_STATUSES


def _problem_row(p) -> dict:
    return {"id": p.id, "ref": p.ref, "status": p.status, "title": p.title, "incidents": p.incidents,
            "open_incidents": p.open_incidents, "recurrences": p.recurrences, "owner": p.owner,
            "last_incident_at": p.last_incident_at, "created_at": p.created_at, "updated_at": p.updated_at}


def problem_list(
    status: Optional[List[str]] = typer.Option(None, "--status", "-s", help="new, investigating, known_error, "
                                                                             "resolved, closed (repeatable)",
                                               callback=common.one_of(lambda: _problem_statuses())),
    limit: int = typer.Option(200, "--limit", "-n"),
    fmt: str = FormatOpt,
) -> None:
    """List problems with their incident counts and recurrences (30-day window)."""
    from deskui.reads.problems import list_problems

    rows = list_problems(common.get_engine(), statuses=status or (), limit=limit)
    common.emit([_problem_row(p) for p in rows], fmt, PROBLEM_COLUMNS)


def _ref(value: str) -> int:
    from deskui.services.problems import parse_problem_ref

    return parse_problem_ref(value)


def problem_show(problem: str = typer.Argument(..., help="Problem number (12 or PRB-12)"), fmt: str = FormatOpt) -> None:
    """Show a problem: root cause, workaround, fix, incidents and timeline."""
    from deskui.reads.problems import problem_detail

    detail = problem_detail(common.get_engine(), _ref(problem))
    p = detail.problem
    if fmt != "table":
        data = common.to_plain(p) | {"ref": p.ref, "recurrences": detail.recurrences,
                                     "incidents": common.to_plain(detail.incidents),
                                     "events": common.to_plain(detail.events)}
        if fmt == "json":
            common.emit_object(data, "json")
        else:
            common.emit(common.to_plain(detail.incidents), "csv",
                        ("id", "status", "priority", "subject", "ci", "requester", "created_at", "resolved_at"))
        return
    lines = [f"{p.ref} [{p.status}] {p.title}", f"owner: {p.owner or '-'}   created {when(p.created_at)}   "
             f"updated {when(p.updated_at)}   resolved {when(p.resolved_at)}",
             f"root cause:    {p.root_cause or '-'}", f"workaround:    {p.workaround or '-'}",
             f"permanent fix: {p.permanent_fix or '-'}",
             f"incidents ({len(detail.incidents)}, {detail.recurrences} recurrences):"]
    lines += [f"  #{i.id} [{i.status}] P{i.priority} {i.subject}" + (f"  ci {i.ci}" if i.ci else "")
              for i in detail.incidents]
    lines.append("timeline:")
    lines += [f"  {when(e.at)} {e.actor}: {e.kind}" + (f" {e.field}" if e.field else "")
              + (f" {e.old or '-'} -> {e.new or '-'}" if (e.old or e.new) else "")
              + (f"  {e.detail[:80]}" if e.detail and e.kind != "field" else "") for e in detail.events]
    print_lines(lines)


def problem_new(
    title: str = typer.Argument(...),
    incident: Optional[List[int]] = typer.Option(None, "--incident", "-i", help="Incident to link (repeatable)"),
    root_cause: str = typer.Option("", "--root-cause"),
    workaround: str = typer.Option("", "--workaround"),
    owner: Optional[str] = typer.Option(None, "--owner"),
    fmt: str = FormatOpt,
) -> None:
    """Open a problem, optionally from incidents."""
    from deskui.services.problems import create_problem

    engine, actor = engine_actor()
    p = create_problem(engine, actor, title, incidents=incident or (), root_cause=root_cause, workaround=workaround,
                       owner=owner)
    _problem_done(p, fmt, f"{p.ref} opened: {p.title}" + (f" ({len(incident)} incident(s) linked)" if incident else ""))


def _problem_done(p, fmt: str, message: str) -> None:
    if fmt == "table":
        print_lines([message])
    else:
        common.emit([common.to_plain(p) | {"ref": p.ref}], fmt, ("ref", "status", "title", "owner", "version"))


def problem_link(problem: str = typer.Argument(...), tickets: List[int] = common.ticket_argument(help="Incidents")) -> None:
    """Link incidents to a problem."""
    from deskui.services.problems import link

    engine, actor = engine_actor()
    p = link(engine, actor, _ref(problem), tickets)
    out(f"{p.ref}: linked " + ", ".join(f"#{t}" for t in tickets))


def problem_unlink(problem: str = typer.Argument(...), tickets: List[int] = common.ticket_argument()) -> None:
    """Unlink incidents from a problem."""
    from deskui.services.problems import unlink

    engine, actor = engine_actor()
    p = unlink(engine, actor, _ref(problem), tickets)
    out(f"{p.ref}: unlinked " + ", ".join(f"#{t}" for t in tickets))


def problem_update(
    problem: str = typer.Argument(...),
    title: Optional[str] = typer.Option(None, "--title"),
    root_cause: Optional[str] = typer.Option(None, "--root-cause"),
    workaround: Optional[str] = typer.Option(None, "--workaround"),
    fix: Optional[str] = typer.Option(None, "--fix", help="Permanent fix"),
    owner: Optional[str] = typer.Option(None, "--owner"),
    fmt: str = FormatOpt,
) -> None:
    """Record root cause, workaround, permanent fix, title or owner."""
    from deskui.services.problems import update_problem

    engine, actor = engine_actor()
    p = update_problem(engine, actor, _ref(problem), title=title, root_cause=root_cause, workaround=workaround,
                       permanent_fix=fix, owner=owner)
    _problem_done(p, fmt, f"{p.ref} updated")


def problem_status(problem: str = typer.Argument(...),
                   status: str = typer.Argument(..., metavar="STATUS", help="investigating, known_error, resolved, closed",
                                                callback=common.one_of(lambda: _problem_statuses()))) -> None:
    """Move a problem along its workflow (known_error needs a workaround, resolved a fix)."""
    from deskui.services.problems import set_status

    engine, actor = engine_actor()
    p = set_status(engine, actor, _ref(problem), status)
    out(f"{p.ref} is {p.status}")


def problem_resolve(
    problem: str = typer.Argument(...),
    fix: Optional[str] = typer.Option(None, "--fix", help="Permanent fix (required unless recorded already)"),
    resolve_incidents: Optional[bool] = typer.Option(
        None, "--resolve-incidents/--keep-incidents",
        help="Also resolve its open incidents with --note (asks when run in a terminal)"),
    note: str = typer.Option("", "--note", help="Resolution notes for the incidents"),
) -> None:
    """Resolve a problem, and optionally its open incidents."""
    from deskui.reads.problems import open_incidents
    from deskui.services.problems import resolve_problem

    engine, actor = engine_actor()
    pid = _ref(problem)
    waiting = open_incidents(engine, pid)
    if resolve_incidents is None and waiting and sys.stdin.isatty():
        resolve_incidents = typer.confirm(f"Also resolve its {len(waiting)} open incident(s) "
                                          f"({', '.join(f'#{t}' for t in waiting)})?", default=True)
    outcome = resolve_problem(engine, actor, pid, permanent_fix=fix, resolve_incidents=bool(resolve_incidents),
                              note=note)
    out(f"{outcome.problem.ref} resolved")
    if outcome.resolved_incidents:
        out("resolved incidents: " + ", ".join(f"#{t}" for t in outcome.resolved_incidents))
    for ticket_id, why in outcome.failed:
        out(f"not resolved #{ticket_id}: {why}")
    if not resolve_incidents and waiting:
        out(f"{len(waiting)} open incident(s) left: {', '.join(f'#{t}' for t in waiting)} "
            "(--resolve-incidents resolves them with --note)")


CANDIDATE_COLUMNS = ("kind", "key", "count", "recent", "previous", "growth", "last_at", "subject", "tickets")


def problem_candidates(
    window: int = typer.Option(30, "--window", help="Days back"),
    min_count: int = typer.Option(3, "--min", help="Fewest incidents in a group"),
    limit: int = typer.Option(20, "--limit", "-n"),
    fmt: str = FormatOpt,
) -> None:
    """Groups of unlinked incidents that look like one problem, by count and recent growth."""
    from datetime import timedelta

    from deskui.reads.problems import candidates

    if window < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--window")
    rows = candidates(common.get_engine(), window=timedelta(days=window), min_count=min_count, limit=limit)
    common.emit([{"kind": c.kind, "key": c.key, "count": c.count, "recent": c.recent, "previous": c.previous,
                  "growth": c.growth, "first_at": c.first_at, "last_at": c.last_at, "subject": c.subject,
                  "tickets": list(c.ticket_ids) if fmt == "json" else " ".join(f"#{t}" for t in c.ticket_ids[:12])
                  + (" ..." if len(c.ticket_ids) > 12 else "")}
                 for c in rows], fmt, CANDIDATE_COLUMNS if fmt != "table" else ("key", "count", "growth", "tickets"))


def problem_known_errors(ticket: int = common.ticket_argument(), fmt: str = FormatOpt) -> None:
    """Known errors a ticket matches, with their workarounds."""
    from deskui.reads.problems import known_errors

    rows = known_errors(common.get_engine(), ticket)
    common.emit([{"ref": m.ref, "problem_id": m.problem_id, "title": m.title, "reason": m.reason,
                  "score": round(m.score, 3), "workaround": m.workaround} for m in rows], fmt,
                ("ref", "title", "reason", "workaround"))
