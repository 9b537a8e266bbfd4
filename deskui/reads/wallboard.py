"""The wallboard as the team's screen reads it: live counts by group and
analyst and the oldest breaches (deskui.store.wallboard), asked for again only
when something changed (the newest event id) or the board is getting old."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from deskui.store import metrics as m
from deskui.store.db import session_scope
from deskui.store.wallboard import AnalystLoad, Breach, GroupLoad, Wallboard, change_marker, wallboard

__all__ = ["AnalystLoad", "Breach", "GroupLoad", "Wallboard", "board_if_changed"]


def board_if_changed(engine: Engine, *, now: datetime, marker: int | None, timezone: str | None,
                     force: bool = False, breaches: int = 10) -> tuple[Wallboard | None, str]:
    """(the board, the desk's time zone); the board is None when nothing changed
    since ``marker`` (and not ``force``). ``timezone`` None: read it too;
    ``breaches``: how many of the oldest breaches the screen has room for."""
    with session_scope(engine) as session:
        tz = timezone or m.desk_timezone(session)
        if not force and marker is not None and change_marker(session) == marker:
            return None, tz
        return wallboard(session, now=now, breaches=breaches), tz
