"""drafts: an analyst's unsent replies, resolutions and other dialogs, per ticket

A draft kept with esc outlives the ticket screen and the app (issue 15.1): one
row per analyst, ticket and kind, deleted when it is sent or discarded.

Revision ID: 0009_drafts
Revises: 0008_append_only
Create Date: 2026-12-09
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0009_drafts"
down_revision = "0008_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("analyst_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["analyst_id"], ["analysts.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("analyst_id", "ticket_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("drafts")
