"""Placeholder for the metrics screen (built in a later issue; replace this file,
keeping a no-argument `MetricsScreen`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from deskui.tui.widgets.status_line import StatusLine


class MetricsScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Static("Metrics is not built yet. Press 1 for the queue.", classes="placeholder", markup=False)
        yield StatusLine()
        yield Footer()
