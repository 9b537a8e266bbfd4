"""The queue on 200,000 tickets: it opens, filters and jumps to the end without
loading the rows (memory, not time: DESIGN.md §4)."""

from __future__ import annotations

import shutil
import tracemalloc

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from deskui.store.db import make_engine
from deskui.tui.widgets.queue_view import CACHE_ROWS, QueueView
from bulk_data import bulk_tickets
from queue_support import NOW, SAMPLE, make_app, run_async, settle

TICKETS = 200_000
EVERY_STATUS = "status:new,open,pending,resolved,closed,cancelled"


@pytest.fixture(scope="module")
def big_desk(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(str(path))
    seed_demo_org(engine, SAMPLE)
    bulk_tickets(path, TICKETS, now=NOW, index_text=False, with_events=True)
    yield engine
    engine.dispose()


@run_async
async def test_queue_on_200k_tickets_keeps_memory_flat(big_desk):
    with clock.frozen(NOW):
        app = make_app(big_desk)
        tracemalloc.start()
        try:
            async with app.run_test(size=(160, 48)) as pilot:
                await settle(pilot)
                screen = app.screen
                view = screen.query_one(QueueView)
                assert len(view.ids) > 1000  # the open tickets
                # Every ticket, then to the last row and back up a page.
                assert screen.apply_filter(EVERY_STATUS)
                await settle(pilot)
                assert len(view.ids) == TICKETS
                # The list grew in batches: the scrollbar knows the whole of it.
                assert view.virtual_size.height == TICKETS + 1
                assert view.vertical_scrollbar.window_virtual_size == TICKETS + 1
                await pilot.press("G")
                await settle(pilot)
                assert view.cursor == TICKETS - 1
                last = view.ids[-1]
                assert view.row(last) is not None  # the last page was read
                await pilot.press("pageup", "pageup")
                await settle(pilot)
                _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    # Only pages around what was on screen were read...
    assert len(view.cached_ids()) <= CACHE_ROWS
    assert len(view.cached_ids()) < 2000
    # ...and the whole run stayed far below what 200,000 rows take
    # (a TicketRecord is ~1.5 KB of Python objects: ~300 MB for all).
    assert peak < 60 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB"
