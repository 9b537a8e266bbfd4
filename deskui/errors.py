"""Errors a user can cause and fix. The CLI prints them as one line and exits 1;
a :class:`UsageError` (the command line itself is wrong) as a usage error, exit 2."""

from __future__ import annotations


class DeskError(Exception):
    """Base for every error deskui reports to a user without a traceback."""


class NotFound(DeskError):
    pass


class ValidationError(DeskError):
    pass


class UsageError(ValidationError):
    """A value an option or argument of the command line does not take (``--by
    colour``, ``--since 2026-13-01``): the CLI shows the command's usage line and
    exits 2, as for an unknown option. ``option`` names it ("--by", "SCORE")."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option
        self.detail = message

    @classmethod
    def from_message(cls, message: str) -> "UsageError":
        """From "--since: 'x' is not a date" (or "--until (...) must be ..."): the option leads."""
        option, _, rest = message.partition(" ")
        return cls(option.rstrip(":"), rest)


class DatabaseOpenError(DeskError):
    pass


class SchemaError(DeskError):
    pass


class DatabaseBusy(DeskError):
    """Another process held the database's write lock for longer than deskui waits.
    Nothing was written; the same request may work a moment later."""


class ConflictError(DeskError):
    """Someone else changed the ticket first. Carries the fresh ticket."""

    def __init__(self, message: str, fresh=None, changed_by: str = "", changes: list[str] | None = None):
        super().__init__(message)
        self.fresh = fresh
        self.changed_by = changed_by
        self.changes = changes or []


class PermissionDenied(DeskError):
    """The actor's role may not do this (deskui/domain/permissions.py). Nothing was written.
    The message is the one line: ``permission denied: alice is an analyst; seeding groups needs admin``."""
