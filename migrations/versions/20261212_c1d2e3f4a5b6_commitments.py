"""commitments (承诺事项) of issued B and C replies, their progress reports (进展) and the
reports' files

Revision ID: c1d2e3f4a5b6
Revises: b0c1d2e3f4a5
Create Date: 2026-12-12 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'c1d2e3f4a5b6'
down_revision = 'b0c1d2e3f4a5'
branch_labels = None
depends_on = None

STATUSES = ('open', 'done', 'not_done')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table(
        'commitments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reply_id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('section_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('closing_note', sa.Text(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('authors_told_at', sa.DateTime(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint(_in('status', STATUSES), name=op.f('ck_commitments_status_known')),
        sa.CheckConstraint('length(trim(what)) > 0', name=op.f('ck_commitments_has_what')),
        sa.CheckConstraint("status <> 'done' OR done_on IS NOT NULL",
                           name=op.f('ck_commitments_done_has_date')),
        sa.CheckConstraint("status <> 'not_done' OR length(trim(closing_note)) > 0",
                           name=op.f('ck_commitments_not_done_explained')),
        sa.CheckConstraint("(status = 'open') = (closed_at IS NULL)",
                           name=op.f('ck_commitments_closed_when_not_open')),
        sa.CheckConstraint("status = 'done' OR done_on IS NULL",
                           name=op.f('ck_commitments_done_on_only_when_done')),
        sa.CheckConstraint("authors_told_at IS NULL OR status = 'done'",
                           name=op.f('ck_commitments_told_when_done')),
        sa.ForeignKeyConstraint(['reply_id'], ['replies.id'], ondelete='CASCADE',
                                name=op.f('fk_commitments_reply_id_replies')),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE',
                                name=op.f('fk_commitments_assignment_id_assignments')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_commitments_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_commitments_unit_id_units')),
        sa.ForeignKeyConstraint(['section_id'], ['sections.id'], ondelete='SET NULL',
                                name=op.f('fk_commitments_section_id_sections')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_commitments_closed_by_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_commitments_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commitments')),
    )
    for column in ('reply_id', 'assignment_id', 'proposal_id', 'unit_id', 'due_on', 'status'):
        op.create_index(op.f(f'ix_commitments_{column}'), 'commitments', [column])
    op.create_table(
        'commitment_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('commitment_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('reported_on', sa.Date(), nullable=False),
        sa.Column('reported_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_commitment_reports_has_text')),
        sa.ForeignKeyConstraint(['commitment_id'], ['commitments.id'], ondelete='CASCADE',
                                name=op.f('fk_commitment_reports_commitment_id_commitments')),
        sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'],
                                name=op.f('fk_commitment_reports_reported_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_reports')),
    )
    op.create_index(op.f('ix_commitment_reports_commitment_id'), 'commitment_reports',
                    ['commitment_id'])
    op.create_table(
        'commitment_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['commitment_reports.id'], ondelete='CASCADE',
                                name=op.f('fk_commitment_files_report_id_commitment_reports')),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachments.id'],
                                name=op.f('fk_commitment_files_attachment_id_attachments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_commitment_files')),
        sa.UniqueConstraint('attachment_id', name=op.f('uq_commitment_files_attachment_id')),
    )
    op.create_index(op.f('ix_commitment_files_report_id'), 'commitment_files', ['report_id'])


def downgrade():
    # The reports' attachment rows go with them (their files stay in the store).
    files = [row[0] for row in op.get_bind().execute(
        sa.text("SELECT attachment_id FROM commitment_files"))]
    op.drop_index(op.f('ix_commitment_files_report_id'), table_name='commitment_files')
    op.drop_table('commitment_files')
    op.drop_index(op.f('ix_commitment_reports_commitment_id'), table_name='commitment_reports')
    op.drop_table('commitment_reports')
    for column in ('reply_id', 'assignment_id', 'proposal_id', 'unit_id', 'due_on', 'status'):
        op.drop_index(op.f(f'ix_commitments_{column}'), table_name='commitments')
    op.drop_table('commitments')
    for attachment_id in files:
        op.execute(sa.text("DELETE FROM attachments WHERE id = :id").bindparams(id=attachment_id))
