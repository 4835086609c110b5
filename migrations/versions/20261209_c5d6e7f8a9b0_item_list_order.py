"""the item list's order as an index (received_on, id)

The item list shows the newest received items first: with this index its first page is read
from the index instead of sorting every item.

Revision ID: c5d6e7f8a9b0
Revises: b4c5d6e7f8a9
Create Date: 2026-12-09 11:00:00.000000

"""
from alembic import op

revision = 'c5d6e7f8a9b0'
down_revision = 'b4c5d6e7f8a9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_proposals_received_on_id', 'proposals', ['received_on', 'id'])


def downgrade():
    op.drop_index('ix_proposals_received_on_id', table_name='proposals')
