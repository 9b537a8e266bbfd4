"""`deskui bulletin ...`: known issues and planned changes every running app shows."""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, engine_actor, out, print_lines, when


BULLETIN_COLUMNS = ("ref", "severity", "kind", "title", "starts_at", "ends_at", "linked", "created_by")


def _bulletin_row(b) -> dict:
    return {"id": b.id, "ref": b.ref, "severity": b.severity, "kind": b.kind, "title": b.title, "body": b.body,
            "starts_at": b.starts_at, "ends_at": b.ends_at, "linked": b.linked, "created_by": b.created_by,
            "ended_by": b.ended_by}


def bulletin_list(all_: bool = typer.Option(False, "--all", help="Include ended bulletins"), fmt: str = FormatOpt) -> None:
    """Bulletins in force or scheduled (all with --all)."""
    from deskui.reads.bulletins import list_bulletins

    common.emit([_bulletin_row(b) for b in list_bulletins(common.get_engine(), include_ended=all_)], fmt,
                BULLETIN_COLUMNS)


def _parse_time(value: str, option: str) -> datetime:
    from deskui.clock import parse_utc

    try:
        return parse_utc(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a time like 2026-11-16T18:00 (UTC) or with +01:00",
                                 param_hint=option) from None


def _allowed(name: str) -> tuple[str, ...]:
    from deskui.services import bulletins

    return getattr(bulletins, name)


def _duration(text: str):
    from deskui.errors import UsageError, ValidationError
    from deskui.services.bulletins import parse_duration

    try:
        return parse_duration(text)
    except ValidationError as exc:
        raise UsageError("--for", str(exc).partition(": ")[2]) from None


def bulletin_post(
    title: str = typer.Argument(...),
    until: Optional[str] = typer.Option(None, "--until", help="End time, ISO (UTC unless an offset is given)"),
    for_: Optional[str] = typer.Option(None, "--for", help="Duration instead of --until: 90m, 4h, 2d"),
    severity: str = typer.Option("minor", "--severity", help="info, minor, major, critical",
                                 callback=common.one_of(lambda: _allowed("SEVERITIES"))),
    kind: str = typer.Option("known_issue", "--kind", help="known_issue or planned_change",
                             callback=common.one_of(lambda: _allowed("KINDS"))),
    body: str = typer.Option("", "--body", "-b"),
    starts: Optional[str] = typer.Option(None, "--starts", help="Start time (default now)"),
    fmt: str = FormatOpt,
) -> None:
    """Post a bulletin (leads and admins); running apps show it within seconds."""
    from deskui import clock
    from deskui.services.bulletins import post

    if (until is None) == (for_ is None):
        raise typer.BadParameter("give exactly one of --until or --for", param_hint="--until/--for")
    start = _parse_time(starts, "--starts") if starts else None
    ends = _parse_time(until, "--until") if until else (start or clock.now()) + _duration(for_)
    engine, actor = engine_actor()
    b = post(engine, actor, title, ends_at=ends, body=body, kind=kind, severity=severity, starts_at=start)
    if fmt == "table":
        print_lines([f"{b.ref} posted [{b.severity}] {b.title} until {when(b.ends_at)} UTC"])
    else:
        common.emit([_bulletin_row(b)], fmt, BULLETIN_COLUMNS)


def _bref(value: str) -> int:
    from deskui.services.bulletins import parse_bulletin_ref

    return parse_bulletin_ref(value)


def bulletin_show(bulletin: str = typer.Argument(...), fmt: str = FormatOpt) -> None:
    """Show a bulletin and its linked tickets."""
    from deskui.reads.bulletins import get

    b, tickets = get(common.get_engine(), _bref(bulletin))
    if fmt == "table":
        print_lines([f"{b.ref} [{b.severity}] {b.kind.replace('_', ' ')}: {b.title}",
                      f"from {when(b.starts_at)} to {when(b.ends_at)} UTC, by {b.created_by}"
                      + (f", ended by {b.ended_by}" if b.ended_by else ""),
                      *(b.body.splitlines() or []),
                      "linked: " + (", ".join(f"#{t}" for t in tickets) or "-")])
    else:
        common.emit([_bulletin_row(b) | {"tickets": tickets if fmt == "json" else " ".join(map(str, tickets))}], fmt,
                    BULLETIN_COLUMNS + ("tickets",))


def bulletin_end(bulletin: str = typer.Argument(...)) -> None:
    """End a bulletin now."""
    from deskui.services.bulletins import end

    engine, actor = engine_actor()
    b = end(engine, actor, _bref(bulletin))
    out(f"{b.ref} ended at {when(b.ends_at)} UTC")


def bulletin_link(bulletin: str = typer.Argument(...), tickets: List[int] = common.ticket_argument()) -> None:
    """Link tickets to a bulletin."""
    from deskui.services.bulletins import link

    engine, actor = engine_actor()
    added = [t for t in tickets if link(engine, actor, _bref(bulletin), t)]
    out(f"BUL-{_bref(bulletin)}: linked " + (", ".join(f"#{t}" for t in added) or "nothing new"))


def bulletin_unlink(bulletin: str = typer.Argument(...), ticket: int = common.ticket_argument()) -> None:
    """Unlink a ticket from a bulletin."""
    from deskui.services.bulletins import unlink

    engine, actor = engine_actor()
    unlink(engine, actor, _bref(bulletin), ticket)
    out(f"BUL-{_bref(bulletin)}: unlinked #{ticket}")


def register(app: typer.Typer, make) -> None:
    bulletin_app = make(help="Bulletins: known issues and planned changes shown in every running app.")
    for name, fn in (("list", bulletin_list), ("post", bulletin_post), ("show", bulletin_show),
                     ("end", bulletin_end), ("link", bulletin_link), ("unlink", bulletin_unlink)):
        bulletin_app.command(name)(fn)
    app.add_typer(bulletin_app, name="bulletin")
