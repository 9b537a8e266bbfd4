"""routing model: the trained routing classifier, stored as numeric arrays (issue 16.2)

Revision ID: 0012_routing_model
Revises: 0009_drafts
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0012_routing_model"
down_revision = "0009_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_models",
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trained_at", sa.DateTime(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )


def downgrade() -> None:
    op.drop_table("routing_models")
