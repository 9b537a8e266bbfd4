"""Operations commands (issue 7): `deskui problem ...`, `request ...`, `bulletin ...`,
`rules ...`, `route suggest`, and `deskui seed rules|catalog FILE`.

Mounted by deskui.cli through :func:`register`. Everything goes through the services.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Callable, List, Optional

import typer

from deskui.cli import common

FormatOpt = typer.Option("table", "--format", "-f", help="table, json or csv", callback=common.check_format)


def register(app: typer.Typer, make: Callable[..., typer.Typer]) -> None:
    problem_app = make(help="Problems: root causes of recurring incidents, known errors.")
    for name, fn in (("list", problem_list), ("show", problem_show), ("new", problem_new), ("link", problem_link),
                     ("unlink", problem_unlink), ("update", problem_update), ("status", problem_status),
                     ("resolve", problem_resolve), ("candidates", problem_candidates),
                     ("known-errors", problem_known_errors)):
        problem_app.command(name)(fn)
    app.add_typer(problem_app, name="problem")

    request_app = make(help="Service requests: catalogue, approvals, fulfilment checklist.")
    for name, fn in (("catalog", request_catalog), ("new", request_new), ("show", request_show),
                     ("approve", request_approve), ("reject", request_reject), ("pending", request_pending),
                     ("tick", request_tick), ("fulfil", request_fulfil)):
        request_app.command(name)(fn)
    app.add_typer(request_app, name="request")

    bulletin_app = make(help="Bulletins: known issues and planned changes shown in every running app.")
    for name, fn in (("list", bulletin_list), ("post", bulletin_post), ("show", bulletin_show),
                     ("end", bulletin_end), ("link", bulletin_link), ("unlink", bulletin_unlink)):
        bulletin_app.command(name)(fn)
    app.add_typer(bulletin_app, name="bulletin")

    rules_app = make(help="Automation rules: seed, list, apply assignment to unassigned tickets.")
    rules_app.command("seed")(seed_rules)
    rules_app.command("list")(rules_list)
    rules_app.command("apply")(rules_apply)
    app.add_typer(rules_app, name="rules")

    route_app = make(help="Routing suggestions from similar resolved tickets.")
    route_app.command("suggest")(route_suggest)
    app.add_typer(route_app, name="route")

    seed_app = _sub_app(app, "seed")
    if seed_app is not None:
        seed_app.command("rules", help="Replace the automation rules with a TOML file.")(seed_rules)
        seed_app.command("catalog", help="Upsert the service catalogue from a TOML file.")(seed_catalog)
    else:  # no seed group mounted: keep the catalogue reachable
        request_app.command("seed-catalog")(seed_catalog)


def _sub_app(app: typer.Typer, name: str) -> typer.Typer | None:
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    return None


def _out(message: str) -> None:
    typer.echo(message)


def _engine_actor():
    return common.get_engine(), common.get_actor()


def _text(value) -> str:
    return "" if value is None else str(value)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _print_lines(lines: list) -> None:
    """Rich Text, never markup: titles and notes are untrusted text."""
    from rich.console import Console
    from rich.text import Text

    console = Console()
    for line in lines:
        console.print(line if isinstance(line, Text) else Text(str(line)))


# ------------------------------------------------------------------ problems

PROBLEM_COLUMNS = ("ref", "status", "title", "incidents", "open_incidents", "recurrences", "owner",
                   "last_incident_at", "updated_at")


def _problem_row(p) -> dict:
    return {"id": p.id, "ref": p.ref, "status": p.status, "title": p.title, "incidents": p.incidents,
            "open_incidents": p.open_incidents, "recurrences": p.recurrences, "owner": p.owner,
            "last_incident_at": p.last_incident_at, "created_at": p.created_at, "updated_at": p.updated_at}


def problem_list(
    status: Optional[List[str]] = typer.Option(None, "--status", "-s", help="new, investigating, known_error, "
                                                                             "resolved, closed (repeatable)"),
    limit: int = typer.Option(200, "--limit", "-n"),
    fmt: str = FormatOpt,
) -> None:
    """List problems with their incident counts and recurrences (30-day window)."""
    from deskui.services.problems import list_problems

    rows = list_problems(common.get_engine(), statuses=status or (), limit=limit)
    common.emit([_problem_row(p) for p in rows], fmt, PROBLEM_COLUMNS)


def _ref(value: str) -> int:
    from deskui.services.problems import parse_problem_ref

    return parse_problem_ref(value)


def problem_show(problem: str = typer.Argument(..., help="Problem number (12 or PRB-12)"), fmt: str = FormatOpt) -> None:
    """Show a problem: root cause, workaround, fix, incidents and timeline."""
    from deskui.services.problems import show_problem

    detail = show_problem(common.get_engine(), _ref(problem))
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
    lines = [f"{p.ref} [{p.status}] {p.title}", f"owner: {p.owner or '-'}   created {_when(p.created_at)}   "
             f"updated {_when(p.updated_at)}   resolved {_when(p.resolved_at)}",
             f"root cause:    {p.root_cause or '-'}", f"workaround:    {p.workaround or '-'}",
             f"permanent fix: {p.permanent_fix or '-'}",
             f"incidents ({len(detail.incidents)}, {detail.recurrences} recurrences):"]
    lines += [f"  #{i.id} [{i.status}] P{i.priority} {i.subject}" + (f"  ci {i.ci}" if i.ci else "")
              for i in detail.incidents]
    lines.append("timeline:")
    lines += [f"  {_when(e.at)} {e.actor}: {e.kind}" + (f" {e.field}" if e.field else "")
              + (f" {e.old or '-'} -> {e.new or '-'}" if (e.old or e.new) else "")
              + (f"  {e.detail[:80]}" if e.detail and e.kind != "field" else "") for e in detail.events]
    _print_lines(lines)


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

    engine, actor = _engine_actor()
    p = create_problem(engine, actor, title, incidents=incident or (), root_cause=root_cause, workaround=workaround,
                       owner=owner)
    _problem_done(p, fmt, f"{p.ref} opened: {p.title}" + (f" ({len(incident)} incident(s) linked)" if incident else ""))


def _problem_done(p, fmt: str, message: str) -> None:
    if fmt == "table":
        _print_lines([message])
    else:
        common.emit([common.to_plain(p) | {"ref": p.ref}], fmt, ("ref", "status", "title", "owner", "version"))


def problem_link(problem: str = typer.Argument(...), tickets: List[int] = typer.Argument(..., help="Incidents")) -> None:
    """Link incidents to a problem."""
    from deskui.services.problems import link

    engine, actor = _engine_actor()
    p = link(engine, actor, _ref(problem), tickets)
    _out(f"{p.ref}: linked " + ", ".join(f"#{t}" for t in tickets))


def problem_unlink(problem: str = typer.Argument(...), tickets: List[int] = typer.Argument(...)) -> None:
    """Unlink incidents from a problem."""
    from deskui.services.problems import unlink

    engine, actor = _engine_actor()
    p = unlink(engine, actor, _ref(problem), tickets)
    _out(f"{p.ref}: unlinked " + ", ".join(f"#{t}" for t in tickets))


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

    engine, actor = _engine_actor()
    p = update_problem(engine, actor, _ref(problem), title=title, root_cause=root_cause, workaround=workaround,
                       permanent_fix=fix, owner=owner)
    _problem_done(p, fmt, f"{p.ref} updated")


def problem_status(problem: str = typer.Argument(...),
                   status: str = typer.Argument(..., help="investigating, known_error, resolved, closed")) -> None:
    """Move a problem along its workflow (known_error needs a workaround, resolved a fix)."""
    from deskui.services.problems import set_status

    engine, actor = _engine_actor()
    p = set_status(engine, actor, _ref(problem), status)
    _out(f"{p.ref} is {p.status}")


def problem_resolve(
    problem: str = typer.Argument(...),
    fix: Optional[str] = typer.Option(None, "--fix", help="Permanent fix (required unless recorded already)"),
    resolve_incidents: Optional[bool] = typer.Option(
        None, "--resolve-incidents/--keep-incidents",
        help="Also resolve its open incidents with --note (asks when run in a terminal)"),
    note: str = typer.Option("", "--note", help="Resolution notes for the incidents"),
) -> None:
    """Resolve a problem, and optionally its open incidents."""
    from deskui.services.problems import open_incidents, resolve_problem

    engine, actor = _engine_actor()
    pid = _ref(problem)
    waiting = open_incidents(engine, pid)
    if resolve_incidents is None and waiting and sys.stdin.isatty():
        resolve_incidents = typer.confirm(f"Also resolve its {len(waiting)} open incident(s) "
                                          f"({', '.join(f'#{t}' for t in waiting)})?", default=True)
    out = resolve_problem(engine, actor, pid, permanent_fix=fix, resolve_incidents=bool(resolve_incidents), note=note)
    _out(f"{out.problem.ref} resolved")
    if out.resolved_incidents:
        _out("resolved incidents: " + ", ".join(f"#{t}" for t in out.resolved_incidents))
    for ticket_id, why in out.failed:
        _out(f"not resolved #{ticket_id}: {why}")
    if not resolve_incidents and waiting:
        _out(f"{len(waiting)} open incident(s) left: {', '.join(f'#{t}' for t in waiting)} "
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

    from deskui.services.problems import candidates

    if window < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--window")
    rows = candidates(common.get_engine(), window=timedelta(days=window), min_count=min_count, limit=limit)
    common.emit([{"kind": c.kind, "key": c.key, "count": c.count, "recent": c.recent, "previous": c.previous,
                  "growth": c.growth, "first_at": c.first_at, "last_at": c.last_at, "subject": c.subject,
                  "tickets": list(c.ticket_ids) if fmt == "json" else " ".join(f"#{t}" for t in c.ticket_ids[:12])
                  + (" ..." if len(c.ticket_ids) > 12 else "")}
                 for c in rows], fmt, CANDIDATE_COLUMNS if fmt != "table" else ("key", "count", "growth", "tickets"))


def problem_known_errors(ticket: int = typer.Argument(...), fmt: str = FormatOpt) -> None:
    """Known errors a ticket matches, with their workarounds."""
    from deskui.services.problems import known_errors_for

    rows = known_errors_for(common.get_engine(), ticket)
    common.emit([{"ref": m.ref, "problem_id": m.problem_id, "title": m.title, "reason": m.reason,
                  "score": round(m.score, 3), "workaround": m.workaround} for m in rows], fmt,
                ("ref", "title", "reason", "workaround"))


# ------------------------------------------------------------------ requests

def request_catalog(all_: bool = typer.Option(False, "--all", help="Include retired items"), fmt: str = FormatOpt) -> None:
    """List the service catalogue."""
    from deskui.services.requests import catalog

    rows = catalog(common.get_engine(), include_inactive=all_)
    common.emit([{"key": i.key, "name": i.name, "group": i.group, "category": i.category,
                  "approvers": ", ".join(i.approvers) if fmt != "json" else list(i.approvers),
                  "approval": i.approval_mode if i.approvers else "none",
                  "fields": ", ".join(f.name + ("*" if f.required else "") for f in i.fields) if fmt != "json"
                  else [common.to_plain(f) for f in i.fields],
                  "checklist": len(i.checklist) if fmt != "json" else list(i.checklist), "active": i.active}
                 for i in rows], fmt, ("key", "name", "group", "approval", "approvers", "fields", "checklist"))


def _fields(values: List[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{value!r} is not NAME=VALUE", param_hint="--field")
        answers[name.strip()] = text
    return answers


def request_new(
    item: str = typer.Argument(..., help="Catalogue item key (deskui request catalog)"),
    requester: str = typer.Option(..., "--requester", "-r"),
    field: Optional[List[str]] = typer.Option(None, "--field", "-F", help="NAME=VALUE (repeatable)"),
    subject: Optional[str] = typer.Option(None, "--subject", "-s"),
    details: str = typer.Option("", "--details", "-d"),
    channel: str = typer.Option("portal", "--channel"),
    fmt: str = FormatOpt,
) -> None:
    """Raise a service request; it waits for approval when the item has approvers."""
    from deskui.services.requests import request_view, submit

    engine, actor = _engine_actor()
    t = submit(engine, actor, item, requester=requester, answers=_fields(field or []), subject=subject,
               details=details, channel=channel)
    view = request_view(engine, t.id)
    if fmt == "table":
        waiting = f"awaiting approval by {', '.join(a.approver for a in view.approvals)}" \
            if view.approval == "pending" else f"with {t.group or 'no group'}"
        _print_lines([f"{t.number} [{t.status}] P{t.priority} {t.subject} ({waiting})"])
    else:
        common.emit([_request_row(t, view)], fmt, REQUEST_COLUMNS)


REQUEST_COLUMNS = ("number", "status", "item", "approval", "checklist", "group", "assignee", "subject")


def _request_row(t, view) -> dict:
    return {"id": t.id, "number": t.number, "status": t.status, "item": view.item_key, "approval": view.approval,
            "checklist": view.progress, "group": t.group, "assignee": t.assignee, "subject": t.subject,
            "priority": t.priority, "response_due_at": t.response_due_at, "resolution_due_at": t.resolution_due_at}


def request_show(ticket: int = typer.Argument(...), fmt: str = FormatOpt) -> None:
    """Show a request's answers, approvals and checklist."""
    from deskui.services.requests import request_view
    from deskui.store.db import session_scope
    from deskui.store.tickets import ticket_record

    engine = common.get_engine()
    view = request_view(engine, ticket)
    with session_scope(engine) as session:
        t = ticket_record(session, ticket)
    if fmt == "json":
        common.emit_object(_request_row(t, view) | {
            "answers": {name: value for name, _, value in view.answers},
            "approvals": common.to_plain(view.approvals), "checklist_steps": common.to_plain(view.checklist),
            "decided_at": view.decided_at, "decided_by": view.decided_by}, "json")
        return
    if fmt == "csv":
        common.emit([_request_row(t, view)], "csv", REQUEST_COLUMNS)
        return
    lines = [f"{t.number} [{t.status}] {t.subject}", f"item: {view.item_name} ({view.item_key})   "
             f"group: {t.group or '-'}   assignee: {t.assignee or '-'}"]
    lines += [f"  {label}: {value}" for _, label, value in view.answers]
    lines.append(f"approval: {view.approval}" + (f" ({view.approval_mode})" if view.approvals else ""))
    lines += [f"  {a.approver}: {a.decision}" + (f" {_when(a.decided_at)}" if a.decided_at else "")
              + (f" - {a.comment}" if a.comment else "") for a in view.approvals]
    lines.append(f"checklist {view.progress}:")
    lines += [f"  [{'x' if s.done else ' '}] {s.position}. {s.text}" + (f"  ({s.done_by})" if s.done else "")
              for s in view.checklist]
    _print_lines(lines)


def request_approve(ticket: int = typer.Argument(...), comment: str = typer.Option("", "--comment", "-m")) -> None:
    """Approve a request (as one of its approvers)."""
    from deskui.services.requests import approve, request_view

    engine, actor = _engine_actor()
    t = approve(engine, actor, ticket, comment=comment)
    view = request_view(engine, ticket)
    if view.approval == "approved":
        _out(f"{t.number} approved: now with {t.group or 'no group'}" + (f", assigned to {t.assignee}" if t.assignee else ""))
    else:
        waiting = [a.approver for a in view.approvals if a.decision == "pending"]
        _out(f"{t.number}: your approval is recorded; still waiting for {', '.join(waiting)}")


def request_reject(ticket: int = typer.Argument(...), comment: str = typer.Option(..., "--comment", "-m")) -> None:
    """Reject a request with a comment (it is cancelled and the requester told why)."""
    from deskui.services.requests import reject

    engine, actor = _engine_actor()
    t = reject(engine, actor, ticket, comment=comment)
    _out(f"{t.number} rejected ({t.status})")


def request_pending(mine: bool = typer.Option(False, "--mine", help="Only those waiting for me"),
                    fmt: str = FormatOpt) -> None:
    """Requests waiting for approval, oldest first."""
    from deskui.services.requests import pending_approvals

    approver = common.get_actor().username if mine else None
    rows = pending_approvals(common.get_engine(), approver)
    common.emit([{"number": f"#{p.ticket_id}", "id": p.ticket_id, "item": p.item_name, "subject": p.subject,
                  "requester": p.requester, "created_at": p.created_at,
                  "waiting_for": ", ".join(p.approvers) if fmt != "json" else list(p.approvers)} for p in rows],
                fmt, ("number", "item", "subject", "requester", "waiting_for", "created_at"))


def request_tick(ticket: int = typer.Argument(...), step: int = typer.Argument(..., help="Step number"),
                 undo: bool = typer.Option(False, "--undo", help="Untick the step")) -> None:
    """Tick (or untick) a fulfilment step."""
    from deskui.services.requests import request_view, tick

    engine, actor = _engine_actor()
    tick(engine, actor, ticket, step, done=not undo)
    _out(f"#{ticket} checklist {request_view(engine, ticket).progress}")


def request_fulfil(ticket: int = typer.Argument(...), notes: str = typer.Option("", "--notes")) -> None:
    """Resolve an approved request whose checklist is complete."""
    from deskui.services.requests import fulfil

    engine, actor = _engine_actor()
    t = fulfil(engine, actor, ticket, notes=notes)
    _out(f"{t.number} fulfilled ({t.status})")


def seed_catalog(file: Path = typer.Argument(..., help="TOML file")) -> None:
    from deskui.services.requests import seed_catalog as seed

    s = seed(common.get_engine(), file)
    _out(f"catalog: {s.created} created, {s.updated} updated, {s.unchanged} unchanged")


# ------------------------------------------------------------------ bulletins

BULLETIN_COLUMNS = ("ref", "severity", "kind", "title", "starts_at", "ends_at", "linked", "created_by")


def _bulletin_row(b) -> dict:
    return {"id": b.id, "ref": b.ref, "severity": b.severity, "kind": b.kind, "title": b.title, "body": b.body,
            "starts_at": b.starts_at, "ends_at": b.ends_at, "linked": b.linked, "created_by": b.created_by,
            "ended_by": b.ended_by}


def bulletin_list(all_: bool = typer.Option(False, "--all", help="Include ended bulletins"), fmt: str = FormatOpt) -> None:
    """Bulletins in force or scheduled (all with --all)."""
    from deskui.services.bulletins import list_bulletins

    common.emit([_bulletin_row(b) for b in list_bulletins(common.get_engine(), include_ended=all_)], fmt,
                BULLETIN_COLUMNS)


def _parse_time(value: str, option: str) -> datetime:
    from deskui.clock import parse_utc

    try:
        return parse_utc(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time like 2026-11-16T18:00 (UTC) or with +01:00",
                                 param_hint=option) from None


def bulletin_post(
    title: str = typer.Argument(...),
    until: Optional[str] = typer.Option(None, "--until", help="End time, ISO (UTC unless an offset is given)"),
    for_: Optional[str] = typer.Option(None, "--for", help="Duration instead of --until: 90m, 4h, 2d"),
    severity: str = typer.Option("minor", "--severity", help="info, minor, major, critical"),
    kind: str = typer.Option("known_issue", "--kind", help="known_issue or planned_change"),
    body: str = typer.Option("", "--body", "-b"),
    starts: Optional[str] = typer.Option(None, "--starts", help="Start time (default now)"),
    fmt: str = FormatOpt,
) -> None:
    """Post a bulletin (leads and admins); running apps show it within seconds."""
    from deskui import clock
    from deskui.services.bulletins import parse_duration, post

    if (until is None) == (for_ is None):
        raise typer.BadParameter("give exactly one of --until or --for", param_hint="--until/--for")
    start = _parse_time(starts, "--starts") if starts else None
    ends = _parse_time(until, "--until") if until else (start or clock.now()) + parse_duration(for_)
    engine, actor = _engine_actor()
    b = post(engine, actor, title, ends_at=ends, body=body, kind=kind, severity=severity, starts_at=start)
    if fmt == "table":
        _print_lines([f"{b.ref} posted [{b.severity}] {b.title} until {_when(b.ends_at)} UTC"])
    else:
        common.emit([_bulletin_row(b)], fmt, BULLETIN_COLUMNS)


def _bref(value: str) -> int:
    from deskui.services.bulletins import parse_bulletin_ref

    return parse_bulletin_ref(value)


def bulletin_show(bulletin: str = typer.Argument(...), fmt: str = FormatOpt) -> None:
    """Show a bulletin and its linked tickets."""
    from deskui.services.bulletins import get

    b, tickets = get(common.get_engine(), _bref(bulletin))
    if fmt == "table":
        _print_lines([f"{b.ref} [{b.severity}] {b.kind.replace('_', ' ')}: {b.title}",
                      f"from {_when(b.starts_at)} to {_when(b.ends_at)} UTC, by {b.created_by}"
                      + (f", ended by {b.ended_by}" if b.ended_by else ""),
                      *(b.body.splitlines() or []),
                      "linked: " + (", ".join(f"#{t}" for t in tickets) or "-")])
    else:
        common.emit([_bulletin_row(b) | {"tickets": tickets if fmt == "json" else " ".join(map(str, tickets))}], fmt,
                    BULLETIN_COLUMNS + ("tickets",))


def bulletin_end(bulletin: str = typer.Argument(...)) -> None:
    """End a bulletin now."""
    from deskui.services.bulletins import end

    engine, actor = _engine_actor()
    b = end(engine, actor, _bref(bulletin))
    _out(f"{b.ref} ended at {_when(b.ends_at)} UTC")


def bulletin_link(bulletin: str = typer.Argument(...), tickets: List[int] = typer.Argument(...)) -> None:
    """Link tickets to a bulletin."""
    from deskui.services.bulletins import link

    engine, actor = _engine_actor()
    added = [t for t in tickets if link(engine, actor, _bref(bulletin), t)]
    _out(f"BUL-{_bref(bulletin)}: linked " + (", ".join(f"#{t}" for t in added) or "nothing new"))


def bulletin_unlink(bulletin: str = typer.Argument(...), ticket: int = typer.Argument(...)) -> None:
    """Unlink a ticket from a bulletin."""
    from deskui.services.bulletins import unlink

    engine, actor = _engine_actor()
    unlink(engine, actor, _bref(bulletin), ticket)
    _out(f"BUL-{_bref(bulletin)}: unlinked #{ticket}")


# ------------------------------------------------------------------ rules and routing

def seed_rules(file: Path = typer.Argument(..., help="TOML file")) -> None:
    from deskui.services.automation import seed_rules as seed

    s = seed(common.get_engine(), file)
    _out(f"rules: {s.created} created, {s.updated} updated, {s.unchanged} unchanged")


def rules_list(fmt: str = FormatOpt) -> None:
    """The automation rules in the order they apply."""
    import json

    from deskui.services.automation import list_rules

    rows = list_rules(common.get_engine())
    common.emit([{"name": r.name, "kind": r.kind, "enabled": r.enabled,
                  "config": r.config if fmt == "json" else json.dumps(r.config, sort_keys=True)} for r in rows],
                fmt, ("name", "kind", "enabled", "config"))


def rules_apply(tickets: Optional[List[int]] = typer.Argument(None, help="Tickets (default: every unassigned one)"),
                limit: int = typer.Option(500, "--limit", "-n")) -> None:
    """Apply the assign rules to unassigned active tickets (e.g. after an import)."""
    from deskui.services.automation import apply_assignment

    out = apply_assignment(common.get_engine(), tickets or None, limit=limit)
    for ticket_id, who in out.assigned:
        _out(f"#{ticket_id} -> {who}")
    for ticket_id, why in out.skipped:
        _out(f"#{ticket_id} skipped: {why}")
    _out(f"assigned {len(out.assigned)}, skipped {len(out.skipped)}")


def route_suggest(
    ticket: Optional[int] = typer.Argument(None, help="Ticket to route"),
    text: Optional[str] = typer.Option(None, "--text", "-t", help="Free text instead of a ticket"),
    k: int = typer.Option(15, "--k", help="Neighbours consulted"),
    fmt: str = FormatOpt,
) -> None:
    """Suggest category and group from similar resolved tickets, with the evidence."""
    from deskui.services.routing import suggest, suggest_for_ticket

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
        _out("no similar resolved tickets")
        return
    common.emit(rows, "table", ("kind", "name", "share", "votes"), title="suggestions")
    common.emit([{"ticket": f"#{e.id}", "subject": e.subject, "category": e.category, "group": e.group,
                  "score": f"{e.score:.2f}"} for e in got.evidence], "table",
                ("ticket", "subject", "category", "group", "score"), title="evidence")
