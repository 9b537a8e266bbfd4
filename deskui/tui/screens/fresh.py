"""Screens that do not style themselves again before their first frame (issue 15 item 7).

Textual styles every node of a screen as it mounts; switching to a mode for the
first time then posts two ScreenResume events, and each restyles the whole
screen (``refresh_styles``). On the metrics screen those passes were 40% of the
0.7 s between the key and the frame. Nothing has changed before the screen's
first frame, so they are skipped until then; every later resume (back from
another screen, after a theme change) still restyles.

A mixin before ``Screen`` in the bases: Textual calls one ScreenResume handler
per class of the MRO, this one before Screen's, which reads ``refresh_styles``.
"""

from __future__ import annotations

from textual import events


class FreshOnFirstResume:
    _first_frame_pending: bool | None = None  # None: never resumed

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._first_frame_pending is None:
            self._first_frame_pending = True
            self.call_after_refresh(self._first_frame_shown)
        if self._first_frame_pending:
            event.refresh_styles = False  # styled a moment ago, as it mounted

    def _first_frame_shown(self) -> None:
        self._first_frame_pending = False
