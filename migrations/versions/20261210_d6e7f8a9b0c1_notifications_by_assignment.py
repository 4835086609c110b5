"""notifications found by their assignment (an index on notifications.assignment_id)

Every move marks the assignment's unread turn notices as read, and deleting an assignment
cascades to its notices: both looked at every notice of every user without this index.

Revision ID: d6e7f8a9b0c1
Revises: c5d6e7f8a9b0
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op

revision = 'd6e7f8a9b0c1'
down_revision = 'c5d6e7f8a9b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notifications_assignment_id', 'notifications', ['assignment_id'])


def downgrade():
    op.drop_index('ix_notifications_assignment_id', table_name='notifications')
