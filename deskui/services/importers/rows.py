"""The importers' rows: one parsed source row, what a row lacks, a row the writer refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from deskui.services.importers.common import RowError


@dataclass(slots=True)
class SourceRow:
    """One row of a source, parsed and sanitised. ``None`` means the source does not
    have the column (keep what the ticket has); ``""`` means the cell is empty."""

    line: int
    cells: Sequence[str]
    columns: Mapping[str, int]  # field -> 1-based column, for error messages
    external_ref: str
    created_at: datetime
    version: str = ""
    updated_at: datetime | None = None
    subject: str | None = None
    default_subject: str = ""  # the subject of a new ticket when the source has none
    description: str | None = None
    type: str | None = None
    status: str | None = None
    pending_reason: str = ""
    impact: str | None = None
    urgency: str | None = None
    priority: int | None = None
    priority_source: str = ""
    channel: str | None = None
    requester_email: str | None = None
    requester_name: str = ""
    location: str = ""
    group: str | None = None
    assignee: str | None = None
    category: str | None = None
    ci: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    first_response_at: datetime | None = None
    resolution_code: str | None = None
    resolution_notes: str | None = None
    made_sla: bool | None = None
    reopen_count: int | None = None
    reassignment_count: int | None = None
    note: str = ""

    def error(self, field_name: str, message: str, reason: str) -> RowError:
        return RowError(message, field=field_name, column=self.columns.get(field_name, 0), reason=reason)


class BadRow(Exception):
    """A row the writer could not take; carries the row for its line number."""

    def __init__(self, row: SourceRow, error: RowError):
        super().__init__(error.message)
        self.row = row
        self.error = error


@dataclass(frozen=True)
class RowDefaults:
    type: str = "incident"
    channel: str = "portal"
    resolution_code: str = "solved"
    impact: str = "medium"
    urgency: str = "medium"
