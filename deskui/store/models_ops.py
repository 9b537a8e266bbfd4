"""Tables for operations (issue 7): problem timelines, automation rules and
their state, bulletins, and service requests (catalogue, approvals, checklist).

All datetimes are naive UTC. ``deskui.store.models`` imports this module at its
bottom so every table is in ``SQLModel.metadata`` (and so in Alembic's view).
Foreign keys name tables by string: this module imports nothing from models.py.
"""

from __future__ import annotations

from typing import Optional

from pydantic import NaiveDatetime
from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

# ------------------------------------------------------------------ problems

class ProblemEvent(SQLModel, table=True):
    """A problem's timeline: created, field and status changes, links, resolution."""

    __tablename__ = "problem_events"
    __table_args__ = (Index("ix_problem_events_problem_id", "problem_id", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    problem_id: int = Field(foreign_key="problems.id")
    at: NaiveDatetime
    actor: str = Field(default="system", max_length=80)
    kind: str = Field(max_length=24)
    field: str = Field(default="", max_length=40)
    old: str = Field(default="", max_length=300)
    new: str = Field(default="", max_length=300)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    ticket_id: Optional[int] = Field(default=None, foreign_key="tickets.id")
    acting_admin: Optional[str] = Field(default=None, max_length=64)  # PostgreSQL --as: the admin login


# ------------------------------------------------------------------ automation

class AutomationRule(SQLModel, table=True):
    """One rule seeded from TOML (`deskui seed rules FILE`); ``config`` is its JSON options."""

    __tablename__ = "automation_rules"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=40)
    kind: str = Field(max_length=24)
    enabled: bool = Field(default=True)
    position: int = Field(default=0)
    config: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: NaiveDatetime


class RuleCursor(SQLModel, table=True):
    """Round-robin position of an assignment rule within one group. The row is also
    the lock that serialises concurrent assignment decisions for that group."""

    __tablename__ = "rule_cursors"
    rule_name: str = Field(primary_key=True, max_length=40)
    group_id: int = Field(primary_key=True, foreign_key="groups.id")
    last_analyst_id: Optional[int] = Field(default=None, foreign_key="analysts.id")
    updated_at: NaiveDatetime


class RuleFiring(SQLModel, table=True):
    """A rule fired on a ticket for a trigger ("at_risk:resolution"): at most once, even
    when two sweeps run at the same time (the primary key decides)."""

    __tablename__ = "rule_firings"
    rule_name: str = Field(primary_key=True, max_length=40)
    ticket_id: int = Field(primary_key=True, foreign_key="tickets.id", index=True)
    trigger: str = Field(primary_key=True, max_length=24)
    at: NaiveDatetime


class Notification(SQLModel, table=True):
    """Outbox of notifications rules send (a mailer or chat bridge drains it)."""

    __tablename__ = "notifications"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(index=True)
    rule_name: str = Field(default="", max_length=40)
    ticket_id: Optional[int] = Field(default=None, foreign_key="tickets.id")
    group_id: Optional[int] = Field(default=None, foreign_key="groups.id")
    recipient: str = Field(default="", max_length=200)
    message: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sent_at: Optional[NaiveDatetime] = None


# ------------------------------------------------------------------ bulletins

class Bulletin(SQLModel, table=True):
    """A known issue or planned change shown to every analyst until ``ends_at``."""

    __tablename__ = "bulletins"
    __table_args__ = (Index("ix_bulletins_ends_at", "ends_at"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    kind: str = Field(default="known_issue", max_length=16)
    severity: str = Field(default="minor", max_length=10)
    starts_at: NaiveDatetime
    ends_at: NaiveDatetime
    created_at: NaiveDatetime
    created_by: str = Field(default="", max_length=64)
    # Bumped on every change: the banner's cheap "anything new?" question is max(updated_at).
    updated_at: NaiveDatetime
    ended_by: str = Field(default="", max_length=64)


class BulletinLink(SQLModel, table=True):
    __tablename__ = "bulletin_links"
    bulletin_id: int = Field(foreign_key="bulletins.id", primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True, index=True)
    linked_at: NaiveDatetime
    linked_by: str = Field(default="", max_length=64)


# ------------------------------------------------------------------ service requests

class CatalogItem(SQLModel, table=True):
    """A request item of the service catalogue (seeded from TOML).

    ``fields``: JSON list of {"name", "label", "required", "choices"};
    ``approvers``: JSON list of analyst usernames (empty: no approval needed);
    ``checklist``: JSON list of fulfilment steps.
    """

    __tablename__ = "catalog_items"
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    category_id: Optional[int] = Field(default=None, foreign_key="categories.id")
    group_id: Optional[int] = Field(default=None, foreign_key="groups.id")
    impact: str = Field(default="low", max_length=8)
    urgency: str = Field(default="medium", max_length=8)
    approval_mode: str = Field(default="any", max_length=8)
    approvers: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    fields: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    checklist: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    active: bool = Field(default=True)
    updated_at: NaiveDatetime


class RequestDetail(SQLModel, table=True):
    """The catalogue side of a ticket of type ``request``."""

    __tablename__ = "request_details"
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    item_id: int = Field(foreign_key="catalog_items.id", index=True)
    answers: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    # not_required | pending | approved | rejected
    approval: str = Field(default="pending", max_length=16, index=True)
    decided_at: Optional[NaiveDatetime] = None
    decided_by: str = Field(default="", max_length=64)


class RequestApproval(SQLModel, table=True):
    __tablename__ = "request_approvals"
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    approver_id: int = Field(foreign_key="analysts.id", primary_key=True, index=True)
    decision: str = Field(default="pending", max_length=12)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decided_at: Optional[NaiveDatetime] = None


class ChecklistItem(SQLModel, table=True):
    __tablename__ = "request_checklist"
    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True)
    position: int = Field(primary_key=True)
    text: str = Field(max_length=300)
    done: bool = Field(default=False)
    done_by: str = Field(default="", max_length=64)
    done_at: Optional[NaiveDatetime] = None


# ------------------------------------------------------------------ routing model

class RoutingModel(SQLModel, table=True):
    """The trained routing classifier for one label (``group`` or ``category``), as
    numeric arrays only (``arrays``: numpy ``.npy`` records written and read with
    ``allow_pickle=False``; see deskui.store.routing_model). Replaced by each training."""

    __tablename__ = "routing_models"
    target: str = Field(primary_key=True, max_length=16)
    trained_at: NaiveDatetime
    trained_on: int = Field(default=0)  # resolved tickets learnt from
    labels: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of label ids, the columns of coef
    arrays: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    temperature: float = Field(default=1.0)
    min_confidence: float = Field(default=0.0)
    figures: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
