"""rating links: why each was made, and revocation by a newer link

Only the supervising office (by hand, with a reason) and the system at 发文 make rating
links; a newer link of the same author and reply revokes the older ones. Links made before
keep an empty reason and stay unrevoked (the public page still refuses those made by a user
of the rated unit).

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6
Create Date: 2026-11-26 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f6a7'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rating_requests') as batch:
        # The server default fills the existing rows; new rows always say why.
        batch.add_column(sa.Column('minted_reason', sa.String(length=200), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('rating_requests') as batch:
        batch.alter_column('minted_reason', server_default=None,
                           existing_type=sa.String(length=200), existing_nullable=False)


def downgrade():
    with op.batch_alter_table('rating_requests') as batch:
        batch.drop_column('revoked_at')
        batch.drop_column('minted_reason')
