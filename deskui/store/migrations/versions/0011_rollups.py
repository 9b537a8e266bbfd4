"""rollups: per-ticket durations and the indexes that make a year's report cost what it shows

Issue 17.1. Each ticket gets two generated columns, ``resolution_seconds`` and
``first_response_seconds`` (created -> resolved, created -> first response, whole
seconds), computed by the database from the row's own times: virtual on SQLite, stored
on PostgreSQL. No writer sets them, so every path that changes tickets (services,
imports, ``deskui generate``) keeps them current in the same statement, and existing
rows have them at once (the backfill is the column definition).

The metrics' covering indexes now hold the durations and ``status`` (cancelled
tickets are left out of some figures), and two indexes order the durations, so an exact
median or p90 reads its two ranks with a short ordered index scan (deskui.store.metrics).
``ix_tickets_created`` and ``ix_tickets_resolved`` are dropped: the covering indexes
start with the same column, so writes keep the same number of indexes to maintain.

Revision ID: 0011_rollups
Revises: 0010_roles
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

from deskui.store.epoch import seconds_between


revision = "0011_rollups"
down_revision = "0010_roles"
branch_labels = None
depends_on = None

DIMENSIONS = ["priority", "type", "category_id", "group_id", "assignee_id", "channel"]
OLD = {  # as 0003_metrics_indexes made them
    "ix_tickets_metrics_resolved": [
        "resolved_at", "created_at", "type", "priority", "tier", "assignee_id", "first_assignee_id",
        "escalation_count", "reassignment_count", "reopen_count", "ci", "requester_id", "category_id", "group_id",
        "channel",
    ],
    "ix_tickets_metrics_first_response": ["first_response_at", "created_at", *DIMENSIONS],
    "ix_tickets_metrics_response_due": ["response_due_at", "response_state", *DIMENSIONS],
    "ix_tickets_metrics_resolution_due": ["resolution_due_at", "resolution_state", "external_made_sla", *DIMENSIONS],
    "ix_tickets_metrics_created": ["created_at", *DIMENSIONS],
    "ix_tickets_recurrence_ci": ["ci", "type", "created_at"],
    "ix_tickets_recurrence_requester": ["requester_id", "category_id", "ci", "type", "created_at"],
    "ix_tickets_created": ["created_at"],
    "ix_tickets_resolved": ["resolved_at"],
}
NEW = {
    "ix_tickets_metrics_resolved": [*OLD["ix_tickets_metrics_resolved"], "resolution_time_unknown",
                                    "resolution_seconds"],
    "ix_tickets_metrics_first_response": ["first_response_at", "created_at", "first_response_seconds", "status",
                                          *DIMENSIONS],
    "ix_tickets_metrics_response_due": ["response_due_at", "response_state", "status", *DIMENSIONS],
    "ix_tickets_metrics_resolution_due": ["resolution_due_at", "resolution_state", "external_made_sla", "status",
                                          *DIMENSIONS],
    "ix_tickets_metrics_created": ["created_at", "status", *DIMENSIONS],
    "ix_tickets_recurrence_ci": ["ci", "type", "created_at", "status"],
    "ix_tickets_recurrence_requester": ["requester_id", "category_id", "ci", "type", "created_at", "status"],
    "ix_tickets_resolution_seconds": ["resolution_seconds", "resolved_at", "resolution_time_unknown", *DIMENSIONS],
    "ix_tickets_first_response_seconds": ["first_response_seconds", "first_response_at", "status", *DIMENSIONS],
}
COLUMNS = {"resolution_seconds": ("created_at", "resolved_at"),
           "first_response_seconds": ("created_at", "first_response_at")}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in OLD:
        op.drop_index(name, table_name="tickets")
    for name, (start, end) in COLUMNS.items():
        # A plain ADD COLUMN (a batch operation could rebuild the table and drop the
        # full-text triggers); SQLite can add only a virtual generated column.
        op.add_column("tickets", sa.Column(name, sa.BigInteger(), sa.Computed(
            seconds_between(start, end, dialect), persisted=dialect == "postgresql"), nullable=True))
    for name, columns in NEW.items():
        op.create_index(name, "tickets", columns, unique=False)


def downgrade() -> None:
    for name in NEW:
        op.drop_index(name, table_name="tickets")
    for name in COLUMNS:
        op.drop_column("tickets", name)  # SQLite 3.35+ drops a generated column in place
    for name, columns in OLD.items():
        op.create_index(name, "tickets", columns, unique=False)
