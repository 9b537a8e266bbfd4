"""A see-through container whose keys work wherever the focus is inside it.

Textual looks for a key's binding from the focused widget up through its
ancestors to the screen. A screen whose features each own their keys wraps its
body in one layer per feature: every layer's bindings and actions are its own,
and they work whichever part of the screen has the focus. The innermost
layer's keys come first (in the footer and in ``?``).
"""

from __future__ import annotations

from textual.containers import Vertical


class KeyLayer(Vertical):
    """Lays its children out as the screen would (a vertical stack filling the room)."""

    DEFAULT_CSS = """
    KeyLayer { height: 1fr; width: 1fr; }
    """
