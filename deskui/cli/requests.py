"""`deskui request ...`: the service catalogue, requests, approvals and the
fulfilment checklist."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, engine_actor, out, print_lines, when


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


def _channels():
    from deskui.domain.enums import Channel

    return Channel


def request_new(
    item: str = typer.Argument(..., help="Catalogue item key (deskui request catalog)"),
    requester: str = typer.Option(..., "--requester", "-r"),
    field: Optional[List[str]] = typer.Option(None, "--field", "-F", help="NAME=VALUE (repeatable)"),
    subject: Optional[str] = typer.Option(None, "--subject", "-s"),
    details: str = typer.Option("", "--details", "-d"),
    channel: str = typer.Option("portal", "--channel", help="phone, email, chat, portal, monitoring or walk_in",
                                callback=common.one_of(lambda: _channels())),
    fmt: str = FormatOpt,
) -> None:
    """Raise a service request; it waits for approval when the item has approvers."""
    from deskui.services.requests import request_view, submit

    engine, actor = engine_actor()
    t = submit(engine, actor, item, requester=requester, answers=_fields(field or []), subject=subject,
               details=details, channel=channel)
    view = request_view(engine, t.id)
    if fmt == "table":
        waiting = f"awaiting approval by {', '.join(a.approver for a in view.approvals)}" \
            if view.approval == "pending" else f"with {t.group or 'no group'}"
        print_lines([f"{t.number} [{t.status}] P{t.priority} {t.subject} ({waiting})"])
    else:
        common.emit([_request_row(t, view)], fmt, REQUEST_COLUMNS)


REQUEST_COLUMNS = ("number", "status", "item", "approval", "checklist", "group", "assignee", "subject")


def _request_row(t, view) -> dict:
    return {"id": t.id, "number": t.number, "status": t.status, "item": view.item_key, "approval": view.approval,
            "checklist": view.progress, "group": t.group, "assignee": t.assignee, "subject": t.subject,
            "priority": t.priority, "response_due_at": t.response_due_at, "resolution_due_at": t.resolution_due_at}


def request_show(ticket: int = common.ticket_argument(), fmt: str = FormatOpt) -> None:
    """Show a request's answers, approvals and checklist."""
    from deskui.reads.requests import request_detail

    detail = request_detail(common.get_engine(), ticket)
    t, view = detail.ticket, detail.request
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
    lines += [f"  {a.approver}: {a.decision}" + (f" {when(a.decided_at)}" if a.decided_at else "")
              + (f" - {a.comment}" if a.comment else "") for a in view.approvals]
    lines.append(f"checklist {view.progress}:")
    lines += [f"  [{'x' if s.done else ' '}] {s.position}. {s.text}" + (f"  ({s.done_by})" if s.done else "")
              for s in view.checklist]
    print_lines(lines)


def request_approve(ticket: int = common.ticket_argument(), comment: str = typer.Option("", "--comment", "-m")) -> None:
    """Approve a request (as one of its approvers)."""
    from deskui.services.requests import approve, request_view

    engine, actor = engine_actor()
    t = approve(engine, actor, ticket, comment=comment)
    view = request_view(engine, ticket)
    if view.approval == "approved":
        out(f"{t.number} approved: now with {t.group or 'no group'}" + (f", assigned to {t.assignee}" if t.assignee else ""))
    else:
        waiting = [a.approver for a in view.approvals if a.decision == "pending"]
        out(f"{t.number}: your approval is recorded; still waiting for {', '.join(waiting)}")


def request_reject(ticket: int = common.ticket_argument(), comment: str = typer.Option(..., "--comment", "-m")) -> None:
    """Reject a request with a comment (it is cancelled and the requester told why)."""
    from deskui.services.requests import reject

    engine, actor = engine_actor()
    t = reject(engine, actor, ticket, comment=comment)
    out(f"{t.number} rejected ({t.status})")


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


def request_tick(ticket: int = common.ticket_argument(), step: int = typer.Argument(..., help="Step number"),
                 undo: bool = typer.Option(False, "--undo", help="Untick the step")) -> None:
    """Tick (or untick) a fulfilment step."""
    from deskui.services.requests import request_view, tick

    engine, actor = engine_actor()
    tick(engine, actor, ticket, step, done=not undo)
    out(f"#{ticket} checklist {request_view(engine, ticket).progress}")


def request_fulfil(ticket: int = common.ticket_argument(), notes: str = typer.Option("", "--notes")) -> None:
    """Resolve an approved request whose checklist is complete."""
    from deskui.services.requests import fulfil

    engine, actor = engine_actor()
    t = fulfil(engine, actor, ticket, notes=notes)
    out(f"{t.number} fulfilled ({t.status})")


def seed_catalog(file: Path = typer.Argument(..., help="TOML file")) -> None:
    from deskui.services.requests import seed_catalog as seed

    s = seed(common.get_engine(), file, actor=common.get_actor())
    out(f"catalog: {s.created} created, {s.updated} updated, {s.unchanged} unchanged")


def register(app: typer.Typer, make) -> typer.Typer:
    request_app = make(help="Service requests: catalogue, approvals, fulfilment checklist.")
    for name, fn in (("catalog", request_catalog), ("new", request_new), ("show", request_show),
                     ("approve", request_approve), ("reject", request_reject), ("pending", request_pending),
                     ("tick", request_tick), ("fulfil", request_fulfil)):
        request_app.command(name)(fn)
    app.add_typer(request_app, name="request")
    return request_app
