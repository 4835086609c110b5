"""assignment facts and running totals for the supervision figures

Each assignment carries the facts the dashboard counts (first reply date, replied on time,
latest result class and rating, contacted, met in person, opinion on time), maintained by
tracker.supervision.facts; figure_counts and reply_days hold the totals per unit, meeting,
role and state (per day for the replies), maintained by tracker.supervision.rollup. Both
are computed here for the existing rows; the dashboard's covering index includes the facts.

Revision ID: f3c9a1b7d2e4
Revises: e8b2d3f4a5c6
Create Date: 2026-11-23 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3c9a1b7d2e4'
down_revision = 'e8b2d3f4a5c6'
branch_labels = None
depends_on = None

OLD_COLUMNS = ['unit_id', 'state', 'role', 'round', 'due_on', 'return_due_on', 'accepted_at',
               'proposal_id']
NEW_COLUMNS = ['unit_id', 'state', 'role', 'round', 'due_on', 'return_due_on', 'accepted_at',
               'first_reply_on', 'reply_on_time', 'latest_class', 'latest_rating',
               'contacted', 'met_in_person', 'opinion_on_time', 'proposal_id']


def _backfill():
    """The facts of the existing assignments (the same definitions as
    tracker.supervision.facts, written out so this revision does not change with the code)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    local_date = ("date(MIN(r.issued_at), '+8 hours')" if sqlite
                  else "CAST(MIN(r.issued_at) + INTERVAL '8 hours' AS DATE)")

    def by(moment):
        return (f"{moment} < assignments.due_on || ' 16:00:00'" if sqlite
                else f"{moment} < assignments.due_on + INTERVAL '16 hours'")

    op.execute(f"""
        UPDATE assignments SET
          first_reply_on = (SELECT {local_date} FROM replies r
                            WHERE r.assignment_id = assignments.id AND r.round = 1
                              AND r.issued_at IS NOT NULL),
          reply_on_time = EXISTS (SELECT 1 FROM replies r
                                  WHERE r.assignment_id = assignments.id
                                    AND r.issued_at IS NOT NULL
                                    AND r.round = assignments.round AND {by('r.issued_at')}),
          latest_class = (SELECT d.result_class FROM replies r
                          JOIN draft_versions d ON d.id = r.draft_version_id
                          WHERE r.assignment_id = assignments.id AND r.issued_at IS NOT NULL
                          ORDER BY r.round DESC LIMIT 1),
          latest_rating = (SELECT r.rating FROM replies r
                           WHERE r.assignment_id = assignments.id AND r.rating IS NOT NULL
                           ORDER BY r.round DESC LIMIT 1),
          contacted = EXISTS (SELECT 1 FROM contacts c WHERE c.assignment_id = assignments.id),
          met_in_person = EXISTS (SELECT 1 FROM contacts c
                                  WHERE c.assignment_id = assignments.id AND c.method = 'face'),
          opinion_on_time = EXISTS (SELECT 1 FROM co_opinions o
                                    WHERE o.assignment_id = assignments.id
                                      AND {by('o.submitted_at')})
    """)


COUNTERS = ['received', 'accepted_on_time', 'later_round', 'replied', 'replied_on_time',
            'rated', 'satisfied', 'basic', 'class_a', 'class_b', 'class_c', 'contacted',
            'face', 'co_on_time']


def _fill_totals():
    """The running totals of the existing assignments (as tracker.supervision.rollup counts)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    accepted = ("a.accepted_at < a.return_due_on || ' 16:00:00'" if sqlite
                else "a.accepted_at < a.return_due_on + INTERVAL '16 hours'")
    issued_day = ("date(r.issued_at, '+8 hours')" if sqlite
                  else "CAST(r.issued_at + INTERVAL '8 hours' AS DATE)")

    def n(condition):
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    op.execute(f"""
        INSERT INTO figure_counts (unit_id, meeting_id, kind, role, state, {', '.join(COUNTERS)})
        SELECT a.unit_id, p.meeting_id, p.kind, a.role, a.state, COUNT(*),
               {n(accepted)}, {n('a.round > 1')}, {n('a.first_reply_on IS NOT NULL')},
               {n('a.reply_on_time')}, {n('a.latest_rating IS NOT NULL')},
               {n("a.latest_rating = 'satisfied'")}, {n("a.latest_rating = 'basic'")},
               {n("a.latest_class = 'A'")}, {n("a.latest_class = 'B'")},
               {n("a.latest_class = 'C'")}, {n('a.contacted')}, {n('a.met_in_person')},
               {n('a.opinion_on_time')}
        FROM assignments a JOIN proposals p ON p.id = a.proposal_id
        WHERE a.state <> 'returned'
        GROUP BY a.unit_id, p.meeting_id, p.kind, a.role, a.state
    """)
    op.execute(f"""
        INSERT INTO reply_days (unit_id, meeting_id, kind, day, first_replies, later_replies)
        SELECT unit_id, meeting_id, kind, day, SUM(first_replies), SUM(later_replies) FROM (
            SELECT a.unit_id, p.meeting_id, p.kind, a.first_reply_on AS day,
                   1 AS first_replies, 0 AS later_replies
            FROM assignments a JOIN proposals p ON p.id = a.proposal_id
            WHERE a.first_reply_on IS NOT NULL AND a.role <> 'co' AND a.state <> 'returned'
            UNION ALL
            SELECT a.unit_id, p.meeting_id, p.kind, {issued_day}, 0, 1
            FROM replies r JOIN assignments a ON a.id = r.assignment_id
            JOIN proposals p ON p.id = a.proposal_id
            WHERE r.round > 1 AND r.issued_at IS NOT NULL AND a.state <> 'returned'
        ) AS x
        GROUP BY unit_id, meeting_id, kind, day
    """)


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reply_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reply_on_time', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('latest_class', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('latest_rating', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('contacted', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('met_in_person', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('opinion_on_time', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _backfill()
    op.drop_index('ix_assignments_dashboard', table_name='assignments')
    op.create_index('ix_assignments_dashboard', 'assignments', NEW_COLUMNS, unique=False)
    op.create_table(
        'figure_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=30), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS],
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                                name=op.f('fk_figure_counts_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_figure_counts_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_counts')),
        sa.UniqueConstraint('unit_id', 'meeting_id', 'role', 'state',
                            name='uq_figure_counts_group'),
    )
    op.create_index(op.f('ix_figure_counts_unit_id'), 'figure_counts', ['unit_id'])
    op.create_index(op.f('ix_figure_counts_meeting_id'), 'figure_counts', ['meeting_id'])
    op.create_table(
        'reply_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('first_replies', sa.Integer(), nullable=False),
        sa.Column('later_replies', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                                name=op.f('fk_reply_days_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_reply_days_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_days')),
        sa.UniqueConstraint('unit_id', 'meeting_id', 'day', name='uq_reply_days_group'),
    )
    op.create_index(op.f('ix_reply_days_unit_id'), 'reply_days', ['unit_id'])
    op.create_index(op.f('ix_reply_days_meeting_id'), 'reply_days', ['meeting_id'])
    _fill_totals()


def downgrade():
    for table in ('reply_days', 'figure_counts'):
        op.drop_index(op.f(f'ix_{table}_meeting_id'), table_name=table)
        op.drop_index(op.f(f'ix_{table}_unit_id'), table_name=table)
        op.drop_table(table)
    op.drop_index('ix_assignments_dashboard', table_name='assignments')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        for name in ('opinion_on_time', 'met_in_person', 'contacted', 'latest_rating',
                     'latest_class', 'reply_on_time', 'first_reply_on'):
            batch_op.drop_column(name)
    op.create_index('ix_assignments_dashboard', 'assignments', OLD_COLUMNS, unique=False)
