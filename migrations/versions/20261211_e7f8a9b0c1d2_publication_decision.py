"""the publication decision of a reply (办理结果公开): 全文公开 / 摘要公开 / 不予公开 with a reason,
proposed with the draft, changed in review, confirmed at sign-off

Existing drafts and replies take the decision their 公开属性 implies: 主动公开 → 全文公开,
依申请公开 → 不予公开 (属依申请公开信息), 不予公开 → 不予公开 (法律、法规禁止公开的其他情形).

Revision ID: e7f8a9b0c1d2
Revises: d6e7f8a9b0c1
Create Date: 2026-12-11 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'e7f8a9b0c1d2'
down_revision = 'd6e7f8a9b0c1'
branch_labels = None
depends_on = None

MODES = "'full', 'summary', 'withheld'"
REASONS = ("'', 'on_request', 'state_secret', 'security', 'business_secret', 'privacy', "
           "'internal', 'process', 'other'")


def _columns(batch_op, nullable_mode: bool) -> None:
    if nullable_mode:
        batch_op.add_column(sa.Column('publication', sa.String(10), nullable=True))
    else:
        batch_op.add_column(sa.Column('publication', sa.String(10), nullable=False,
                                      server_default='full'))
    batch_op.add_column(sa.Column('withhold_reason', sa.String(20), nullable=False,
                                  server_default=''))
    batch_op.add_column(sa.Column('public_summary', sa.Text(), nullable=False,
                                  server_default=''))


def _checks(batch_op, table: str) -> None:
    batch_op.create_check_constraint(op.f(f'ck_{table}_publication_known'),
                                     f'publication IN ({MODES})')
    batch_op.create_check_constraint(op.f(f'ck_{table}_withhold_reason_known'),
                                     f'withhold_reason IN ({REASONS})')
    batch_op.create_check_constraint(op.f(f'ck_{table}_withheld_has_reason'),
                                     "publication <> 'withheld' OR withhold_reason <> ''")
    batch_op.create_check_constraint(op.f(f'ck_{table}_summary_has_text'),
                                     "publication <> 'summary' OR length(trim(public_summary)) > 0")


def upgrade():
    for table, nullable in (('draft_versions', False), ('review_decisions', True),
                            ('replies', False)):
        with op.batch_alter_table(table) as batch_op:
            _columns(batch_op, nullable)
    # What the 公开属性 implies, for the drafts and replies made before.
    for disclosure, reason in (('on_request', 'on_request'), ('not_public', 'other')):
        op.execute(f"UPDATE draft_versions SET publication = 'withheld', "
                   f"withhold_reason = '{reason}' WHERE disclosure = '{disclosure}'")
        op.execute(f"UPDATE replies SET publication = 'withheld', withhold_reason = '{reason}' "
                   f"WHERE draft_version_id IN (SELECT id FROM draft_versions "
                   f"WHERE disclosure = '{disclosure}')")
    for table in ('draft_versions', 'review_decisions', 'replies'):
        with op.batch_alter_table(table) as batch_op:
            _checks(batch_op, table)


def downgrade():
    for table in ('replies', 'review_decisions', 'draft_versions'):
        with op.batch_alter_table(table) as batch_op:
            for name in ('summary_has_text', 'withheld_has_reason', 'withhold_reason_known',
                         'publication_known'):
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
            for column in ('public_summary', 'withhold_reason', 'publication'):
                batch_op.drop_column(column)
