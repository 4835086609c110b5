"""similar items kept per item (similar_lists, similar_links)

Derived data, stored by a job (tracker.similar.stored); an existing installation fills it
with `flask similar fill` (until then its pages rank each item's list themselves).

Revision ID: b4c5d6e7f8a9
Revises: a3b4c5d6e7f8
Create Date: 2026-12-09 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'b4c5d6e7f8a9'
down_revision = 'a3b4c5d6e7f8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'similar_lists',
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('text_key', sa.String(length=64), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_similar_lists_proposal_id_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_similar_lists')),
    )
    op.create_table(
        'similar_links',
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_similar_links_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['other_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_similar_links_other_id_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', 'other_id', name=op.f('pk_similar_links')),
    )
    op.create_index(op.f('ix_similar_links_other_id'), 'similar_links', ['other_id'])


def downgrade():
    op.drop_index(op.f('ix_similar_links_other_id'), table_name='similar_links')
    op.drop_table('similar_links')
    op.drop_table('similar_lists')
