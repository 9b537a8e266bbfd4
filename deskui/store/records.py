"""Frozen read models handed to the CLI and the TUI (never ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime


@dataclass(frozen=True)
class TicketRecord:
    id: int
    type: str
    subject: str
    description: str
    status: str
    pending_reason: str
    priority: int
    priority_reason: str
    impact: str
    urgency: str
    channel: str
    tier: int
    ci: str
    requester_id: int | None
    requester_name: str
    requester_email: str
    category_id: int | None
    category: str
    group_id: int | None
    group: str
    assignee_id: int | None
    assignee: str
    assignee_name: str
    problem_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution_code: str
    resolution_notes: str
    external_ref: str | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_state: str
    resolution_state: str
    reopen_count: int
    reassignment_count: int
    escalation_count: int
    external_made_sla: bool | None
    updated_by: str
    version: int

    @property
    def number(self) -> str:
        return f"#{self.id}"

    def changed_fields(self, other: "TicketRecord") -> list[tuple[str, object, object]]:
        """(field, mine, theirs) for every field that differs, version aside."""
        skip = {"version", "updated_at", "updated_by"}
        return [
            (f.name, getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if f.name not in skip and getattr(self, f.name) != getattr(other, f.name)
        ]


@dataclass(frozen=True)
class CommentRecord:
    id: int
    ticket_id: int
    author: str
    visibility: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class EventRecord:
    id: int
    ticket_id: int
    at: datetime
    actor: str
    kind: str
    field: str
    old: str
    new: str
    detail: str


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    ticket_id: int
    kind: str
    to_address: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str
    thread_refs: str
    state: str
    attempts: int
    next_attempt_at: datetime
    claimed_at: datetime | None
    sent_at: datetime | None
    last_error: str
    created_at: datetime
