"""The command palette navigates (issue 15 item 9): every screen, every saved
view, every theme and every action of the current screen is in it, and a few
letters find a screen."""

from __future__ import annotations

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from deskui.tui.widgets.saved_views import DEFAULT_VIEWS
from queue_support import NOW, SAMPLE, build_desk, make_app, queue_screen, run_async, settle, type_text


@pytest.fixture
def desk(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        build_desk(sqlite_engine)
        yield sqlite_engine


async def palette_hits(pilot, query: str) -> list[str]:
    """Open the palette, type ``query``; the names of the hits, best first (the palette stays open)."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(pilot.app.screen, CommandPalette):  # (the theme picker is open already)
        await pilot.press("ctrl+p")
        await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await type_text(pilot, query)
    await settle(pilot)
    hits = pilot.app.screen.query_one(CommandList)
    return [str(hits.get_option_at_index(i).prompt).split("\n")[0] for i in range(hits.option_count)]


async def run_best(pilot, query: str) -> str:
    """Type ``query`` in the palette and run its best hit, as a user does; its name."""
    names = await palette_hits(pilot, query)
    from textual.command import CommandList, CommandPalette

    assert names, f"the palette found nothing for {query!r}"
    palette = pilot.app.screen
    # Enter highlights the best hit when none is, then runs the highlighted one.
    assert isinstance(palette, CommandPalette)
    for _ in range(2):
        if pilot.app.screen is palette:
            assert palette.query_one(CommandList).highlighted in (None, 0)
            await pilot.press("enter")
            await settle(pilot)
    assert pilot.app.screen is not palette
    return names[0]


@run_async
async def test_a_few_letters_find_each_screen_from_any_screen(desk):
    from deskui.tui.screens.problems import ProblemsScreen

    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for query, mode in (("wall", "wallboard"), ("metr", "metrics"), ("know", "knowledge"), ("queue", "queue")):
            best = await run_best(pilot, query)
            assert app.current_mode == mode, (query, best)
        # The knowledge screen's search box has the focus there: the palette still goes everywhere.
        app.switch_mode("knowledge")
        await settle(pilot)
        assert await run_best(pilot, "queue") == "Go to Queue"
        assert app.current_mode == "queue"
        app.switch_mode("metrics")
        await settle(pilot)
        assert await run_best(pilot, "prob") == "Go to Problems"
        assert isinstance(app.screen, ProblemsScreen)


@run_async
async def test_every_screen_view_theme_and_action_is_in_the_palette(desk):
    app = make_app(desk, raw={"views": [{"name": "VPN", "query": "category:network"}]})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # knowledge: its search box has the focus
        await settle(pilot)
        names = await palette_hits(pilot, "")
        for screen in ("Queue", "Knowledge", "Metrics", "Wallboard", "Problems"):
            assert f"Go to {screen}" in names, screen
        for view in [*DEFAULT_VIEWS, "VPN"]:
            assert f"View: {getattr(view, 'name', view)}" in names
        for theme in app.available_themes:
            assert f"Theme: {theme}" in names
        # The knowledge screen's own actions, and the app's keys that the focused search box
        # would otherwise take (?, :) are commands too.
        for action in ("Search", "Drafts", "Refresh", "Keys", "Jump"):
            assert action in names, action
        # Screen switches are listed once, as "Go to ...".
        assert "Wallboard" not in names


@run_async
async def test_a_saved_view_and_a_theme_from_another_screen(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert await run_best(pilot, "view unassigned") == "View: Unassigned"
        assert app.current_mode == "queue"
        queue = queue_screen(app)
        assert queue.views[queue.view_index].name == "Unassigned"
        assert await run_best(pilot, "theme deskui-light") == "Theme: deskui-light"
        assert app.theme == "deskui-light"


# ------------------------------------------------------------------ the theme is saved (item 10)

CONFIG = """\
# my desk
db = "sqlite:////srv/desk.db"
theme = "deskui-dark"  # the default

[keymap]
"app.help" = "f1"

[[views]]
name = "VPN"
query = "category:network/vpn"
"""


@run_async
async def test_the_theme_chosen_in_the_palette_is_saved_and_used_at_the_next_start(desk, tmp_path, monkeypatch):
    import tomllib

    from deskui.config import load_settings
    from deskui.tui.app import DeskApp
    from deskui.tui.context import DeskContext

    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(tmp_path))
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    app = make_app(desk, **vars(load_settings(db=str(desk.url))))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # Through the picker, as the palette offers it.
        assert await run_best(pilot, "picker") == "Theme picker"
        assert await run_best(pilot, "high-contrast") == "deskui-high-contrast"
        assert app.theme == "deskui-high-contrast"
    # One line changed; the comments, the other keys and the tables are as they were.
    assert path.read_text(encoding="utf-8") == CONFIG.replace('theme = "deskui-dark"',
                                                              'theme = "deskui-high-contrast"')
    assert tomllib.loads(path.read_text(encoding="utf-8"))["keymap"] == {"app.help": "f1"}

    settings = load_settings(db=str(desk.url))
    assert settings.theme == "deskui-high-contrast"
    again = DeskApp(DeskContext(engine=desk, actor=app.desk.actor, settings=settings,
                                live_refresh_seconds=0, sweep_seconds=0))
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.theme == "deskui-high-contrast"
        # A theme from the palette's own list is saved too, in a file that had no theme line.
        path.write_text("[keymap]\n", encoding="utf-8")
        assert await run_best(pilot, "theme: deskui-light") == "Theme: deskui-light"
    assert path.read_text(encoding="utf-8") == 'theme = "deskui-light"\n[keymap]\n'
