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
    """Least to most: each role may do what the roles before it may (domain/permissions.py)."""

    VIEWER = "viewer"
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
    """Every kind of ticket event any writer stores (services, importers, generator).
    The stored values are these strings; ``deskui.domain.history`` plans them."""

    CREATED = "created"
    STATUS = "status"                  # field "status": old -> new (pending: the reason in detail)
    ASSIGNED = "assigned"              # field "assignee": old -> new username ("" = nobody)
    GROUP = "group"                    # field "group": old -> new group name
    PRIORITY = "priority"              # field "priority": P<old> -> P<new>, the reason in detail
    COMMENT = "comment"                # field = visibility; comment_id, the body's start in detail
    ESCALATED = "escalated"            # field "tier": old -> new, the reason in detail
    RESOLVED = "resolved"              # field "status" -> resolved, "code: notes" in detail
    REOPENED = "reopened"              # field "status" -> open, the reason in detail
    CLOSED = "closed"                  # field "status": resolved -> closed
    FIRST_RESPONSE = "first_response"  # the response clock stopped (detail: which comment)
    SLA_BREACH = "sla_breach"          # field = target (response/resolution), written once
    FIELD = "field"                    # any other field (imports, surveys, alert states)
    IMPORTED = "imported"              # field "source_version": a source row applied
    LINKED = "linked"                  # field "problem" / "bulletin" / "article" / "follows"
    RULE = "rule"                      # an automation rule fired: why (detail); its actions follow
    NOTIFIED = "notified"              # a rule notified a group (field "group")
    APPROVAL = "approval"              # field "approval" (requested/approved/rejected) or "approver"
    CHECKLIST = "checklist"            # field "step N": a fulfilment step ticked or unticked


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
