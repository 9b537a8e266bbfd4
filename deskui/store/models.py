"""SQLModel tables. All datetimes are naive UTC.

A ticket's ``id`` is its human-facing number (shown as ``#123``): the database
allocates it, so it is unique and increasing under concurrent creation.
"""

from __future__ import annotations

from pydantic import NaiveDatetime
from typing import Optional

from sqlalchemy import BigInteger, Column, Computed, Index, Text, UniqueConstraint, literal_column
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


class Group(SQLModel, table=True):
    __tablename__ = "groups"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=80)
    tier: int = Field(default=1, ge=1, le=3)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    email: str = Field(default="", max_length=200)


class Analyst(SQLModel, table=True):
    __tablename__ = "analysts"
    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(max_length=120)
    email: str = Field(default="", max_length=200)
    role: str = Field(default="analyst", max_length=16)
    tier: int = Field(default=1, ge=1, le=3)
    away: bool = Field(default=False)
    active: bool = Field(default=True)


class GroupMember(SQLModel, table=True):
    __tablename__ = "group_members"
    group_id: int = Field(foreign_key="groups.id", primary_key=True)
    analyst_id: int = Field(foreign_key="analysts.id", primary_key=True, index=True)


class Requester(SQLModel, table=True):
    __tablename__ = "requesters"
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=200)
    name: str = Field(max_length=120)
    department: str = Field(default="", max_length=120)
    location: str = Field(default="", max_length=120)
    vip: bool = Field(default=False)
    # Mail to this address bounced for good (a delivery report about a mail deskui sent):
    # no more mail goes to it, and the ticket screen says so (issue 13.5).
    mail_bounced_at: Optional[NaiveDatetime] = None
    mail_bounce: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})


class Calendar(SQLModel, table=True):
    __tablename__ = "calendars"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=80)
    timezone: str = Field(default="UTC", max_length=64)
    # {"mon": [["08:00", "18:00"]], ..., "sun": []}; "24:00" closes at midnight.
    weekly_hours: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # JSON list of ISO dates that are closed all day.
    holidays: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    holiday_country: str = Field(default="", max_length=8)


class Category(SQLModel, table=True):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_category_parent_name"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    parent_id: Optional[int] = Field(default=None, foreign_key="categories.id", index=True)
    # "Network/VPN": the unique, human-facing key.
    path: str = Field(index=True, unique=True, max_length=170)
    group_id: Optional[int] = Field(default=None, foreign_key="groups.id")


class SlaPolicy(SQLModel, table=True):
    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("priority", "ticket_type", name="uq_sla_priority_type"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    priority: int = Field(ge=1, le=4)
    # "" applies to every type; a type-specific policy wins over it.
    ticket_type: str = Field(default="", max_length=16)
    response_minutes: int
    resolution_minutes: int
    warn_share: float = Field(default=0.75)
    calendar_id: int = Field(foreign_key="calendars.id")


class Problem(SQLModel, table=True):
    __tablename__ = "problems"
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    status: str = Field(default="new", max_length=20, index=True)
    root_cause: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    workaround: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    permanent_fix: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: NaiveDatetime
    updated_at: NaiveDatetime
    resolved_at: Optional[NaiveDatetime] = None
    owner_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    version: int = Field(default=1)


_METRIC_DIMENSIONS = ("priority", "type", "category_id", "group_id", "assignee_id", "channel")


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        # Queue sorts (DESIGN.md §4): every sort the queue offers has an index.
        Index("ix_tickets_status_resdue", "status", "resolution_due_at"),
        Index("ix_tickets_status_priority_resdue", "status", "priority", "resolution_due_at"),
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_assignee_status_updated", "assignee_id", "status", "updated_at"),
        Index("ix_tickets_group_status", "group_id", "status"),
        Index("ix_tickets_ci", "ci"),
        Index("ix_tickets_requester_category", "requester_id", "category_id"),
        # Metrics: covering indexes over the durations are defined below the class (they
        # name the generated duration columns, migration 0011_rollups); the recurrence seeks:
        Index("ix_tickets_recurrence_ci", "ci", "type", "created_at", "status"),
        Index("ix_tickets_recurrence_requester", "requester_id", "category_id", "ci", "type", "created_at", "status"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    type: str = Field(default="incident", max_length=16)
    subject: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requester_id: Optional[int] = Field(default=None, foreign_key="requesters.id")
    channel: str = Field(default="portal", max_length=16)
    category_id: Optional[int] = Field(default=None, foreign_key="categories.id")
    impact: str = Field(default="medium", max_length=8)
    urgency: str = Field(default="medium", max_length=8)
    priority: int = Field(default=3)
    priority_reason: str = Field(default="", max_length=300)
    status: str = Field(default="new", max_length=16)
    pending_reason: str = Field(default="", max_length=32)
    group_id: Optional[int] = Field(default=None, foreign_key="groups.id")
    assignee_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    first_assignee_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    tier: int = Field(default=1)
    ci: str = Field(default="", max_length=200)
    problem_id: Optional[int] = Field(default=None, foreign_key="problems.id", index=True)
    created_at: NaiveDatetime
    updated_at: NaiveDatetime
    first_response_at: Optional[NaiveDatetime] = None
    resolved_at: Optional[NaiveDatetime] = None
    closed_at: Optional[NaiveDatetime] = None
    resolution_code: str = Field(default="", max_length=32)
    resolution_notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    external_ref: Optional[str] = Field(default=None, max_length=120, unique=True)
    # SLA cache, recomputed from events by services and the sweep (DESIGN.md §2).
    sla_policy_id: Optional[int] = Field(default=None, foreign_key="sla_policies.id")
    response_due_at: Optional[NaiveDatetime] = None
    resolution_due_at: Optional[NaiveDatetime] = None
    # When each running target turns at risk (deskui.domain.sla_state decides the live state).
    response_warn_at: Optional[NaiveDatetime] = None
    resolution_warn_at: Optional[NaiveDatetime] = None
    response_state: str = Field(default="ok", max_length=10)
    resolution_state: str = Field(default="ok", max_length=10)
    sla_breach_recorded: bool = Field(default=False)
    # Resolved, but the source gave no resolution time: out of every duration (docs/metrics.md).
    resolution_time_unknown: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    # Counters kept for metrics (and carried over from imports).
    reopen_count: int = Field(default=0)
    reassignment_count: int = Field(default=0)
    escalation_count: int = Field(default=0)
    external_made_sla: Optional[bool] = None
    updated_by: str = Field(default="", max_length=64)
    version: int = Field(default=1)


class Comment(SQLModel, table=True):
    __tablename__ = "comments"
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    author_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    # For requester mail and imports, where the author is not an analyst.
    author_name: str = Field(default="", max_length=200)
    visibility: str = Field(default="public", max_length=10)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: NaiveDatetime
    message_id: Optional[str] = Field(default=None, max_length=300, unique=True)


# Durations in whole seconds, computed by the database from the row's own times (virtual
# on SQLite, stored on PostgreSQL; migration 0011_rollups), so a report reads them from an
# index instead of parsing two timestamps per ticket. Core columns, not ORM attributes:
# no writer sets them, and only the metrics queries read them.
def _duration(name: str, start: str, end: str) -> Column:
    from deskui.store.epoch import epoch

    return Column(name, BigInteger, Computed(epoch(literal_column(end)) - epoch(literal_column(start))),
                  nullable=True)


_tickets = Ticket.__table__
_tickets.append_column(_duration("resolution_seconds", "created_at", "resolved_at"))
_tickets.append_column(_duration("first_response_seconds", "created_at", "first_response_at"))
_t = _tickets.c
# The period scans of deskui.store.metrics: one time column and everything the figures and
# breakdowns read, so a scan never visits the (wide) ticket rows.
METRIC_INDEXES = {
    "ix_tickets_metrics_resolved": (
        "resolved_at", "created_at", "type", "priority", "tier", "assignee_id", "first_assignee_id",
        "escalation_count", "reassignment_count", "reopen_count", "ci", "requester_id", "category_id", "group_id",
        "channel", "resolution_time_unknown", "resolution_seconds"),
    "ix_tickets_metrics_first_response": ("first_response_at", "created_at", "first_response_seconds", "status",
                                          *_METRIC_DIMENSIONS),
    "ix_tickets_metrics_response_due": ("response_due_at", "response_state", "status", *_METRIC_DIMENSIONS),
    "ix_tickets_metrics_resolution_due": ("resolution_due_at", "resolution_state", "external_made_sla", "status",
                                          *_METRIC_DIMENSIONS),
    "ix_tickets_metrics_created": ("created_at", "status", *_METRIC_DIMENSIONS),
    # Ordered by the duration: exact percentiles read their ranks from here (store.metrics).
    "ix_tickets_resolution_seconds": ("resolution_seconds", "resolved_at", "resolution_time_unknown",
                                      *_METRIC_DIMENSIONS),
    "ix_tickets_first_response_seconds": ("first_response_seconds", "first_response_at", "status",
                                          *_METRIC_DIMENSIONS),
}
for _name, _columns in METRIC_INDEXES.items():
    Index(_name, *(_t[c] for c in _columns))


class TicketEvent(SQLModel, table=True):
    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_events_ticket_id", "ticket_id", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    at: NaiveDatetime
    actor_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    # "jdoe", "system", "rule:auto-close", "import:servicenow"...
    actor: str = Field(default="system", max_length=80)
    kind: str = Field(max_length=24, index=True)
    field: str = Field(default="", max_length=40)
    old: str = Field(default="", max_length=300)
    new: str = Field(default="", max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    comment_id: Optional[int] = Field(default=None, foreign_key="comments.id")
    # PostgreSQL --as: the admin login acting for ``actor`` (history: "root for alice").
    acting_admin: Optional[str] = Field(default=None, max_length=64)


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    id: Optional[int] = Field(default=None, primary_key=True)
    external_id: str = Field(index=True, unique=True, max_length=120)
    title: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    tags: str = Field(default="", max_length=500)
    category: str = Field(default="", max_length=170)
    status: str = Field(default="published", max_length=12)
    views: int = Field(default=0)
    helpful: int = Field(default=0)
    not_helpful: int = Field(default=0)
    created_at: NaiveDatetime
    updated_at: NaiveDatetime


class ArticleLink(SQLModel, table=True):
    __tablename__ = "article_links"
    article_id: int = Field(foreign_key="articles.id", primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True, index=True)
    linked_at: NaiveDatetime
    linked_by: str = Field(default="", max_length=64)


class Survey(SQLModel, table=True):
    __tablename__ = "surveys"
    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: NaiveDatetime = Field(index=True)


class CannedResponse(SQLModel, table=True):
    __tablename__ = "canned_responses"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=80)
    body: str = Field(sa_column=Column(Text, nullable=False))


class Draft(SQLModel, table=True):
    """An analyst's unsent work on a ticket (a reply, a resolution, ...), one per kind,
    kept until sent or discarded; ``body`` holds the dialog's fields as JSON."""

    __tablename__ = "drafts"
    analyst_id: int = Field(foreign_key="analysts.id", primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=16)
    body: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: NaiveDatetime


class AnalystToken(SQLModel, table=True):
    """An analyst's personal sign-in token for `deskui serve`, stored only as an scrypt
    hash with its salt (deskui.domain.tokens); one per analyst, revocable."""

    __tablename__ = "analyst_tokens"
    analyst_id: int = Field(foreign_key="analysts.id", primary_key=True)
    salt: str = Field(max_length=64)
    hash: str = Field(max_length=128)
    created_at: NaiveDatetime
    revoked_at: Optional[NaiveDatetime] = None


class Setting(SQLModel, table=True):
    """Desk-wide settings kept in the database (e.g. the priority matrix as JSON)."""

    __tablename__ = "settings"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


# Operations tables (issue 7: problems timeline, rules, bulletins, requests) live in
# their own module; importing it here registers them in SQLModel.metadata.
import deskui.store.models_ops  # noqa: E402,F401
import deskui.store.models_mail  # noqa: E402,F401
