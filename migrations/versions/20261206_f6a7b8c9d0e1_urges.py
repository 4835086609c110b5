"""urges (催办) of the supervising office

One row per urged assignment: the message, who urged and when; the urges of one unit's
overdue assignments made at once share a batch_id (one 督办函 lists them all).

Revision ID: f6a7b8c9d0e1
Revises: e5f6a7b8c9d0
Create Date: 2026-12-06 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'f6a7b8c9d0e1'
down_revision = 'e5f6a7b8c9d0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'urges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('urged_by_id', sa.Integer(), nullable=False),
        sa.Column('urged_at', sa.DateTime(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE',
                                name=op.f('fk_urges_assignment_id_assignments')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_urges_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_urges_unit_id_units')),
        sa.ForeignKeyConstraint(['urged_by_id'], ['users.id'],
                                name=op.f('fk_urges_urged_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_urges')),
    )
    op.create_index(op.f('ix_urges_assignment_id'), 'urges', ['assignment_id'])
    op.create_index(op.f('ix_urges_batch_id'), 'urges', ['batch_id'])
    op.create_index('ix_urges_unit_id_proposal_id', 'urges', ['unit_id', 'proposal_id'])


def downgrade():
    op.drop_index('ix_urges_unit_id_proposal_id', table_name='urges')
    op.drop_index(op.f('ix_urges_batch_id'), table_name='urges')
    op.drop_index(op.f('ix_urges_assignment_id'), table_name='urges')
    op.drop_table('urges')
