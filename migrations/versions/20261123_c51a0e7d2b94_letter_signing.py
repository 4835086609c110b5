"""letter signing: unit keys and seal, verification code of issued letters

Revision ID: c51a0e7d2b94
Revises: 706971ab3222
Create Date: 2026-11-23 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c51a0e7d2b94'
down_revision = '706971ab3222'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_p12_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('seal_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('sign_subject', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('sign_not_after', sa.DateTime(), nullable=True))
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verify_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('signed_by_cert', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_replies_verify_code'), ['verify_code'])


def downgrade():
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_replies_verify_code'), type_='unique')
        batch_op.drop_column('signed_by_cert')
        batch_op.drop_column('verify_code')
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('sign_not_after')
        batch_op.drop_column('sign_subject')
        batch_op.drop_column('seal_name')
        batch_op.drop_column('sign_p12_name')
