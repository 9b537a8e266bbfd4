"""One line for a failed read or write, whatever raised it.

The TUI shows it as a notice and keeps running; it must not need to know which
database driver is underneath, so the driver's errors are named here.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from deskui.errors import DeskError


def one_line(exc: BaseException) -> str:
    """What went wrong, on one line, for a person (never a traceback)."""
    if isinstance(exc, DeskError):
        return _first_line(str(exc)) or type(exc).__name__
    if isinstance(exc, OperationalError):
        text = str(exc.orig) if exc.orig is not None else str(exc)
        if "locked" in text or "busy" in text:
            return "the database is busy (another process is writing); try again in a moment"
        return f"the database could not be read: {_first_line(text)}"
    if isinstance(exc, DBAPIError):
        return f"the database refused the request: {_first_line(str(exc.orig or exc))}"
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {_first_line(str(exc))}"
    return f"{type(exc).__name__}: {_first_line(str(exc))}" if str(exc) else type(exc).__name__


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""
