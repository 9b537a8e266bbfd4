"""The ``deskui`` console script.

A plain launch (``deskui``, ``--db X``, ``--as U``) opens the app without
loading the command line: typer and the command modules cost about 60 ms, and
typer's option parsing loads pydantic (about 50 ms more), all before anything
is on screen (DESIGN.md §4). Anything else goes to deskui.cli (typer).
"""

from __future__ import annotations

import os
import sys


def bare_launch_options(args: list[str]) -> dict[str, str] | None:
    """The options of a plain launch (``--db X``, ``--as U``, also ``--db=X``),
    or None when there is anything else for typer to parse (or to complain about)."""
    options: dict[str, str] = {}
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name not in ("--db", "--as") or name in options:
            return None
        if not eq:
            if not rest or rest[0].startswith("-"):
                return None  # typer says what is missing
            value = rest.pop(0)
        options[name] = value
    return options


def launch(db: str | None, user: str | None) -> None:
    """Open the app on ``db`` as ``user`` (None: the environment, the config, the defaults)."""
    from deskui.config import load_settings
    from deskui.services.actors import actor_for
    from deskui.store.db import check_schema, make_engine

    settings = load_settings(db, user)
    engine = make_engine(settings.db_url)
    check_schema(engine)
    actor = actor_for(engine, settings.user)
    from deskui.tui.app import run_app  # textual is imported only here

    run_app(engine=engine, actor=actor, settings=settings)


def user_error_message(exc: BaseException) -> str | None:
    """The one line to show for deskui's own errors and an unusable database;
    None for a bug (its traceback is worth seeing)."""
    from deskui.domain.query import QueryError
    from deskui.domain.workflow import WorkflowError
    from deskui.errors import DeskError

    if isinstance(exc, (DeskError, WorkflowError, QueryError)):
        return str(exc)
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return f"database error: {str(exc.orig).splitlines()[0]}"
    return None


def main() -> None:
    options = bare_launch_options(sys.argv[1:])
    if options is None:
        from deskui.cli import main as cli_main

        cli_main()
        return
    try:
        launch(options.get("--db") or os.environ.get("DESKUI_DB"), options.get("--as") or os.environ.get("DESKUI_USER"))
    except Exception as exc:
        message = user_error_message(exc)
        if message is None:
            raise
        print(f"deskui: error: {message}", file=sys.stderr)
        raise SystemExit(1) from None
