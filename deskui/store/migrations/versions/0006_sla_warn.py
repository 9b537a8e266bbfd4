"""sla warn times: when each running target turns at risk

The live SLA state (deskui.domain.sla_state) follows from the stored state, the
due time and this warning time, so a ticket turns at risk in the queue, the
``sla:`` filter and the counts without waiting for a sweep. Existing tickets get
their warning times from the next refresh (any change, or the SLA sweep).

Revision ID: 0006_sla_warn
Revises: 0003_metrics_indexes
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_sla_warn"
down_revision = "0003_metrics_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("response_warn_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolution_warn_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("resolution_warn_at")
        batch.drop_column("response_warn_at")
