"""DeskApp: modes (queue, knowledge, metrics, wallboard), app-wide keys, the
command palette, themes, and the SLA sweep timer.

Screens are imported when first shown (DESIGN.md §4 startup), and reach the
database through ``self.app.desk`` (a DeskContext).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from textual.app import App, SystemCommand
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from deskui.reads.failures import one_line
from deskui.tui.context import DeskContext
from deskui.tui.keymap import APP_BINDINGS, check_keymap
from deskui.tui.navigation import NavigationCommands, ScreenActions, ThemeCommands
from deskui.tui.themes import DEFAULT_THEME, SEMANTIC_DEFAULTS, load_themes


def _queue_screen() -> Screen:
    from deskui.tui.screens.queue import QueueScreen

    return QueueScreen()


def _knowledge_screen() -> Screen:
    from deskui.tui.screens.knowledge import KnowledgeScreen

    return KnowledgeScreen()


def _metrics_screen() -> Screen:
    from deskui.tui.screens.metrics import MetricsScreen

    return MetricsScreen()


def _wallboard_screen() -> Screen:
    from deskui.tui.screens.wallboard import WallboardScreen

    return WallboardScreen()


def return_large_blocks_to_the_os() -> None:
    """Keep glibc's mmap threshold at 128 KB. By default it rises to the size of
    the largest block freed, so after the queue swaps one 8 MB id list for
    another the next lists come from the heap and RSS only ever grows."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD; fixing it disables the dynamic rise
    except (OSError, AttributeError):
        pass  # not glibc (musl): nothing to tune


MODE_NAMES = {"queue": "Queue", "knowledge": "Knowledge", "metrics": "Metrics", "wallboard": "Wallboard"}


class DeskApp(App):
    """The analyst's terminal service desk."""

    TITLE = "deskui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find it too.
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))
    BINDINGS = APP_BINDINGS
    MODES = {"queue": _queue_screen, "knowledge": _knowledge_screen, "metrics": _metrics_screen,
             "wallboard": _wallboard_screen}
    # Start in the queue directly (no blank default screen to build, style and leave).
    DEFAULT_MODE = "queue"
    COMMANDS = App.COMMANDS | {ScreenActions, NavigationCommands}

    # (at risk, breached), set by the queue's counts; the status line shows them.
    live_counts: reactive[tuple | None] = reactive(None)

    def __init__(self, desk: DeskContext) -> None:
        super().__init__()
        return_large_blocks_to_the_os()
        self.desk = desk
        self._startup_messages: list[tuple[str, str]] = []
        self._sweeping = False
        self._early_queue: Screen | None = None
        # The screen under the command palette while it lists that screen's keys.
        self._listing_for: Screen | None = None
        self._modes["queue"] = self._queue_mode_screen
        self._load_themes()
        keymap, warnings = check_keymap(getattr(desk.settings, "keymap", None) or {})
        self._startup_messages += [(w, "warning") for w in warnings]
        if keymap:
            self.set_keymap(keymap)

    # ------------------------------------------------------------ themes

    def _load_themes(self) -> None:
        loaded = load_themes()
        for theme in loaded.themes.values():
            self.register_theme(theme)
        self._startup_messages += [(error, "error") for error in loaded.errors]
        wanted = getattr(self.desk.settings, "theme", None) or DEFAULT_THEME
        if wanted not in self.available_themes:
            self._startup_messages.append((f"theme {wanted!r} is not available; using {DEFAULT_THEME}", "warning"))
            wanted = DEFAULT_THEME
        self.theme = wanted

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(SEMANTIC_DEFAULTS)

    # ------------------------------------------------------------ lifecycle

    def on_load(self) -> None:
        # The queue's first query starts now, while Textual is still setting up.
        from deskui.tui.screens.queue import QueueScreen

        self._early_queue = QueueScreen()
        self._early_queue.start_loading()

    def _queue_mode_screen(self) -> Screen:
        screen, self._early_queue = self._early_queue, None
        screen = screen or _queue_screen()
        # The stylesheet is current (the theme was applied at load): without
        # this Textual parses every source again for a mode's first screen (~15 ms).
        screen._css_update_count = self._css_update_count
        return screen

    def on_mount(self) -> None:
        for message, severity in self._startup_messages:
            self.notify(message, severity=severity, timeout=8, markup=False)
        self._schedule_sweep()

    def _schedule_sweep(self) -> None:
        seconds = self.desk.sweep_seconds
        if seconds and seconds > 0:
            self.set_timer(seconds, self.run_sweep)

    def run_sweep(self) -> None:
        """Refresh the stored SLA states in a worker; the next one is scheduled
        only after this one finished."""
        if self._sweeping:
            return
        self._sweeping = True
        engine = self.desk.engine

        # Held a little less than the period, so the holder can sweep again at its next tick.
        lease = 0.8 * (self.desk.sweep_seconds or 0)

        def work() -> None:
            from deskui.services.sweep import claim_sweep, sweep

            try:
                # Another analyst's app swept a moment ago: only the counts are read again.
                result = sweep(engine) if claim_sweep(engine, lease) else None
            except Exception as exc:  # a locked database must not stop the app
                self.call_from_thread(self._swept, None, one_line(exc))
                return
            self.call_from_thread(self._swept, result, "")

        self.run_worker(work, thread=True, group="sla-sweep", name="SLA sweep", exit_on_error=False)

    def _swept(self, result, error: str) -> None:
        self._sweeping = False
        if error:
            self.notify(f"SLA sweep failed: {error.splitlines()[0]}", severity="warning", markup=False)
        elif result is None:
            # Another app holds the sweep: its changes write no event, so read the counts again.
            for screen in self._all_screens():
                if hasattr(screen, "load_counts") and screen.is_mounted:
                    screen.load_counts()
        elif result.changed:
            for screen in self._all_screens():
                if hasattr(screen, "refresh_queue"):
                    screen.refresh_queue(force=True)
        self._schedule_sweep()

    def _all_screens(self) -> Iterable[Screen]:
        for stack in self._screen_stacks.values():
            yield from stack

    # ------------------------------------------------------------ actions

    TYPING_ACTIONS = frozenset({"help", "jump", "switch_mode"})

    def is_typing(self) -> bool:
        """True while keys should go to text: an input or text area has the
        focus, or the top screen is a prompt still mounting its input."""
        screen = self.screen
        if getattr(screen, "TAKES_TEXT", False):
            return True
        focused = screen.focused
        # By class name: importing TextArea just to ask costs ~40 ms at startup.
        return focused is not None and any(cls.__name__ in ("Input", "TextArea") for cls in type(focused).__mro__)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.TYPING_ACTIONS:
            listing = self._listing_for
            if listing is None and self.is_typing():
                return False  # the key goes on to the input
            if action != "help" and isinstance(listing or self.screen, ModalScreen):
                return False  # finish the dialog first
        return super().check_action(action, parameters)

    @contextmanager
    def listing_commands_of(self, screen: Screen) -> Iterator[None]:
        """While the palette lists ``screen``'s keys: the app's keys count as they
        would on that screen, not as on the palette (whose input has the focus)."""
        self._listing_for = screen
        try:
            yield
        finally:
            self._listing_for = None

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's, less what deskui does its own way: the theme picker saves the
        choice, ? is the desk's key help, q asks before quitting."""
        yield SystemCommand("Theme picker", "Choose a theme (saved in config.toml)", self.action_change_theme)
        for command in super().get_system_commands(screen):
            if command.title not in ("Theme", "Keys", "Quit"):
                yield command

    def action_change_theme(self) -> None:
        from textual.command import CommandPalette

        self.push_screen(CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…"))

    def choose_theme(self, name: str) -> None:
        """A theme chosen by the user (the palette, :theme NAME): used now and saved
        in config.toml for the next start."""
        if name not in self.available_themes:
            self.notify(f"no theme {name!r}; themes: {', '.join(sorted(self.available_themes))}",
                        severity="warning", markup=False)
            return
        self.theme = name
        settings = self.desk.settings
        if hasattr(settings, "theme"):
            settings.theme = name

        def save() -> None:
            from deskui.config import save_theme
            from deskui.errors import DeskError

            try:
                path = save_theme(name)
            except DeskError as exc:
                self.call_from_thread(self.notify, str(exc), severity="warning", markup=False)
                return
            self.call_from_thread(self.notify, f"theme {name} saved in {path}", timeout=3, markup=False)

        self.run_worker(save, thread=True, group="save-theme", name="save theme", exit_on_error=False)

    def open_ticket(self, ticket_id: int) -> None:
        try:
            from deskui.tui.screens.ticket import TicketScreen
        except ImportError:
            self.notify(f"#{ticket_id}: the ticket screen is not available yet", severity="warning")
            return
        except Exception as exc:  # a broken screen module must not take the queue down
            self.notify(f"#{ticket_id}: the ticket screen failed to load: {one_line(exc)}",
                        severity="error", markup=False)
            return
        self.push_screen(TicketScreen(ticket_id))

    def action_help(self) -> None:
        from deskui.tui.screens.help import HelpScreen, binding_rows

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)  # ? again closes it
            return
        title = MODE_NAMES.get(self.current_mode, "") if len(self.screen_stack) <= 1 else type(screen).__name__
        title = title.removesuffix("Screen") or "deskui"
        self.push_screen(HelpScreen(title, binding_rows(screen), getattr(screen, "HELP_LEGEND", ())))

    def action_jump(self) -> None:
        from deskui.tui.screens.jump import JumpScreen

        if isinstance(self.screen, JumpScreen):
            return
        self.push_screen(JumpScreen(), self._jumped)

    def _jumped(self, jump) -> None:
        if jump is None:
            return
        if jump.kind == "ticket":
            self._open_if_exists(jump.value)
        elif jump.kind == "mode":
            self.go_to_mode(jump.value)
        elif jump.kind == "theme":
            self.choose_theme(str(jump.value))
        elif jump.kind == "quit":
            self.exit()

    def _open_if_exists(self, ticket_id: int) -> None:
        engine = self.desk.engine

        def work() -> None:
            from deskui.reads.ticket import ticket_exists

            if ticket_exists(engine, ticket_id):
                self.call_from_thread(self.open_ticket, ticket_id)
            else:
                self.call_from_thread(self.notify, f"ticket #{ticket_id} not found", severity="warning")

        self.run_worker(work, thread=True, group="jump", name="jump", exit_on_error=False)

    def go_to_mode(self, mode: str) -> None:
        if mode not in self._modes:
            self.notify(f"no screen {mode!r}", severity="warning", markup=False)
            return
        self.switch_mode(mode)

    async def action_switch_mode(self, mode: str) -> None:
        self.go_to_mode(mode)

    def go_to_screen(self, target: str) -> None:
        """A mode, or the problems screen (over the current one, as P does in the queue)."""
        if target != "problems":
            self.go_to_mode(target)
            return
        from deskui.tui.screens.problems import ProblemsScreen

        if not isinstance(self.screen, ProblemsScreen):
            self.push_screen(ProblemsScreen())

    async def show_saved_view(self, index: int) -> None:
        """The queue, showing saved view ``index`` (from any screen)."""
        from deskui.tui.screens.queue import QueueScreen

        if self.current_mode != "queue":
            await self.switch_mode("queue")
        while len(self.screen_stack) > 1 and not isinstance(self.screen, QueueScreen):
            await self.pop_screen()
        if isinstance(self.screen, QueueScreen):
            self.screen.select_view(index)

    def action_back(self) -> None:
        """esc: close the top screen; on a mode's first screen go back to the queue."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "queue":
            self.switch_mode("queue")

    def action_back_or_quit(self) -> None:
        """q: back, and at the top ask before quitting."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        elif self.current_mode != "queue":
            self.switch_mode("queue")
        else:
            from deskui.tui.screens.bulk import ConfirmModal

            self.push_screen(ConfirmModal("Quit deskui?"), lambda yes: self.exit() if yes else None)


def run_app(*, engine, actor, settings) -> None:
    """Launch the app (called by the CLI)."""
    DeskApp(DeskContext(engine=engine, actor=actor, settings=settings)).run()
