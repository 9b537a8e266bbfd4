"""The read-only wallboard app that `deskui serve --wallboard` runs per browser session.

Read-only by construction: it mounts the wallboard screen alone, holds no analyst
(its actor is WALL_VIEWER: no id, role viewer) and binds no key that writes. It reads through
deskui.reads like every screen, refreshing on the wallboard's own timer (it asks for
the newest event id every few seconds, so tickets changed by other processes show).
"""

from __future__ import annotations

from textual.app import App

from deskui.services.actors import Actor
from deskui.tui.context import DeskContext
from deskui.tui.themes import DEFAULT_THEME, SEMANTIC_DEFAULTS, load_themes

# Not an analyst (no id): nothing can be written in its name.
WALL_VIEWER = Actor(id=None, username="wallboard", name="Wallboard", role="viewer", tier=1)


class WallboardApp(App):
    """Only the wallboard; no modes, no command palette, no write keys."""

    TITLE = "deskui wallboard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: list = []

    def __init__(self, desk: DeskContext) -> None:
        from deskui.tui.app import DeskApp

        self.CSS_PATH = DeskApp.CSS_PATH
        super().__init__()
        self.desk = desk
        for theme in load_themes().themes.values():
            self.register_theme(theme)
        if DEFAULT_THEME in self.available_themes:
            self.theme = DEFAULT_THEME

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(SEMANTIC_DEFAULTS)

    def on_mount(self) -> None:
        from deskui.tui.screens.wallboard import WallboardScreen

        self.push_screen(WallboardScreen())

