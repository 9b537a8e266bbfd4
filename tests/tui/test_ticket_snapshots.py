"""How the ticket screen looks, at 80x24, 160x48 and 200x60, with a frozen clock and fixed data.

Regenerate after an intended change with ``pytest tests/tui/test_ticket_snapshots.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing.
"""

from __future__ import annotations

import shutil

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from deskui.store.db import make_engine
from ticket_support import NOW, SAMPLE, make_app, settle, showcase_ticket, start
from snapshot_sizes import SIZE_IDS, SIZES


@pytest.fixture
def showcase(sqlite_template, tmp_path, monkeypatch):
    # A relative path, so the status line shows the same database name on every run.
    shutil.copyfile(sqlite_template, tmp_path / "desk.db")
    monkeypatch.chdir(tmp_path)
    engine = make_engine("desk.db")
    seed_demo_org(engine, SAMPLE)
    with clock.frozen(NOW):
        ticket = showcase_ticket(engine)
        yield make_app(engine, ticket.id)
    engine.dispose()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_ticket_screen(showcase, snap_compare, size):
    assert snap_compare(showcase, terminal_size=size, run_before=start)


async def no_blink(pilot) -> None:
    """A blinking cursor would make the picture depend on timing."""
    for widget in pilot.app.screen.query("TextArea, Input"):
        widget.cursor_blink = False
    await pilot.pause()


async def open_dialog(pilot, key: str) -> None:
    """Open the ticket, press ``key`` for its dialog, and still the cursor."""
    await start(pilot)
    await pilot.press(key)
    await settle(pilot)
    await no_blink(pilot)


def test_resolve_dialog(showcase, snap_compare):
    assert snap_compare(showcase, terminal_size=(100, 30), run_before=lambda pilot: open_dialog(pilot, "x"))


def test_internal_note_dialog(showcase, snap_compare):
    assert snap_compare(showcase, terminal_size=(100, 30), run_before=lambda pilot: open_dialog(pilot, "n"))


def test_resolve_dialog_error_fits_80x24(showcase, snap_compare):
    """On the smallest terminal the error and the buttons stay in view."""

    async def submit_empty(pilot):
        await open_dialog(pilot, "x")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(showcase, terminal_size=(80, 24), run_before=submit_empty)
