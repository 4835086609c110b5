"""notifications on every turn, by channel; the job queue's record of runs

Notification kinds for every turn of the workflow and for 催办; per-user channels per kind
(notification_preferences) and delivery settings (daily digest, SMS quiet hours); the outbox
carries SMS as well as e-mail, with the claim a sending job holds and the time every attempt
had failed; job_runs records each run of a queued job.

Revision ID: e5f6a7b8c9d0
Revises: d4e5f6a7b8c9
Create Date: 2026-12-06 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5f6a7b8c9d0'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

OLD_KINDS = ('due_soon', 'overdue', 'extension_requested', 'extension_decided')
KINDS = ('assigned', 'return_request', 'return_decided', 'dispatched', 'co_opinion',
         'to_review', 'draft_returned', 'to_sign', 'to_issue', 'rated', 'rehandle',
         'due_soon', 'overdue', 'extension_requested', 'extension_decided', 'urge',
         'print_ready')
CHANNELS = ('email', 'sms')
JOB_STATUSES = ('running', 'done', 'retrying', 'failed', 'interrupted')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint(op.f('ck_notifications_kind_known'), type_='check')
        batch.create_check_constraint(op.f('ck_notifications_kind_known'), _in('kind', KINDS))
        batch.add_column(sa.Column('digest_pending', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_index(op.f('ix_notifications_digest_pending'), ['digest_pending'])

    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('channel', sa.String(10), nullable=False,
                                   server_default='email'))
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key(op.f('fk_outbox_user_id_users'), 'users', ['user_id'], ['id'],
                                 ondelete='CASCADE')
        batch.create_check_constraint(op.f('ck_outbox_channel_known'), _in('channel', CHANNELS))

    op.create_table(
        'notification_preferences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(30), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False),
        sa.Column('sms', sa.Boolean(), nullable=False),
        sa.CheckConstraint(_in('kind', KINDS), name=op.f('ck_notification_preferences_kind_known')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_notification_preferences_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notification_preferences_user_id')),
    )
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.Boolean(), nullable=False),
        sa.Column('quiet_from', sa.String(5), nullable=False),
        sa.Column('quiet_until', sa.String(5), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_notification_settings_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings')),
    )
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(120), nullable=False),
        sa.Column('args', sa.Text(), nullable=False),
        sa.Column('queue_id', sa.String(64), nullable=False),
        sa.Column('worker', sa.String(80), nullable=False),
        sa.Column('periodic', sa.Boolean(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(_in('status', JOB_STATUSES), name=op.f('ck_job_runs_status_known')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_job_runs_resolved_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    )
    op.create_index('ix_job_runs_task_started_at', 'job_runs', ['task', 'started_at'])
    op.create_index('ix_job_runs_status_resolved_at', 'job_runs', ['status', 'resolved_at'])


def downgrade():
    op.drop_index('ix_job_runs_status_resolved_at', table_name='job_runs')
    op.drop_index('ix_job_runs_task_started_at', table_name='job_runs')
    op.drop_table('job_runs')
    op.drop_table('notification_settings')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint(op.f('ck_outbox_channel_known'), type_='check')
        batch.drop_constraint(op.f('fk_outbox_user_id_users'), type_='foreignkey')
        batch.drop_column('failed_at')
        batch.drop_column('claimed_until')
        batch.drop_column('user_id')
        batch.drop_column('channel')
    op.execute(sa.text("DELETE FROM notifications WHERE NOT (" + _in('kind', OLD_KINDS) + ")"))
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index(op.f('ix_notifications_digest_pending'))
        batch.drop_column('digest_pending')
        batch.drop_constraint(op.f('ck_notifications_kind_known'), type_='check')
        batch.create_check_constraint(op.f('ck_notifications_kind_known'), _in('kind', OLD_KINDS))
