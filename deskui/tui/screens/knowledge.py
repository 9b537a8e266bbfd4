"""Placeholder for the knowledge screen (built in a later issue; replace this file,
keeping a no-argument `KnowledgeScreen`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine


class KnowledgeScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Static("The knowledge base is not built yet. Press 1 for the queue.", classes="placeholder", markup=False)
        yield StatusLine()
        yield KeyHints()
