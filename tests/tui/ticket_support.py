"""Shared by the ticket screen tests: a seeded desk, a host app, and waiting helpers."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

from deskui import clock
from deskui.config import Settings
from deskui.services import tickets as svc
from deskui.services.actors import actor_for, system_actor
from deskui.tui.context import DeskContext
from deskui.tui.screens.ticket import TicketScreen

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
# Monday 16 Nov 2026, 09:00 UTC (09:00 London).
NOW = clock.parse_utc("2026-11-16T09:00:00")
MARKUP_SUBJECT = "[bold red]x[/] VPN [link=http://evil]click[/link]"
MARKUP_BODY = "Error: [b]Access denied[/b] \x1b[31mred\x1b[0m and $variable {ticket.number}"


def run_async(test):
    """Run an async test body on a fresh event loop (no pytest async plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


def desk_context(engine, username: str = "demo", keymap: dict | None = None) -> DeskContext:
    settings = Settings(db_url=str(engine.url), user=username, keymap=keymap or {})
    return DeskContext(engine=engine, actor=actor_for(engine, username), settings=settings,
                       live_refresh_seconds=0, sweep_seconds=0)


def make_app(engine, ticket_id: int, username: str = "demo", keymap: dict | None = None) -> App:
    """The real app; :func:`start` opens the ticket the way the queue does."""
    from deskui.tui.app import DeskApp

    app = DeskApp(desk_context(engine, username, keymap))
    app.ticket_under_test = ticket_id
    return app


async def start(pilot: Pilot) -> None:
    """Let the app start on its queue, then open the ticket under test."""
    await settle(pilot)
    pilot.app.open_ticket(pilot.app.ticket_under_test)
    await settle(pilot)


def actor(engine, username: str = "demo"):
    return actor_for(engine, username)


def open_ticket(engine, ago: timedelta = timedelta(minutes=20), **kw):
    args = dict(subject="VPN drops every few minutes", requester="ana.ruiz@northwind.example",
                requester_name="Ana Ruiz", category="Network/VPN", impact="medium", urgency="high",
                description="Since this morning the VPN disconnects every 5 minutes.", channel="email")
    args.update(kw)
    with clock.frozen(NOW - ago):
        return svc.open_ticket(engine, actor(engine), **args)


def showcase_ticket(engine):
    """A ticket with a day of history: reply, note, pending and back, escalation."""
    with clock.frozen(NOW - timedelta(hours=26)):
        t = svc.open_ticket(
            engine, actor(engine), subject=MARKUP_SUBJECT, requester="ana.ruiz@northwind.example",
            requester_name="Ana Ruiz", category="Network/VPN", impact="high", urgency="medium", channel="email",
            ci="NW-L-0042",
            description="Since this morning the VPN disconnects every 5 minutes.\n"
                        "I am in the Tilbury warehouse office.\n" + MARKUP_BODY,
        )
    akhan = actor(engine, "akhan")
    with clock.frozen(NOW - timedelta(hours=25, minutes=45)):
        svc.take(engine, akhan, t.id)
        svc.add_comment(engine, akhan, t.id, "Hello Ana,\n\nThanks, we are looking at it. "
                                             "Can you tell me the exact error message?")
    with clock.frozen(NOW - timedelta(hours=25, minutes=30)):
        svc.add_comment(engine, akhan, t.id, "Gateway logs show resets every 300 s. Suspect the DPD timeout.",
                        internal=True)
        svc.change_status(engine, akhan, t.id, "pending", pending_reason="awaiting_requester")
    with clock.frozen(NOW - timedelta(hours=3)):
        svc.add_comment(engine, system_actor("mail"), t.id, "It says [b]gateway not responding[/b].",
                        author_name="Ana Ruiz")
        svc.change_status(engine, akhan, t.id, "open")
        svc.escalate(engine, akhan, t.id, reason="needs a gateway change", tier=3)
    return t


#: Rounds settle() waits (each: pending messages handled, running workers finished)
#: before it says the work never finished.
SETTLE_ROUNDS = 100
#: A round whose workers are still busy after this long is a hang, not slowness.
HUNG_WORKER_SECONDS = 60


def _unfinished(app) -> list:
    return [w for w in app.workers if not w.is_finished]


async def settle(pilot) -> None:
    """Wait until every worker is done and every message they posted is handled.

    A worker may post a message whose handler starts another worker: each round
    handles what is pending, then waits for the workers running. After
    SETTLE_ROUNDS rounds with work still going (a loop), or a round whose
    workers never finish (a hang), it raises an AssertionError naming them.
    """
    app = pilot.app
    for _ in range(SETTLE_ROUNDS):
        await pilot.pause()
        busy = [w for w in _unfinished(app) if w.is_running]  # a pending one starts by the next round
        if busy:
            try:
                await asyncio.wait_for(app.workers.wait_for_complete(busy), HUNG_WORKER_SECONDS)
            except TimeoutError:
                break
        await pilot.pause()
        if not _unfinished(app):
            return
    names = ", ".join(f"{w.group}/{w.name or '?'} ({w.state.name.lower()})" for w in _unfinished(app))
    raise AssertionError(f"the app's work did not finish: still running {names}")


async def type_text(pilot, text: str) -> None:
    keys = {" ": "space", "\n": "enter"}
    await pilot.press(*[keys.get(ch, ch) for ch in text])


async def run_command(pilot, title: str) -> None:
    """Run a command from the palette as a user does: open it, type, take the best hit."""
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await settle(pilot)
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette), palette
    await type_text(pilot, title)
    await settle(pilot)  # the palette gathers its hits in a worker
    hits = palette.query_one(CommandList)
    assert hits.option_count, f"the palette found no command for {title!r}"
    await pilot.press("enter")
    await settle(pilot)


def screen_of(app) -> TicketScreen:
    return next(s for s in app.screen_stack if isinstance(s, TicketScreen))
