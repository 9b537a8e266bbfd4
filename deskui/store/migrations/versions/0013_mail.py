"""mail: the outbox of notifications to requesters, bounced requester addresses (issue 13)

Revision ID: 0013_mail
Revises: 0012_routing_model
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0013_mail"
down_revision = "0012_routing_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("to_address", text(length=200), nullable=False),
        sa.Column("subject", text(length=400), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", text(length=300), nullable=False),
        sa.Column("in_reply_to", text(length=300), nullable=False),
        sa.Column("thread_refs", sa.Text(), nullable=False),
        sa.Column("state", text(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", text(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_outbox_ticket_id", "outbox", ["ticket_id"])
    op.create_index("ix_outbox_state_next", "outbox", ["state", "next_attempt_at"])
    # Plain ADD COLUMNs (SQLite supports NOT NULL with a default).
    op.add_column("requesters", sa.Column("mail_bounced_at", sa.DateTime(), nullable=True))
    op.add_column("requesters", sa.Column("mail_bounce", text(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("requesters") as batch:
        batch.drop_column("mail_bounce")
        batch.drop_column("mail_bounced_at")
    op.drop_index("ix_outbox_state_next", table_name="outbox")
    op.drop_index("ix_outbox_ticket_id", table_name="outbox")
    op.drop_table("outbox")
