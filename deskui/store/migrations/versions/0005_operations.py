"""operations: problem timeline, automation rules and state, bulletins, service requests

Tables of deskui.store.models_ops (issue 7). Problems and tickets.problem_id
already exist (0001).

Revision ID: 0005_operations
Revises: 0002_fulltext
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005_operations'
down_revision = '0002_fulltext'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('automation_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('bulletins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('ended_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.create_index('ix_bulletins_ends_at', ['ends_at'], unique=False)

    op.create_table('rule_cursors',
    sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('last_analyst_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ),
    sa.ForeignKeyConstraint(['last_analyst_id'], ['analysts.id'], ),
    sa.PrimaryKeyConstraint('rule_name', 'group_id')
    )
    op.create_table('catalog_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('impact', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('urgency', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('approval_mode', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('approvers', sa.Text(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('bulletin_links',
    sa.Column('bulletin_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.Column('linked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['bulletin_id'], ['bulletins.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('bulletin_id', 'ticket_id')
    )
    with op.batch_alter_table('bulletin_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_links_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_at'), ['at'], unique=False)

    op.create_table('problem_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('old', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('new', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['problem_id'], ['problems.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('problem_events', schema=None) as batch_op:
        batch_op.create_index('ix_problem_events_problem_id', ['problem_id', 'id'], unique=False)

    op.create_table('request_approvals',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['approver_id'], ['analysts.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('ticket_id', 'approver_id')
    )
    with op.batch_alter_table('request_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_approvals_approver_id'), ['approver_id'], unique=False)

    op.create_table('request_checklist',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('ticket_id', 'position')
    )
    op.create_table('request_details',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('approval', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalog_items.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('ticket_id')
    )
    with op.batch_alter_table('request_details', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_details_approval'), ['approval'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_details_item_id'), ['item_id'], unique=False)

    op.create_table('rule_firings',
    sa.Column('rule_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('rule_name', 'ticket_id', 'trigger')
    )
    with op.batch_alter_table('rule_firings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_firings_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rule_firings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_firings_ticket_id'))

    op.drop_table('rule_firings')
    with op.batch_alter_table('request_details', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_details_item_id'))
        batch_op.drop_index(batch_op.f('ix_request_details_approval'))

    op.drop_table('request_details')
    op.drop_table('request_checklist')
    with op.batch_alter_table('request_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_approvals_approver_id'))

    op.drop_table('request_approvals')
    with op.batch_alter_table('problem_events', schema=None) as batch_op:
        batch_op.drop_index('ix_problem_events_problem_id')

    op.drop_table('problem_events')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_at'))

    op.drop_table('notifications')
    with op.batch_alter_table('bulletin_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_links_ticket_id'))

    op.drop_table('bulletin_links')
    op.drop_table('catalog_items')
    op.drop_table('rule_cursors')
    with op.batch_alter_table('bulletins', schema=None) as batch_op:
        batch_op.drop_index('ix_bulletins_ends_at')

    op.drop_table('bulletins')
    op.drop_table('automation_rules')
