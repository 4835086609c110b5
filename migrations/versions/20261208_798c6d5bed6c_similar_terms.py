"""similar items: the inverted index of item titles (similar_terms)

One row per item and term of its normalised title (tracker.similar.text: character unigrams
and bigrams); filled here for the items already registered, kept by tracker.similar.index.

Revision ID: 798c6d5bed6c
Revises: d0e1f2a3b4c5
Create Date: 2026-12-08 09:00:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op

revision = '798c6d5bed6c'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None

# tracker.similar.text as of this revision, written out so the revision does not change with
# the code.
_HEAD = re.compile(r"^(关于|建议|提案|请求|呼吁)+")
_TAIL = re.compile(r"(的)?(建议|提案|议案|意见|提议)$")


def _terms(title):
    text = "".join(ch for ch in title.lower() if ch.isalnum())
    text = _TAIL.sub("", _HEAD.sub("", text)) or text
    return {text[i:i + n] for n in (1, 2) for i in range(len(text) - n + 1)}


def upgrade():
    table = op.create_table(
        'similar_terms',
        sa.Column('term', sa.String(length=8), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_similar_terms_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('term', 'proposal_id', name=op.f('pk_similar_terms')),
    )
    op.create_index('ix_similar_terms_proposal_id', 'similar_terms', ['proposal_id'])
    bind = op.get_bind()
    rows = []
    for proposal_id, title in bind.execute(sa.text("SELECT id, title FROM proposals")):
        rows += [{'term': t, 'proposal_id': proposal_id} for t in _terms(title)]
        if len(rows) > 5000:
            bind.execute(table.insert(), rows)
            rows = []
    if rows:
        bind.execute(table.insert(), rows)


def downgrade():
    op.drop_index('ix_similar_terms_proposal_id', table_name='similar_terms')
    op.drop_table('similar_terms')
