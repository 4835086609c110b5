"""notifications, deadline extensions, outbox message bodies

Revision ID: d7a1c2e3f4b5
Revises: 3ebf8f4a0d9e
Create Date: 2026-11-23 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd7a1c2e3f4b5'
down_revision = '3ebf8f4a0d9e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_notifications_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_notifications_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id_read_at', ['user_id', 'read_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_proposal_id'), ['proposal_id'], unique=False)

    # A table of its own rather than columns on assignments: adding foreign keys and checks
    # to assignments would make SQLite copy the table, and dropping the copied table
    # cascades into every row that refers to it.
    op.create_table('deadline_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('original_due_on', sa.Date(), nullable=False),
    sa.Column('original_basis', sa.String(length=300), nullable=False),
    sa.Column('requested_due_on', sa.Date(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')", name=op.f('ck_deadline_extensions_status_known')),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_deadline_extensions_has_reason')),
    sa.CheckConstraint('requested_due_on > original_due_on', name=op.f('ck_deadline_extensions_later_than_original')),
    sa.CheckConstraint("status = 'requested' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)", name=op.f('ck_deadline_extensions_decision_has_decider')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_deadline_extensions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_deadline_extensions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_deadline_extensions_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_extensions')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_deadline_extensions_assignment_id'))
    )

    # Plain ADD COLUMN (no table copy on SQLite).
    op.add_column('outbox', sa.Column('body', sa.Text(), nullable=False, server_default=''))


def downgrade():
    # The outbox has no rows referring to it, so SQLite may copy it safely.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('body')

    op.drop_table('deadline_extensions')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_proposal_id'))
        batch_op.drop_index('ix_notifications_user_id_read_at')

    op.drop_table('notifications')
