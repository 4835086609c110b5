"""并案: an item joined to a lead item (proposals.merged_into_id)

A member points to its lead; the lead is assigned and handled for the whole group, and at
issue every member gets its own assignment, letter, number and rating. The downgrade splits
every group that has not been issued (members without assignments go back to 已登记) and
drops the column; issued members keep their own assignments and replies.

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-12-08 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'f2a3b4c5d6e7'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposals') as batch:
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_proposals_merged_into_id_proposals'), 'proposals',
                                 ['merged_into_id'], ['id'], ondelete='SET NULL')
        batch.create_index(op.f('ix_proposals_merged_into_id'), ['merged_into_id'])
        batch.create_check_constraint(op.f('ck_proposals_not_merged_into_itself'),
                                      'merged_into_id IS NULL OR merged_into_id <> id')


def downgrade():
    # A member never issued has no assignment: without its lead it is merely registered.
    op.execute(
        "UPDATE proposals SET state = 'registered' WHERE merged_into_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.proposal_id = proposals.id)")
    with op.batch_alter_table('proposals') as batch:
        batch.drop_constraint(op.f('ck_proposals_not_merged_into_itself'), type_='check')
        batch.drop_index(op.f('ix_proposals_merged_into_id'))
        batch.drop_constraint(op.f('fk_proposals_merged_into_id_proposals'), type_='foreignkey')
        batch.drop_column('merged_into_id')
