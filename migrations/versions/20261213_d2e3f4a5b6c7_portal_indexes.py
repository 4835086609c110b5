"""the portal's indexes on publications: its list (published_on, id), its feed (published_at,
id) and the units that published; the items already published get their public rows in the
search index

Revision ID: d2e3f4a5b6c7
Revises: c1d2e3f4a5b6
Create Date: 2026-12-13 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'd2e3f4a5b6c7'
down_revision = 'c1d2e3f4a5b6'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_publications_published_on', table_name='publications')
    op.create_index('ix_publications_listed', 'publications', ['published_on', 'id'])
    op.create_index('ix_publications_feed', 'publications', ['published_at', 'id'])
    op.create_index('ix_publications_unit_id', 'publications', ['unit_id'])
    from tracker.search import index

    conn = op.get_bind()
    index.reindex(conn, conn.execute(
        sa.text("SELECT DISTINCT proposal_id FROM publications")).scalars().all())


def downgrade():
    op.drop_index('ix_publications_unit_id', table_name='publications')
    op.drop_index('ix_publications_feed', table_name='publications')
    op.drop_index('ix_publications_listed', table_name='publications')
    op.create_index('ix_publications_published_on', 'publications', ['published_on'])
