"""the public versions of replies (publications), the unit's 统一社会信用代码 and 索引号 format, and
the 索引号's serial as a document-number series

Revision ID: a9b0c1d2e3f4
Revises: f8a9b0c1d2e3
Create Date: 2026-12-11 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'a9b0c1d2e3f4'
down_revision = 'f8a9b0c1d2e3'
branch_labels = None
depends_on = None


def _series_kinds(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table('doc_series') as batch:
        batch.drop_constraint(op.f('ck_doc_series_kind_known'), type_='check')
        batch.create_check_constraint(op.f('ck_doc_series_kind_known'), "kind IN ({})".format(
            ", ".join(f"'{k}'" for k in kinds)))


def upgrade():
    with op.batch_alter_table('units') as batch:
        batch.add_column(sa.Column('credit_code', sa.String(18), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('index_format', sa.String(80), nullable=False,
                                   server_default=''))
    _series_kinds(('suggestion', 'proposal', 'co_opinion', 'publication'))
    op.create_table(
        'publications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reply_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(10), nullable=False),
        sa.Column('index_number', sa.String(60), nullable=False),
        sa.Column('category', sa.String(60), nullable=False),
        sa.Column('issuer', sa.String(100), nullable=False),
        sa.Column('written_on', sa.Date(), nullable=False),
        sa.Column('title', sa.String(200), nullable=False),
        sa.Column('doc_number', sa.String(60), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('public_text', sa.Text(), nullable=False),
        sa.Column('letter_data', sa.Text(), nullable=False),
        sa.Column('removals', sa.Text(), nullable=False),
        sa.Column('marked_words', sa.Text(), nullable=False),
        sa.Column('note', sa.String(500), nullable=False),
        sa.Column('pdf_name', sa.String(80), nullable=True),
        sa.Column('pdf_sha256', sa.String(64), nullable=True),
        sa.Column('pdf_size', sa.Integer(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=False),
        sa.Column('confirmed_by_name', sa.String(60), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("mode IN ('full', 'summary')", name=op.f('ck_publications_mode_known')),
        sa.CheckConstraint('version >= 1', name=op.f('ck_publications_version_positive')),
        sa.CheckConstraint("version = 1 OR note <> ''",
                           name=op.f('ck_publications_correction_has_note')),
        sa.CheckConstraint('pdf_name IS NULL OR pdf_sha256 IS NOT NULL',
                           name=op.f('ck_publications_pdf_has_hash')),
        sa.ForeignKeyConstraint(['reply_id'], ['replies.id'],
                                name=op.f('fk_publications_reply_id_replies')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_publications_proposal_id_proposals')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_publications_unit_id_units')),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                                name=op.f('fk_publications_confirmed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
        sa.UniqueConstraint('reply_id', 'version', name=op.f('uq_publications_reply_version')),
        sa.UniqueConstraint('index_number', 'version',
                            name=op.f('uq_publications_index_number_version')),
        sa.UniqueConstraint('pdf_name', name=op.f('uq_publications_pdf_name')),
    )
    with op.batch_alter_table('publications') as batch:
        batch.create_index(batch.f('ix_publications_reply_id'), ['reply_id'])
        batch.create_index(batch.f('ix_publications_proposal_id'), ['proposal_id'])
        batch.create_index(batch.f('ix_publications_published_on'), ['published_on'])


def downgrade():
    op.drop_table('publications')
    op.execute("DELETE FROM doc_series WHERE kind = 'publication'")
    _series_kinds(('suggestion', 'proposal', 'co_opinion'))
    with op.batch_alter_table('units') as batch:
        batch.drop_column('index_format')
        batch.drop_column('credit_code')
