"""the publication deadline of issued replies (20 working days, 办理结果公开), and the notification
kinds that warn of an overdue publication and of an overdue commitment (承诺事项)

Revision ID: b0c1d2e3f4a5
Revises: a9b0c1d2e3f4
Create Date: 2026-12-12 09:00:00.000000

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = 'b0c1d2e3f4a5'
down_revision = 'a9b0c1d2e3f4'
branch_labels = None
depends_on = None

OLD_KINDS = ('assigned', 'return_request', 'return_decided', 'dispatched', 'co_opinion',
             'to_review', 'draft_returned', 'to_sign', 'to_issue', 'rated', 'rehandle',
             'due_soon', 'overdue', 'extension_requested', 'extension_decided', 'urge',
             'print_ready', 'instruction_requested', 'instructed')
NEW_KINDS = ('publication_overdue', 'commitment_overdue')
WORKING_DAYS = 20  # the default of PUBLICATION_WORKDAYS when this ran


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(values):
    for table in ('notifications', 'notification_preferences'):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'ck_{table}_kind_known'), type_='check')
            batch.create_check_constraint(op.f(f'ck_{table}_kind_known'), _in('kind', values))


def _add_working_days(overrides, start, count):
    day = start
    while count > 0:
        day += timedelta(days=1)
        if overrides.get(day, day.weekday() < 5):
            count -= 1
    return day


def upgrade():
    with op.batch_alter_table('replies') as batch:
        batch.add_column(sa.Column('publish_due_on', sa.Date(), nullable=True))
        batch.create_index(batch.f('ix_replies_publish_due_on'), ['publish_due_on'])
    _kinds(OLD_KINDS + NEW_KINDS)
    # A 并案 member's reply (the lead's signed draft, issued in the member's assignment) was
    # made without the signer's publication decision: it takes the lead reply's.
    conn = op.get_bind()
    for member_id, publication, reason, summary in conn.execute(sa.text(
            "SELECT m.id, l.publication, l.withhold_reason, l.public_summary FROM replies m "
            "JOIN draft_versions d ON d.id = m.draft_version_id "
            "JOIN replies l ON l.draft_version_id = m.draft_version_id "
            "AND l.assignment_id = d.assignment_id "
            "WHERE m.assignment_id <> d.assignment_id")).all():
        conn.execute(sa.text(
            "UPDATE replies SET publication = :p, withhold_reason = :r, public_summary = :s "
            "WHERE id = :id"), {"p": publication, "r": reason, "s": summary, "id": member_id})
    # The replies already issued and to be published get their deadline on the calendar
    # (counted from the day of issue in China, as at issue).
    overrides = {_as_date(day): bool(is_workday) for day, is_workday in conn.execute(
        sa.text("SELECT day, is_workday FROM calendar_days"))}
    for reply_id, issued_at in conn.execute(sa.text(
            "SELECT id, issued_at FROM replies WHERE issued_at IS NOT NULL "
            "AND publication <> 'withheld'")).all():
        issued = _china_date(issued_at)
        conn.execute(sa.text("UPDATE replies SET publish_due_on = :due WHERE id = :id"),
                     {"due": _add_working_days(overrides, issued, WORKING_DAYS), "id": reply_id})


def _china_date(value):
    """The date in China (UTC+8) of a naive UTC timestamp."""
    from datetime import datetime

    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value)[:19])
    return (stamp + timedelta(hours=8)).date()


def _as_date(value):
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)[:19]).date()


def downgrade():
    op.execute(f"DELETE FROM notifications WHERE {_in('kind', NEW_KINDS)}")
    op.execute(f"DELETE FROM notification_preferences WHERE {_in('kind', NEW_KINDS)}")
    _kinds(OLD_KINDS)
    with op.batch_alter_table('replies') as batch:
        batch.drop_index(batch.f('ix_replies_publish_due_on'))
        batch.drop_column('publish_due_on')
