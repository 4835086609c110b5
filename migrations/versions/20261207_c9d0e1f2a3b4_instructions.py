"""leaders' instructions (领导批示), the unit setting that requires one before 分办, and the
notification kinds that ask for and announce them

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
Create Date: 2026-12-07 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'c9d0e1f2a3b4'
down_revision = 'b8c9d0e1f2a3'
branch_labels = None
depends_on = None

OLD_KINDS = ('assigned', 'return_request', 'return_decided', 'dispatched', 'co_opinion',
             'to_review', 'draft_returned', 'to_sign', 'to_issue', 'rated', 'rehandle',
             'due_soon', 'overdue', 'extension_requested', 'extension_decided', 'urge',
             'print_ready')
KINDS = OLD_KINDS + ('instruction_requested', 'instructed')
INSTRUCTION_KINDS = ('transfer', 'sign_off', 'unit_principal', 'unit_deputy', 'result_review')
SOURCES = ('typed', 'paper', 'scan', '')
STATUSES = ('requested', 'given')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(values):
    for table in ('notifications', 'notification_preferences'):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'ck_{table}_kind_known'), type_='check')
            batch.create_check_constraint(op.f(f'ck_{table}_kind_known'), _in('kind', values))


def upgrade():
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('instruction_before_dispatch', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    _kinds(KINDS)
    op.create_table(
        'instructions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('assignment_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=True),
        sa.Column('leader_name', sa.String(60), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('given_on', sa.Date(), nullable=True),
        sa.Column('source', sa.String(10), nullable=False),
        sa.Column('scan_id', sa.Integer(), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('request_note', sa.String(300), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('given_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in('kind', INSTRUCTION_KINDS), name=op.f('ck_instructions_kind_known')),
        sa.CheckConstraint(_in('source', SOURCES), name=op.f('ck_instructions_source_known')),
        sa.CheckConstraint(_in('status', STATUSES), name=op.f('ck_instructions_status_known')),
        sa.CheckConstraint("kind NOT IN ('unit_principal', 'unit_deputy') "
                           "OR assignment_id IS NOT NULL",
                           name=op.f('ck_instructions_unit_kind_has_assignment')),
        sa.CheckConstraint("status <> 'given' OR (text <> '' AND given_on IS NOT NULL "
                           "AND leader_name <> '' AND source <> '')",
                           name=op.f('ck_instructions_given_is_complete')),
        sa.CheckConstraint("source <> 'scan' OR scan_id IS NOT NULL",
                           name=op.f('ck_instructions_scan_has_file')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE',
                                name=op.f('fk_instructions_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ondelete='CASCADE',
                                name=op.f('fk_instructions_assignment_id_assignments')),
        sa.ForeignKeyConstraint(['leader_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_instructions_leader_id_users')),
        sa.ForeignKeyConstraint(['scan_id'], ['attachments.id'],
                                name=op.f('fk_instructions_scan_id_attachments')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_instructions_requested_by_id_users')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'],
                                name=op.f('fk_instructions_entered_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_instructions')),
    )
    for column in ('proposal_id', 'assignment_id', 'status', 'leader_id'):
        op.create_index(op.f(f'ix_instructions_{column}'), 'instructions', [column])


def downgrade():
    # The scanned pages go with the instructions they belong to (their files stay on disk).
    scans = [row[0] for row in op.get_bind().execute(
        sa.text("SELECT scan_id FROM instructions WHERE scan_id IS NOT NULL"))]
    for column in ('proposal_id', 'assignment_id', 'status', 'leader_id'):
        op.drop_index(op.f(f'ix_instructions_{column}'), table_name='instructions')
    op.drop_table('instructions')
    for scan_id in scans:
        op.execute(sa.text("DELETE FROM attachments WHERE id = :id").bindparams(id=scan_id))
    op.execute("DELETE FROM notifications WHERE kind IN ('instruction_requested', 'instructed')")
    op.execute("DELETE FROM notification_preferences "
               "WHERE kind IN ('instruction_requested', 'instructed')")
    _kinds(OLD_KINDS)
    with op.batch_alter_table('units') as batch:
        batch.drop_column('instruction_before_dispatch')
