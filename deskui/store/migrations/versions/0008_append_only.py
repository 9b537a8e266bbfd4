"""append-only audit trail: ticket events, comments, problem events and surveys

What happened to a ticket is never rewritten: these rows cannot be updated or
deleted, on SQLite (triggers) and on PostgreSQL (a trigger function). A
correction is a new row. (PostgreSQL's TRUNCATE, an administrator's tool, is
not a row change and is left to privileges.)

Revision ID: 0008_append_only
Revises: 0007_resolution_time_unknown
Create Date: 2026-12-03
"""
from alembic import op


revision = "0008_append_only"
down_revision = "0007_resolution_time_unknown"
branch_labels = None
depends_on = None

TABLES = ("ticket_events", "comments", "problem_events", "surveys")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION deskui_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$
        """)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION deskui_append_only()")
        return
    for table in TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a correction is a new row'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS deskui_append_only()")
        return
    for table in TABLES:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
