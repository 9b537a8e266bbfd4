"""analyst_tokens: personal sign-in tokens for `deskui serve` (issue 14.1)

Only an scrypt hash and its salt are stored; revoking sets revoked_at.

Revision ID: 0014_tokens
Revises: 0013_mail
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0014_tokens"
down_revision = "0013_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyst_tokens",
        sa.Column("analyst_id", sa.Integer(), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["analyst_id"], ["analysts.id"]),
        sa.PrimaryKeyConstraint("analyst_id"),
    )


def downgrade() -> None:
    op.drop_table("analyst_tokens")
