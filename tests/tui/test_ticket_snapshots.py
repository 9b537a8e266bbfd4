"""How the ticket screen looks, at 80x24 and 160x48, with a frozen clock and fixed data.

Regenerate after an intended change with ``pytest tests/tui/test_ticket_snapshots.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing.
"""

from __future__ import annotations

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from ticket_support import NOW, SAMPLE, make_app, settle, showcase_ticket


@pytest.fixture
def showcase(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        ticket = showcase_ticket(sqlite_engine)
        yield make_app(sqlite_engine, ticket.id)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_ticket_screen(showcase, snap_compare, size):
    assert snap_compare(showcase, terminal_size=size, run_before=settle)


async def no_blink(pilot) -> None:
    """A blinking cursor would make the picture depend on timing."""
    for widget in pilot.app.screen.query("TextArea, Input"):
        widget.cursor_blink = False
    await pilot.pause()


def test_resolve_dialog(showcase, snap_compare):
    async def open_resolve(pilot):
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(showcase, terminal_size=(100, 30), run_before=open_resolve)


def test_internal_note_dialog(showcase, snap_compare):
    async def open_note(pilot):
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await no_blink(pilot)

    assert snap_compare(showcase, terminal_size=(100, 30), run_before=open_note)
