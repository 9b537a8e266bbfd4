"""Switching screens (issue 15 item 7): each screen's frame comes first, its data
after, from workers; and the first frame is styled once, not three times (two
ScreenResume restyles are skipped before it: deskui.tui.screens.fresh), which
must leave every widget styled exactly as a full restyle would. Behaviour only:
bench/bench_screens.py measures the time."""

from __future__ import annotations

import pytest

from deskui.tui.screens.knowledge import KnowledgeScreen
from deskui.tui.screens.metrics import MetricsScreen
from deskui.tui.screens.queue import QueueScreen
from deskui.tui.screens.ticket import TicketScreen
from deskui.tui.screens.wallboard import WallboardScreen
from knowledge_support import kb_desk
from ticket_support import NOW, make_app, open_ticket, run_async, settle

from deskui import clock


@pytest.fixture
def desk(sqlite_engine):
    kb_desk(sqlite_engine)
    with clock.frozen(NOW):
        open_ticket(sqlite_engine)
        yield sqlite_engine


def styles_of(screen) -> dict:
    """Every node's resolved style values that show on screen."""
    out = {}
    for node in screen.walk_children(with_self=True):
        s = node.styles
        out[(type(node).__name__, node.id, tuple(sorted(node.classes)))] = (
            s.display, s.visibility, str(s.background), str(s.color), str(s.width), str(s.height),
            str(s.layout), str(s.padding), str(s.margin), str(s.border), str(s.text_style), str(s.grid_size_columns))
    return out


async def check_first_frame(pilot, key: str, kind) -> None:
    app = pilot.app
    await pilot.press(key)
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, kind)
    first = styles_of(screen)
    screen.update_node_styles(animate=False)  # what the skipped ScreenResume passes would have done
    await pilot.pause()
    assert styles_of(screen) == first


@pytest.mark.parametrize("key, kind", [("2", KnowledgeScreen), ("3", MetricsScreen), ("4", WallboardScreen)])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@run_async
async def test_a_first_switch_is_styled_as_a_full_restyle_would(desk, key, kind, size):
    app = make_app(desk, 0)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await check_first_frame(pilot, key, kind)
        # Later resumes still restyle: a theme chosen on another screen shows on return.
        await pilot.press("1")
        await settle(pilot)
        app.theme = "deskui-light" if app.theme != "deskui-light" else "deskui-dark"
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        restyled = styles_of(app.screen)
        app.screen.update_node_styles(animate=False)
        await pilot.pause()
        assert styles_of(app.screen) == restyled


@run_async
async def test_the_metrics_frame_comes_before_its_figures(desk):
    """The screen mounts with its tiles empty and "loading…", then the KPI tiles fill."""
    app = make_app(desk, 0)
    seen = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)

        def mounted(screen) -> None:
            if isinstance(screen, MetricsScreen) and not seen:
                period = str(screen.query_one("#period").render())
                seen.append((screen.first_paint.is_set(), "loading" in period))

        app.screen_change_signal.subscribe(app, mounted)
        await pilot.press("3")
        await settle(pilot)
        assert seen == [(False, True)]
        assert app.screen.first_paint.is_set()
        assert "loading" not in str(app.screen.query_one("#period").render())


@run_async
async def test_a_ticket_opens_its_frame_then_the_ticket(desk):
    with clock.frozen(NOW):
        app = make_app(desk, 1)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, QueueScreen)
            app.open_ticket(1)
            await pilot.pause()
            assert isinstance(app.screen, TicketScreen)
            await settle(pilot)
            assert app.screen.view is not None and app.screen.view.ticket.id == 1
