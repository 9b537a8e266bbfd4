"""The key table of DESIGN.md §5, every binding with an id.

Users remap a binding in their config file by id::

    [keymap]
    "queue.cursor_down" = "n,down"
    "app.help" = "f1"

The value lists every key for that binding (it replaces the defaults).
Letters are never priority bindings, so typing in an input always types; the
few symbol and digit keys that are (they open prompts) step aside while an
input has the focus (see DeskApp.check_action, QueueScreen.check_action).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from textual.binding import Binding

from deskui.tui.binding_ids import ALL_BINDING_IDS

# Binding ids declared through bind() (with their descriptions).
KNOWN_IDS: dict[str, str] = {}


def bind(keys: str, action: str, description: str, binding_id: str, *, show: bool = False,
         key_display: str | None = None, priority: bool = False) -> Binding:
    KNOWN_IDS[binding_id] = description
    return Binding(keys, action, description, show=show, key_display=key_display, priority=priority, id=binding_id)


# App-wide (every screen): DESIGN.md §5. The symbol and digit keys are priority
# bindings, so a key typed right after them (":123⏎" in one go) is not sent to
# the old focus; DeskApp.check_action turns them off while an input has the
# focus, so they still type there.
APP_BINDINGS = [
    bind("question_mark", "help", "Keys", "app.help", show=True, key_display="?", priority=True),
    bind("colon", "jump", "Jump", "app.jump", show=True, key_display=":", priority=True),
    bind("1", "switch_mode('queue')", "Queue", "app.mode_queue", priority=True),
    bind("2", "switch_mode('knowledge')", "Knowledge", "app.mode_knowledge", priority=True),
    bind("3", "switch_mode('metrics')", "Metrics", "app.mode_metrics", priority=True),
    bind("4", "switch_mode('wallboard')", "Wallboard", "app.mode_wallboard", priority=True),
    bind("escape", "back", "Back", "app.back"),
    bind("q", "back_or_quit", "Quit", "app.quit", show=True),
    # Footer shows the palette key on its right already.
    bind("ctrl+p", "command_palette", "Commands", "app.command_palette", key_display="^p", priority=True),
]

# The queue screen.
QUEUE_BINDINGS = [
    bind("j,down", "cursor_down", "Next row", "queue.cursor_down"),
    bind("k,up", "cursor_up", "Previous row", "queue.cursor_up"),
    bind("g,home", "cursor_first", "First row", "queue.cursor_first"),
    bind("G,end", "cursor_last", "Last row", "queue.cursor_last"),
    bind("ctrl+d", "half_page_down", "Half page down", "queue.half_page_down"),
    bind("ctrl+u", "half_page_up", "Half page up", "queue.half_page_up"),
    bind("pagedown", "page_down", "Page down", "queue.page_down"),
    bind("pageup", "page_up", "Page up", "queue.page_up"),
    bind("enter", "open_ticket", "Open", "queue.open", show=True),
    bind("slash", "filter", "Filter", "queue.filter", show=True, key_display="/", priority=True),
    bind("escape", "clear", "Clear filter / marks", "queue.clear"),
    bind("space", "mark", "Mark", "queue.mark", show=True),
    bind("t", "take", "Take", "queue.take", show=True),
    bind("a", "assign", "Assign", "queue.assign", show=True),
    bind("s", "status", "Status", "queue.status", show=True),
    bind("S", "cycle_sort", "Sort", "queue.sort", show=True),
    bind("right_square_bracket", "next_view", "Next view", "queue.next_view", key_display="]"),
    bind("left_square_bracket", "previous_view", "Previous view", "queue.previous_view", key_display="["),
    bind("ctrl+r", "refresh", "Refresh", "queue.refresh"),
]


def check_keymap(keymap: Mapping[str, object], extra_ids: Iterable[str] = ()) -> tuple[dict[str, str], list[str]]:
    """The usable part of a user keymap and one warning line per bad entry."""
    known = ALL_BINDING_IDS | set(KNOWN_IDS) | set(extra_ids)
    usable: dict[str, str] = {}
    warnings: list[str] = []
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not keys.strip():
            warnings.append(f"keymap: {binding_id!r} needs keys as a string, e.g. \"j,down\"")
            continue
        if binding_id not in known:
            warnings.append(f"keymap: unknown binding id {binding_id!r}{_closest(binding_id, known)}; "
                            "see ? for the ids of each screen")
            continue
        usable[binding_id] = ",".join(key.strip() for key in keys.split(",") if key.strip())
    return usable, warnings


def _closest(binding_id: str, known: Iterable[str]) -> str:
    from difflib import get_close_matches

    found = get_close_matches(binding_id, sorted(known), n=1, cutoff=0.75)
    return f" (did you mean {found[0]!r}?)" if found else ""
