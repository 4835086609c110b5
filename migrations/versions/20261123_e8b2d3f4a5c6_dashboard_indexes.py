"""dashboard indexes

Covering indexes for the supervision figures and the item list's unit checks
(tracker/supervision/indexes.py declares the same for the metadata).

Revision ID: e8b2d3f4a5c6
Revises: d7a1c2e3f4b5
Create Date: 2026-11-23 12:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e8b2d3f4a5c6'
down_revision = 'd7a1c2e3f4b5'
branch_labels = None
depends_on = None

INDEXES = [
    ('ix_assignments_dashboard', 'assignments',
     ['unit_id', 'state', 'role', 'round', 'due_on', 'return_due_on', 'accepted_at',
      'proposal_id']),
    ('ix_assignments_proposal_unit', 'assignments',
     ['proposal_id', 'unit_id', 'state', 'role', 'round', 'due_on', 'return_due_on',
      'accepted_at']),
    ('ix_assignments_open_due', 'assignments', ['state', 'due_on', 'proposal_id']),
    ('ix_replies_dashboard', 'replies',
     ['assignment_id', 'round', 'issued_at', 'rating', 'draft_version_id']),
    ('ix_draft_versions_result_class', 'draft_versions', ['id', 'result_class']),
    ('ix_contacts_assignment_method', 'contacts', ['assignment_id', 'method']),
    ('ix_proposals_meeting_state', 'proposals', ['meeting_id', 'state', 'kind']),
    ('ix_proposals_kind_state', 'proposals', ['kind', 'state']),
    ('ix_co_opinions_assignment_submitted', 'co_opinions', ['assignment_id', 'submitted_at']),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
