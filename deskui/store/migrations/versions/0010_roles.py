"""roles: who acted for whom (issue 12)

On PostgreSQL an admin may act for another analyst (``--as``); every event then
records the admin login beside the analyst: ``acting_admin`` on ticket and
problem events. Plain ADD COLUMN (no table rebuild): the append-only triggers of
0008 stay in place. The viewer role needs no schema (``analysts.role`` is text).

Revision ID: 0010_roles
Revises: 0009_drafts
Create Date: 2026-12-03
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_roles"
down_revision = "0009_drafts"
branch_labels = None
depends_on = None

TABLES = ("ticket_events", "problem_events")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("acting_admin", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "acting_admin")
