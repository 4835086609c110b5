"""print batches: the 征询意见表 of a meeting's authors still to answer, made by a job

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-12-06 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7b8c9d0e1f2'
down_revision = 'f6a7b8c9d0e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'print_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('forms', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(100), nullable=True),
        sa.Column('error', sa.String(500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                           name=op.f('ck_print_batches_status_known')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_print_batches_requested_by_id_users')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE',
                                name=op.f('fk_print_batches_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ondelete='CASCADE',
                                name=op.f('fk_print_batches_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_print_batches')),
    )
    op.create_index(op.f('ix_print_batches_requested_by_id'), 'print_batches',
                    ['requested_by_id'])


def downgrade():
    op.drop_index(op.f('ix_print_batches_requested_by_id'), table_name='print_batches')
    op.drop_table('print_batches')
