"""resolution time unknown: an imported ticket resolved without a resolution time

An import whose source gives neither a resolved time nor a row where the ticket
turned resolved no longer invents one from the close time: the ticket is
resolved, flagged, and left out of every duration (docs/metrics.md, issue 16.1).
Existing tickets keep their times (false).

Revision ID: 0007_resolution_time_unknown
Revises: 0006_sla_warn
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_resolution_time_unknown"
down_revision = "0006_sla_warn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite supports NOT NULL with a default): a batch operation
    # could rebuild the table and drop the full-text triggers defined on it.
    op.add_column("tickets", sa.Column("resolution_time_unknown", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("resolution_time_unknown")
