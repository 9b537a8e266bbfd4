"""`deskui generate`: a realistic synthetic ticket history (for demos and benchmarks).

Mounted by the root app as ``app.command("generate")(generate.generate)``.
"""

from __future__ import annotations

from typing import Optional

import typer

from deskui.cli.common import get_engine
from deskui.errors import UsageError


def generate(
    tickets: int = typer.Option(..., "--tickets", min=1, help="How many tickets to create."),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed, --days and --end give the same history."),
    days: Optional[int] = typer.Option(
        None, "--days", min=1,
        help="Length of the history in days (default 90, longer for big --tickets so a day holds at most ~2,000).",
    ),
    end: Optional[str] = typer.Option(
        None, "--end",
        help="When the history ends, UTC: an ISO date (its 00:00) or datetime; default now. "
             "Tickets whose life runs past it are still open.",
    ),
    workers: Optional[int] = typer.Option(
        None, "--workers", min=0,
        help="Generator processes (default: none below 20,000 tickets, else 2); the result does not depend on it.",
    ),
) -> None:
    """Append a synthetic ticket history to the database (it needs the organisation: deskui seed demo).

    Running it twice appends a second history; requesters are reused by email.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from deskui.services.generate import generate_history

    end_at = _parse_end(end) if end else None
    engine = get_engine()
    from deskui.cli.common import get_actor

    actor = get_actor()
    columns = (TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("generate", total=tickets)
        summary = generate_history(
            engine, tickets=tickets, seed=seed, days=days, end=end_at, workers=workers,
            progress=lambda done, total: bar.update(task, completed=done), actor=actor,
        )
    typer.echo(str(summary))


def _parse_end(text: str):
    from deskui.clock import parse_utc

    try:
        return parse_utc(text.strip())
    except ValueError:
        raise UsageError("--end", f"{text!r} is not an ISO date or datetime (e.g. 2026-11-16 or 2026-11-16T09:00)") \
            from None
