"""co-handling opinions approved by the unit's leader (会办意见待审批)

A co-handling unit's 会办意见 now waits for its leader's approval: a new assignment state
opinion_pending, and on each opinion its status (pending, approved, returned), who decided
and when, and the comment of a return. Opinions already submitted stay submitted: they are
approved by nobody, dated with their submission.

The downgrade forgets what only approval knows: opinions not approved are deleted,
assignments waiting for approval go back to drafting (or accepted, never passed on), and the
co-handling units' facts and totals are counted again.

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-07 12:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'd0e1f2a3b4c5'
down_revision = 'c9d0e1f2a3b4'
branch_labels = None
depends_on = None

OLD_STATES = (
    'assigned', 'return_requested', 'returned', 'accepted', 'drafting', 'opinion_submitted',
    'first_review', 'second_review', 'final_review', 'awaiting_signature', 'signed', 'replied',
    'rated')
STATES = OLD_STATES + ('opinion_pending',)
OPINION_STATUSES = ('pending', 'approved', 'returned')

CHECKS = {
    'status_known': "status IN ('pending', 'approved', 'returned')",
    'return_has_note': "status <> 'returned' OR decision_note <> ''",
    'return_has_decider': ("status <> 'returned' OR (decided_by_id IS NOT NULL AND "
                           "decided_at IS NOT NULL)"),
    'approval_has_date': "status <> 'approved' OR decided_at IS NOT NULL",
    'number_when_approved': "doc_number IS NULL OR status = 'approved'",
}


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _states(values):
    # The assignments and the supervision totals counted by assignment state.
    for table in ('assignments', 'figure_counts'):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'ck_{table}_state_known'), type_='check')
            batch.create_check_constraint(op.f(f'ck_{table}_state_known'), _in('state', values))


COUNTERS = ['received', 'accepted_on_time', 'later_round', 'replied', 'replied_on_time',
            'rated', 'satisfied', 'basic', 'class_a', 'class_b', 'class_c', 'contacted',
            'face', 'co_on_time']


def _recount_co_handling():
    """The co-handling units' facts and totals as the previous revision counts them (an
    opinion's date is its submission), after their states changed (written out here, as in
    revision f3c9a1b7d2e4, so this revision does not change with the code)."""
    sqlite = op.get_bind().dialect.name == "sqlite"

    def by(moment, due):
        return (f"{moment} < {due} || ' 16:00:00'" if sqlite
                else f"{moment} < {due} + INTERVAL '16 hours'")

    def n(condition):
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    op.execute(f"""
        UPDATE assignments SET opinion_on_time = EXISTS (
            SELECT 1 FROM co_opinions o WHERE o.assignment_id = assignments.id
              AND {by('o.submitted_at', 'assignments.due_on')})
        WHERE role = 'co'
    """)
    op.execute("DELETE FROM figure_counts WHERE role = 'co'")
    op.execute(f"""
        INSERT INTO figure_counts (unit_id, meeting_id, kind, role, state, {', '.join(COUNTERS)})
        SELECT a.unit_id, p.meeting_id, p.kind, a.role, a.state, COUNT(*),
               {n(by('a.accepted_at', 'a.return_due_on'))}, {n('a.round > 1')},
               {n('a.first_reply_on IS NOT NULL')},
               {n('a.reply_on_time')}, {n('a.latest_rating IS NOT NULL')},
               {n("a.latest_rating = 'satisfied'")}, {n("a.latest_rating = 'basic'")},
               {n("a.latest_class = 'A'")}, {n("a.latest_class = 'B'")},
               {n("a.latest_class = 'C'")}, {n('a.contacted')}, {n('a.met_in_person')},
               {n('a.opinion_on_time')}
        FROM assignments a JOIN proposals p ON p.id = a.proposal_id
        WHERE a.state <> 'returned' AND a.role = 'co'
        GROUP BY a.unit_id, p.meeting_id, p.kind, a.role, a.state
    """)


def upgrade():
    _states(STATES)
    with op.batch_alter_table('co_opinions') as batch:
        batch.add_column(sa.Column('status', sa.String(10), nullable=False,
                                   server_default='pending'))
        batch.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('decided_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('decision_note', sa.Text(), nullable=False,
                                   server_default=''))
        batch.create_foreign_key(op.f('fk_co_opinions_decided_by_id_users'), 'users',
                                 ['decided_by_id'], ['id'])
    # What was submitted went out: approved by nobody, on the day it was submitted.
    op.execute("UPDATE co_opinions SET status = 'approved', decided_at = submitted_at")
    with op.batch_alter_table('co_opinions') as batch:
        for name, condition in CHECKS.items():
            batch.create_check_constraint(op.f(f'ck_co_opinions_{name}'), condition)


def downgrade():
    op.execute("DELETE FROM co_opinions WHERE status <> 'approved'")
    op.execute("UPDATE assignments SET state = CASE WHEN drafter_id IS NULL THEN 'accepted' "
               "ELSE 'drafting' END WHERE state = 'opinion_pending'")
    with op.batch_alter_table('co_opinions') as batch:
        for name in CHECKS:
            batch.drop_constraint(op.f(f'ck_co_opinions_{name}'), type_='check')
        batch.drop_constraint(op.f('fk_co_opinions_decided_by_id_users'), type_='foreignkey')
        batch.drop_column('decision_note')
        batch.drop_column('decided_at')
        batch.drop_column('decided_by_id')
        batch.drop_column('status')
    _recount_co_handling()
    _states(OLD_STATES)
