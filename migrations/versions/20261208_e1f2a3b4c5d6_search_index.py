"""the full-text search index (search_documents, FTS5 on SQLite, tsvector + GIN on PostgreSQL)

The rows are built from the items, authors, issued replies, opinions, contacts and
instructions by `flask search rebuild` (run by this upgrade for the existing data).

Revision ID: e1f2a3b4c5d6
Revises: d0e1f2a3b4c5
Create Date: 2026-12-08 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e1f2a3b4c5d6'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(uni, bi, words, content='search_documents', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, uni, bi, words) VALUES (new.id, new.uni, new.bi, new.words); "
    "END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, uni, bi, words) "
    "VALUES ('delete', old.id, old.uni, old.bi, old.words); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, uni, bi, words) "
    "VALUES ('delete', old.id, old.uni, old.bi, old.words); "
    "INSERT INTO search_fts(rowid, uni, bi, words) VALUES (new.id, new.uni, new.bi, new.words); "
    "END",
]


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.create_table(
        'search_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=8), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('uni', sa.Text(), nullable=True),
        sa.Column('bi', sa.Text(), nullable=True),
        sa.Column('words', sa.Text(), nullable=True),
        sa.Column('tsv', sa.Text() if sqlite else postgresql.TSVECTOR(), nullable=True),
        sa.Column('indexed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_search_documents_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    )
    op.create_index(op.f('ix_search_documents_proposal_id'), 'search_documents',
                    ['proposal_id'])
    op.create_index('ix_assignments_unit_items', 'assignments',
                    ['unit_id', 'proposal_id', 'role', 'state'])
    op.create_index('ix_proposals_number', 'proposals', ['number'])
    if sqlite:
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute("CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)")
        # The rows' texts and terms stored out of line: a search's matches are read from
        # narrow heap rows (id, item, source, scope, unit).
        op.execute("ALTER TABLE search_documents SET (toast_tuple_target = 128)")
    from tracker.search import index

    # (without the sources of later tables: the public versions came after this revision)
    index.rebuild_on(op.get_bind(), registered=False)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('ai', 'ad', 'au'):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_{name}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index('ix_proposals_number', table_name='proposals')
    op.drop_index('ix_assignments_unit_items', table_name='assignments')
    op.drop_index(op.f('ix_search_documents_proposal_id'), table_name='search_documents')
    op.drop_table('search_documents')
