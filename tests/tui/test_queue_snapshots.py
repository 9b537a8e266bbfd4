"""How the queue looks, at 80x24, 160x48 and 200x60, with a frozen clock and fixed data.

Regenerate after an intended change with ``pytest tests/tui/test_queue_snapshots.py
--snapshot-update`` and look at the SVGs in ``__snapshots__`` before committing.
"""

from __future__ import annotations

import shutil

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from deskui.store.db import make_engine
from queue_support import NOW, SAMPLE, build_desk, make_app, settle, type_text
from snapshot_sizes import SIZE_IDS, SIZES


@pytest.fixture
def desk_engine(sqlite_template, tmp_path, monkeypatch):
    # A relative path, so the status line shows the same database name on every run.
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(sqlite_template, tmp_path / "desk.db")
    engine = make_engine("desk.db")
    seed_demo_org(engine, SAMPLE)
    with clock.frozen(NOW):
        build_desk(engine)
        yield engine
    engine.dispose()


async def marked(pilot):
    await settle(pilot)
    await pilot.press("j", "space", "space", "j")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_queue(desk_engine, snap_compare, size):
    assert snap_compare(make_app(desk_engine), terminal_size=size, run_before=marked)


def test_queue_bad_filter(desk_engine, snap_compare):
    async def bad_filter(pilot):
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "priority:7\n")
        await settle(pilot)

    assert snap_compare(make_app(desk_engine), terminal_size=(80, 24), run_before=bad_filter)


def test_help(desk_engine, snap_compare):
    async def help_keys(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(desk_engine), terminal_size=(100, 40), run_before=help_keys)


def test_queue_light_theme(desk_engine, snap_compare):
    assert snap_compare(make_app(desk_engine, theme="deskui-light"), terminal_size=(120, 30), run_before=marked)
