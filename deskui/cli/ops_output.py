"""What the operations commands (problem, request, bulletin, rules, route) share:
the --format option, the acting analyst, and printing untrusted text."""

from __future__ import annotations

from datetime import datetime

import typer

from deskui.cli import common

FormatOpt = typer.Option("table", "--format", "-f", help="table, json or csv", callback=common.check_format)


def out(message: str) -> None:
    typer.echo(message)


def engine_actor():
    return common.get_engine(), common.get_actor()


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def print_lines(lines: list) -> None:
    """Rich Text, never markup: titles and notes are untrusted text."""
    from rich.console import Console
    from rich.text import Text

    console = Console()
    for line in lines:
        console.print(line if isinstance(line, Text) else Text(str(line)))
