"""Shared by the queue and app tests: a desk with fixed tickets, the app, waiting helpers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from deskui import clock
from deskui.config import Settings
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.tui.app import DeskApp
from deskui.tui.context import DeskContext
# One settle (and run_async) for every TUI test: ticket_support is the source.
from ticket_support import run_async, settle  # noqa: F401  (re-exported)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
# Monday 16 Nov 2026, 09:00 UTC (09:00 London).
NOW = clock.parse_utc("2026-11-16T09:00:00")
MARKUP_SUBJECT = "[bold red]x[/] printer \x1b[2J on fire [link=http://evil]click[/link]"

# (subject, category, impact, urgency, hours ago, type)
TICKETS = [
    ("VPN drops every few minutes", "Network/VPN", "medium", "high", 30, "incident"),
    ("Outlook keeps asking for password", None, "low", "medium", 2, "incident"),
    ("ERP invoice run failed", None, "high", "high", 3, "incident"),
    ("New starter needs a laptop", None, "low", "low", 50, "request"),
    ("Wi-Fi slow in meeting room 4", "Network/VPN", "medium", "medium", 20, "incident"),
    ("Shared drive access for finance", None, "medium", "low", 8, "request"),
    ("Printer on 3rd floor jams", None, "low", "low", 70, "incident"),
    ("MFA code not accepted", None, "high", "medium", 1, "incident"),
    ("Teams calls cut out", None, "medium", "medium", 26, "incident"),
    ("Disk almost full on file server", None, "high", "low", 5, "incident"),
    ("Monitor flickers", None, "low", "low", 100, "incident"),
    ("Password reset", None, "medium", "high", 0.5, "incident"),
    (MARKUP_SUBJECT, None, "medium", "medium", 4, "incident"),
    ("Scanner not found after update", None, "low", "medium", 12, "incident"),
    ("Mailbox full", None, "medium", "medium", 40, "incident"),
    ("Software request: Notepad++", None, "low", "low", 9, "request"),
]


def actor(engine, username: str = "demo"):
    return actor_for(engine, username)


def build_desk(engine) -> list[int]:
    """Open the fixed tickets through the services and work a few of them;
    returns the ticket ids in creation order."""
    demo, akhan = actor(engine, "demo"), actor(engine, "akhan")
    ids = []
    for n, (subject, category, impact, urgency, hours, kind) in enumerate(TICKETS):
        with clock.frozen(NOW - timedelta(hours=hours)):
            ticket = svc.open_ticket(engine, demo, subject=subject, requester=f"user{n}@northwind.example",
                                     requester_name=f"User {n:02d}", category=category, impact=impact,
                                     urgency=urgency, type=kind, channel="email")
        ids.append(ticket.id)
    with clock.frozen(NOW - timedelta(minutes=30)):
        for ticket_id in ids[0:3]:
            svc.take(engine, demo, ticket_id)
        for ticket_id in ids[3:6]:
            svc.take(engine, akhan, ticket_id)
        svc.change_status(engine, akhan, ids[5], "pending", pending_reason="awaiting_vendor")
        svc.take(engine, akhan, ids[6])
        svc.resolve(engine, akhan, ids[6], code="solved", notes="Cleared the jam.")
    return ids


def desk_context(engine, username: str = "demo", **settings) -> DeskContext:
    base = Settings(db_url=str(engine.url), user=username)
    for key, value in settings.items():
        setattr(base, key, value)
    return DeskContext(engine=engine, actor=actor_for(engine, username), settings=base,
                       live_refresh_seconds=0, sweep_seconds=0)


def make_app(engine, username: str = "demo", **settings) -> DeskApp:
    return DeskApp(desk_context(engine, username, **settings))


async def type_text(pilot, text: str) -> None:
    keys = {" ": "space", "\n": "enter", ":": "colon", "/": "slash", "-": "minus", ",": "comma", "|": "vertical_line",
            '"': "quotation_mark", "<": "less_than_sign", ">": "greater_than_sign", "#": "number_sign"}
    await pilot.press(*[keys.get(ch, ch) for ch in text])


def burst(app, text: str) -> None:
    """Keys arriving in one read, as from a paste or a fast typist: no waiting between them."""
    from textual import events

    names = {"/": "slash", ":": "colon", "\n": "enter", " ": "space"}
    for ch in text:
        app.post_message(events.Key(names.get(ch, ch), None if ch == "\n" else ch))


def queue_screen(app):
    from deskui.tui.screens.queue import QueueScreen

    return next(s for stack in app._screen_stacks.values() for s in stack if isinstance(s, QueueScreen))


def line_text(view, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y))
