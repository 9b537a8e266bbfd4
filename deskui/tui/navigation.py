"""The command palette's way around the desk (issue 15 item 9): every action of
the current screen, and every screen, saved view and theme from any screen.

``ScreenActions`` lists the keys of the screen underneath the palette (and the
app's), as that screen has them: the palette's own input has the focus while it
lists them, and a focused input on the screen (the knowledge search box) would
otherwise hide every letter key. ``NavigationCommands`` adds "Go to Wallboard",
"View: Unassigned", "Theme: deskui-light". A theme chosen here is saved
(``DeskApp.choose_theme``).
"""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from deskui.tui.palette import Command, CommandListProvider

#: (mode or screen, name shown, key that does the same), in the order of the number keys.
SCREENS = (
    ("queue", "Queue", "1"),
    ("knowledge", "Knowledge", "2"),
    ("metrics", "Metrics", "3"),
    ("wallboard", "Wallboard", "4"),
    ("problems", "Problems", "P in the queue"),
)


def screen_bindings(screen: Screen) -> list[tuple[DOMNode, Binding]]:
    """(node, binding) for every enabled key of ``screen``: the focused widget's and
    its ancestors' up to the app (or the first dialog), after the user's keymap --
    including the keys a focused input would take as text."""
    app = screen.app
    focused = screen.focused
    nodes = list(focused.ancestors_with_self) if focused is not None else [screen, app]
    keymap = app._keymap
    found: list[tuple[DOMNode, Binding]] = []
    with app.listing_commands_of(screen):
        for node in nodes:
            bindings = node._bindings.copy()
            if keymap:
                bindings.apply_keymap(keymap)
            for binding_list in bindings.key_to_bindings.values():
                found += [(node, binding) for binding in binding_list
                          if app._check_action_state(binding.action, node) is not False]
            if node.is_modal:
                break
    return found


class ScreenActions(CommandListProvider):
    """Every key of the current screen (and the app) as a palette command,
    plus a screen's extra ``palette_commands()`` (name, help, callback)."""

    def _commands(self) -> list[Command]:
        screen = self.screen
        app = self.app
        # A screen with its own provider lists its own actions; add only the app's.
        own_provider = bool(getattr(type(screen), "COMMANDS", None))
        keys: dict[tuple[int, str], list[str]] = {}
        entries: dict[tuple[int, str], tuple] = {}
        for node, binding in screen_bindings(screen):
            # Textual's own keys (no id: focus, copy, scrolling) are not desk actions;
            # NavigationCommands lists the screens.
            if binding.system or binding.id is None or binding.action in ("command_palette", "back") \
                    or binding.action.startswith("switch_mode"):
                continue
            if own_provider and node is not app:
                continue
            group = (id(node), binding.id)
            display = app.get_key_display(binding)
            if display not in keys.setdefault(group, []):
                keys[group].append(display)
            entries.setdefault(group, (binding.description, binding.id,
                                       partial(app.run_action, binding.action, node)))
        commands = [(description, " ".join(keys[group]) + f" · {binding_id}", callback)
                    for group, (description, binding_id, callback) in entries.items()]
        if not own_provider and hasattr(screen, "palette_commands"):
            commands.extend(screen.palette_commands())
        return commands


def screen_commands(app) -> list[Command]:
    return [(f"Go to {name}", f"Screen · {key}", partial(app.go_to_screen, target))
            for target, name, key in SCREENS]


def view_commands(app) -> list[Command]:
    from deskui.tui.widgets.saved_views import views_from_settings

    views, _warnings = views_from_settings(getattr(app.desk.settings, "raw", None) or {})
    return [(f"View: {view.name}", f"Queue view · {view.query or 'every open ticket'}",
             partial(app.show_saved_view, index))
            for index, view in enumerate(views)]


def theme_commands(app) -> list[Command]:
    current = app.theme
    return [(f"Theme: {name}", "the current theme" if name == current else "Use this theme (saved in config.toml)",
             partial(app.choose_theme, name))
            for name in sorted(app.available_themes)]


class NavigationCommands(CommandListProvider):
    """Screens and saved views (not over a dialog: finish it first) and themes."""

    def _commands(self) -> list[Command]:
        app = self.app
        commands: list[Command] = []
        if not isinstance(self.screen, ModalScreen):
            commands += screen_commands(app) + view_commands(app)
        return commands + theme_commands(app)


class ThemeCommands(CommandListProvider):
    """The theme picker (the palette's "Theme picker" command): themes only."""

    def _commands(self) -> list[Command]:
        return [(name.removeprefix("Theme: "), help_text, callback)
                for name, help_text, callback in theme_commands(self.app)]
