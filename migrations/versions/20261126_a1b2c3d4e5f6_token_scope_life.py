"""API tokens: a scope (read or act)

Every token gets a scope: read (GET only) or act (everything its user may do). Tokens issued
before keep what they could do (act) and their expiry. The longest life of new tokens is a
setting (TRACKER_API_TOKEN_MAX_DAYS), not a column.

Revision ID: a1b2c3d4e5f6
Revises: 8c1d2e3f4a5b
Create Date: 2026-11-26 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = '8c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens') as batch:
        # The server default fills the existing rows; new rows always name their scope.
        batch.add_column(sa.Column('scope', sa.String(length=10), nullable=False,
                                   server_default='act'))
    with op.batch_alter_table('api_tokens') as batch:
        batch.alter_column('scope', server_default=None, existing_type=sa.String(length=10),
                           existing_nullable=False)
        batch.create_check_constraint(op.f('ck_api_tokens_scope_known'),
                                      "scope IN ('read', 'act')")


def downgrade():
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_constraint(op.f('ck_api_tokens_scope_known'), type_='check')
        batch.drop_column('scope')
