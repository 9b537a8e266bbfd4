"""The vocabulary of the desk, one name for one thing across every layer."""

from __future__ import annotations

from enum import StrEnum


class TicketType(StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"
    PROBLEM = "problem"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.PENDING})


class PendingReason(StrEnum):
    AWAITING_REQUESTER = "awaiting_requester"
    AWAITING_VENDOR = "awaiting_vendor"
    AWAITING_CHANGE = "awaiting_change"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    PORTAL = "portal"
    MONITORING = "monitoring"
    WALK_IN = "walk_in"


class Level(StrEnum):
    """Impact and urgency share the same three levels."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Role(StrEnum):
    ANALYST = "analyst"
    LEAD = "lead"
    ADMIN = "admin"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"


class ResolutionCode(StrEnum):
    SOLVED = "solved"
    WORKAROUND = "workaround"
    NOT_REPRODUCIBLE = "not_reproducible"
    DUPLICATE = "duplicate"
    USER_ERROR = "user_error"
    NO_RESPONSE = "no_response"
    FULFILLED = "fulfilled"


class EventKind(StrEnum):
    CREATED = "created"
    STATUS = "status"
    ASSIGNED = "assigned"
    GROUP = "group"
    PRIORITY = "priority"
    COMMENT = "comment"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    FIRST_RESPONSE = "first_response"
    SLA_BREACH = "sla_breach"
    FIELD = "field"
    IMPORTED = "imported"
    LINKED = "linked"


def allowed(enum: type[StrEnum]) -> str:
    """The allowed values of an enum, for error messages."""
    return ", ".join(member.value for member in enum)


def parse_enum(enum: type[StrEnum], value: str, field: str):
    """Look a value up in an enum or raise a ValueError naming the field and choices."""
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    for member in enum:
        if member.value == key:
            return member
    raise ValueError(f"{field}: {value!r} is not one of {allowed(enum)}")
