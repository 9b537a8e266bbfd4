"""The ``deskui`` console script.

A plain launch (``deskui``, ``--db X``, ``--as U``) opens the app without
loading the command line: typer and the command modules cost about 60 ms, and
typer's option parsing loads pydantic (about 50 ms more), all before anything
is on screen (DESIGN.md §4). Anything else goes to deskui.cli (typer).
Both paths open the app through deskui.launch.
"""

from __future__ import annotations

import os
import sys

from deskui.launch import launch, user_error_message


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


def main() -> None:
    options = bare_launch_options(sys.argv[1:])
    if options is None:
        from deskui.cli.main import main as cli_main

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
