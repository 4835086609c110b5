"""the issued letter's input, kept with the reply

The data the letter was rendered from at issue (number, date, names, style, verification
code; no seal), so that its Word version is built from what was issued, not from today's
item, unit or style. Replies issued before have none (their .docx is rebuilt as before).

Revision ID: 8c1d2e3f4a5b
Revises: 5b8e1f4c7a2d
Create Date: 2026-11-25 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c1d2e3f4a5b'
down_revision = '5b8e1f4c7a2d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('replies') as batch:
        batch.add_column(sa.Column('letter_data', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('replies') as batch:
        batch.drop_column('letter_data')
