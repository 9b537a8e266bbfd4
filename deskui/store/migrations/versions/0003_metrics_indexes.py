"""metrics indexes: covering indexes for the report's period scans and the recurrence lookups

Every metric scans one time column over a period (created, first response,
resolved, a due time) and reads a handful of columns; with them all in the index
the scan never visits the (wide) ticket rows. The breakdown dimensions (priority,
type, category, group, assignee, channel) are included so ``--by`` is covered too.
The recurrence lookups find "the next incident with the same CI (or requester and
category) created after this resolution" with one index seek each.

Revision ID: 0003_metrics_indexes
Revises: 0005_operations
Create Date: 2026-11-23
"""
from alembic import op


revision = "0003_metrics_indexes"
down_revision = "0005_operations"
branch_labels = None
depends_on = None

DIMENSIONS = ["priority", "type", "category_id", "group_id", "assignee_id", "channel"]

INDEXES = {
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
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns, unique=False)


def downgrade() -> None:
    for name in reversed(list(INDEXES)):
        op.drop_index(name, table_name="tickets")
