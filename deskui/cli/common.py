"""Shared plumbing for CLI commands: settings, engine, the acting user, output.

Commands call :func:`get_engine` / :func:`get_actor`; user mistakes raise
``deskui.errors.DeskError`` (or call :func:`fail`) and the entry point prints
one line on stderr and exits 1. A value the command line should not have given
(:func:`one_of`, ``typer.BadParameter``, ``deskui.errors.UsageError``) is a
usage error: exit 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, Iterable, NoReturn, Sequence

import typer

from deskui.errors import DeskError


class State:
    """Global options, filled in by the root callback."""

    db: str | None = None
    user: str | None = None
    _settings = None
    _engine = None
    _actor = None


def reset_state() -> None:
    State.db = State.user = None
    State._settings = State._engine = State._actor = None


def settings():
    if State._settings is None:
        from deskui.config import load_settings

        State._settings = load_settings(State.db, State.user)
    return State._settings


def get_engine(*, check: bool = True):
    """The engine for --db / DESKUI_DB / default; checks the schema is current."""
    if State._engine is None:
        from deskui.store.db import make_engine

        State._engine = make_engine(settings().db_url)
    if check:
        from deskui.store.db import check_schema

        check_schema(State._engine)
    return State._engine


def get_actor(*, check: bool = True):
    """The analyst acting: on SQLite --as / DESKUI_USER / config / OS login, on
    PostgreSQL the database login (deskui.services.actors.resolve_actor)."""
    from deskui.services.actors import resolve_actor

    if State._actor is None:
        State._actor = resolve_actor(get_engine(check=check), settings().user, declared=settings().user_declared)
    return State._actor


def check_ticket_id(value):
    """The callback of every ticket-number argument: a number no database can hold
    (0, negative, past 2**31 - 1) is a ticket that is not there, said in one line."""
    from deskui.domain.ids import id_in_range
    from deskui.errors import NotFound

    for number in (value if isinstance(value, (list, tuple)) else [value]):
        if number is not None and not id_in_range(number):
            raise NotFound(f"ticket #{number} not found")
    return value


def ticket_argument(default=..., *, help: str = "Ticket number"):
    """A ticket-number argument (one, a list or optional), range-checked."""
    return typer.Argument(default, help=help, callback=check_ticket_id)


def fail(message: str) -> NoReturn:
    raise DeskError(message)


FORMATS = ("table", "json", "csv")


def check_format_in(allowed: Sequence[str], fmt: str) -> str:
    if fmt not in allowed:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(allowed)}", param_hint="--format")
    return fmt


def one_of(values, label: str = ""):
    """An option or argument callback: the value (each value of a list; None passes)
    must be one of ``values`` (strings, a StrEnum, or a function returning them, so
    that nothing is imported before the command runs), else a usage error (exit 2)."""

    def check(value):
        allowed = [str(getattr(v, "value", v)) for v in (values() if callable(values) and
                                                           not isinstance(values, type) else values)]
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None and str(item) not in allowed:
                raise typer.BadParameter(f"{item!r} is not one of {', '.join(allowed)}{label}")
        return value

    return check


def check_format(fmt: str) -> str:
    """The --format callback of the commands that write table, json or csv (one
    parameter: typer hands a callback's other parameters the context)."""
    return check_format_in(FORMATS, fmt)


def to_plain(value: Any) -> Any:
    """Make dataclasses, enums and datetimes JSON-friendly."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def emit(rows: Sequence[dict] | Iterable[dict], fmt: str, columns: Sequence[str], *, title: str | None = None) -> None:
    """Print rows as a rich table, JSON (a list of objects) or CSV."""
    rows = [to_plain(r) for r in rows]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_cell(row.get(c)) for c in columns})
        sys.stdout.write(buf.getvalue())
    else:
        print_table(rows, columns, title=title)


def emit_object(obj: Any, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(to_plain(obj), indent=2, ensure_ascii=False) + "\n")
    else:
        from rich.console import Console
        from rich.pretty import Pretty

        Console().print(Pretty(to_plain(obj)))


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def print_table(rows: Sequence[dict], columns: Sequence[str], *, title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold", show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        # Text(), never markup: cells hold untrusted ticket text (DESIGN.md §3).
        table.add_row(*(Text("" if row.get(c) is None else str(row.get(c))) for c in columns))
    Console().print(table)
