"""The app shell: keymap, themes, help, the jump prompt, modes, the command palette."""

from __future__ import annotations

import pytest

from deskui import clock
from deskui.services.seed import seed_demo_org
from deskui.tui.keymap import KNOWN_IDS, check_keymap
from deskui.tui.screens.help import HelpScreen
from deskui.tui.screens.jump import JumpError, JumpScreen, parse_jump
from deskui.tui.themes import DEFAULT_THEME, load_themes, theme_from_toml, ThemeFileError
from deskui.tui.widgets.queue_view import QueueView
from queue_support import NOW, SAMPLE, build_desk, burst, make_app, run_async, settle, type_text


@pytest.fixture
def desk(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    with clock.frozen(NOW):
        ids = build_desk(sqlite_engine)
        sqlite_engine.ticket_ids = ids
        yield sqlite_engine


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


# ------------------------------------------------------------------ keymap


@run_async
async def test_keymap_from_settings_remaps_a_binding(desk):
    app = make_app(desk, keymap={"queue.cursor_down": "n", "app.help": "f1"})
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        view = app.screen.query_one(QueueView)
        await pilot.press("j")
        assert view.cursor == 0
        await pilot.press("n", "n")
        assert view.cursor == 2
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        # The help lists the remapped key beside the binding id.
        assert ("n", "Next row", "queue.cursor_down") in app.screen.rows


def test_check_keymap_warns_about_unknown_ids_and_bad_values():
    usable, warnings = check_keymap({"queue.cursr_down": "n", "queue.mark": 3, "app.help": " f1 , f2 ",
                                     "ticket.reply": "R", "ticket.replyy": "R", "kb.serch": "f", "metrics.x": "x",
                                     "problems.new": "N"})
    assert usable == {"app.help": "f1,f2", "ticket.reply": "R", "problems.new": "N"}
    assert len(warnings) == 5
    # A typo is caught for every screen, not only the queue's, with the id it was probably meant to be.
    assert any("'queue.cursr_down'" in w and "'queue.cursor_down'" in w for w in warnings)
    assert any("'ticket.replyy'" in w and "did you mean 'ticket.reply'" in w for w in warnings)
    assert any("'kb.serch'" in w and "'kb.search'" in w for w in warnings)
    assert any("'metrics.x'" in w for w in warnings)
    assert any("queue.mark" in w for w in warnings)


def test_every_binding_id_is_known_at_start_up():
    """The ids every screen, dialog and widget declares equal the list checked at
    start-up (deskui.tui.binding_ids), and every binding has an id."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import deskui.tui
    from deskui.tui.binding_ids import ALL_BINDING_IDS

    for module in pkgutil.walk_packages(deskui.tui.__path__, "deskui.tui."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    declared = set()
    for cls in set(subclasses(DOMNode)):
        if cls.__module__.startswith("deskui."):
            for binding in cls.__dict__.get("BINDINGS", []):
                assert isinstance(binding, Binding) and binding.id, f"{cls.__name__}: {binding!r} has no id"
                declared.add(binding.id)
    assert declared == ALL_BINDING_IDS, "add new binding ids to deskui/tui/binding_ids.py"


def test_every_key_of_the_design_table_has_an_id():
    for binding_id in ("queue.cursor_down", "queue.cursor_up", "queue.cursor_first", "queue.cursor_last",
                       "queue.half_page_down", "queue.page_down", "queue.open", "queue.filter", "queue.mark",
                       "queue.take", "queue.assign", "queue.status", "app.jump", "app.help", "app.quit",
                       "app.back", "app.mode_queue", "app.mode_knowledge", "app.mode_metrics",
                       "app.mode_wallboard", "app.command_palette"):
        assert binding_id in KNOWN_IDS


# ------------------------------------------------------------------ themes


BROKEN = 'name = "broken"\nprimary = "#12345G"\n'


def test_theme_files_load_with_semantic_variables(tmp_path):
    (tmp_path / "mine.toml").write_text('primary = "#336699"\n[variables]\nsla-breached = "#ff00ff"\n')
    (tmp_path / "broken.toml").write_text(BROKEN)
    (tmp_path / "bad-toml.toml").write_text("primary = \n")
    loaded = load_themes([tmp_path])
    assert loaded.themes["mine"].variables["sla-breached"] == "#ff00ff"
    # Unset semantic variables get their defaults, so app.tcss always parses.
    assert "sla-at-risk" in loaded.themes["mine"].variables
    assert "broken" not in loaded.themes and DEFAULT_THEME in loaded.themes
    assert len(loaded.errors) == 2
    assert any("broken.toml" in e and "primary" in e and "#12345G" in e for e in loaded.errors)
    assert any("bad-toml.toml" in e and "TOML" in e for e in loaded.errors)


def test_shipped_themes_are_valid():
    from deskui.resources import themes_dir

    names = {theme_from_toml(path).name for path in themes_dir().glob("*.toml")}
    assert {"deskui-dark", "deskui-light", "deskui-high-contrast"} <= names


def test_unknown_theme_key_is_named(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('primary = "#000000"\nbackgrund = "#ffffff"\n')
    with pytest.raises(ThemeFileError, match="backgrund"):
        theme_from_toml(path)


@run_async
async def test_broken_theme_file_notifies_and_falls_back(desk, tmp_path, monkeypatch):
    config = tmp_path / "config"
    (config / "themes").mkdir(parents=True)
    (config / "themes" / "broken.toml").write_text(BROKEN)
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(config))
    app = make_app(desk, theme="broken")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        messages = notifications(app)
        assert any("broken.toml" in m for m in messages)
        assert any("'broken' is not available" in m for m in messages)
        assert app.screen.query_one(QueueView).ids  # the queue works anyway


@run_async
async def test_user_theme_is_applied_with_its_sla_colours(desk, tmp_path, monkeypatch):
    config = tmp_path / "config"
    (config / "themes").mkdir(parents=True)
    (config / "themes" / "mine.toml").write_text(
        'name = "mine"\ndark = false\nprimary = "#336699"\nbackground = "#fafafa"\n'
        '[variables]\nsla-breached = "#ff00ff"\n')
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(config))
    app = make_app(desk, theme="mine")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.theme == "mine"
        view = app.screen.query_one(QueueView)
        style = view.get_component_rich_style("queue--sla-breached", partial=True)
        assert style.color.triplet.hex == "#ff00ff"


# ------------------------------------------------------------------ help, jump, modes, palette


@run_async
async def test_question_mark_shows_the_keys_of_the_current_screen(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {row[2]: row for row in app.screen.rows}
        assert rows["queue.cursor_down"][0] == "j ↓"
        assert rows["queue.mark"][1] == "Mark"
        assert "app.jump" in rows
        # The screen's own keys come before the app's.
        ids = [row[2] for row in app.screen.rows]
        assert ids.index("queue.cursor_down") < ids.index("app.jump")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


def test_parse_jump():
    assert parse_jump(":123") == parse_jump("#123") == parse_jump(" 123 ")
    assert parse_jump("123").value == 123
    assert parse_jump("kb").value == "knowledge"
    assert parse_jump(":metrics").value == "metrics"
    assert parse_jump("theme deskui-light").value == "deskui-light"
    for bad in ("", "abc", "theme", "0"):
        with pytest.raises(JumpError):
            parse_jump(bad)


@run_async
async def test_jump_to_a_ticket_and_to_screens(desk):
    ticket_screen = pytest.importorskip("deskui.tui.screens.ticket")
    app = make_app(desk)
    target = desk.ticket_ids[4]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        assert isinstance(app.screen, JumpScreen)
        await type_text(pilot, f"{target}\n")
        await settle(pilot)
        assert isinstance(app.screen, ticket_screen.TicketScreen)
        assert app.screen.ticket_id == target
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "metrics\n")
        await settle(pilot)
        assert app.current_mode == "metrics"
        await pilot.press("1")
        await settle(pilot)
        assert app.current_mode == "queue"
        await pilot.press("colon")
        await type_text(pilot, "kb\n")
        await settle(pilot)
        assert app.current_mode == "knowledge"
        # The knowledge screen's search field may have the focus (digits type there).
        app.switch_mode("queue")
        await settle(pilot)
        await pilot.press("colon")
        await type_text(pilot, "999999\n")
        await settle(pilot)
        assert any("#999999 not found" in m for m in notifications(app))
        await pilot.press("colon")
        await type_text(pilot, "nonsense\n")
        await settle(pilot)
        assert isinstance(app.screen, JumpScreen)
        assert app.screen.query_one("#jump-error").display


@run_async
async def test_jump_typed_in_one_go(desk):
    ticket_screen = pytest.importorskip("deskui.tui.screens.ticket")
    app = make_app(desk)
    target = desk.ticket_ids[2]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        burst(app, f":{target}\n")
        await settle(pilot)
        # The digits went to the prompt, not to the mode keys 1-4.
        assert app.current_mode == "queue"
        assert isinstance(app.screen, ticket_screen.TicketScreen)
        assert app.screen.ticket_id == target


@run_async
async def test_number_keys_switch_modes_and_q_asks_before_quitting(desk):
    app = make_app(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for key, mode in (("3", "metrics"), ("4", "wallboard"), ("1", "queue"), ("2", "knowledge")):
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
        app.switch_mode("queue")  # the knowledge screen's search field may hold the focus
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running and app.current_mode == "queue"


@run_async
async def test_every_queue_action_is_a_palette_command(desk):
    from deskui.tui.app import ScreenActions

    app = make_app(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        queue = app.screen
        provider = ScreenActions(queue)
        names = [name for name, _, _ in provider._commands()]
        for binding in queue.BINDINGS:
            if binding.action != "clear":
                assert binding.description in names, binding.description
        assert "Sort by priority" in names
        # Running one works like the key.
        callback = dict((n, c) for n, _, c in provider._commands())["Next row"]
        await callback()
        assert queue.query_one(QueueView).cursor == 1


@run_async
async def test_question_mark_explains_the_sla_column(desk):
    """Issue 15 item 15: the SLA column's "r" (response target) was explained nowhere."""
    from pathlib import Path

    app = make_app(desk)
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        legend = app.screen.query_one("#help-legend")
        lines = ["".join(s.text for s in strip) for strip in legend.render_lines(legend.size.region)]
        text = "\n".join(lines)
        assert "SLA column" in text and "business time left" in text
        assert any(line.lstrip().startswith("r45m") and "first response" in line for line in lines), text
        assert "overdue" in text and "paused" in text
        # The README says the same.
        readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
        assert "`r45m` with an `r` in front is the **first-response** (response) target" in readme
        # Only screens with a notation to explain have a legend.
        await pilot.press("escape")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen) and not app.screen.query("#help-legend")
