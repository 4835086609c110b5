"""letter styles per unit and kind of item

Each unit's replies to suggestions and to proposals get their own style: 文号 printed or
not, 签发人 (none, who signed off, the principal leader), review trail, 抄送 default, class
mark (A / A类) and 信函格式. Every existing unit gets both styles in the provincial
department's layout (what the tracker printed so far) with its units.letterhead; the
column stays for now, no longer read, and is given the styles' letterhead back on downgrade.

Revision ID: 5b8e1f4c7a2d
Revises: f3c9a1b7d2e4
Create Date: 2026-11-24 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5b8e1f4c7a2d'
down_revision = 'f3c9a1b7d2e4'
branch_labels = None
depends_on = None

units = sa.table('units', sa.column('id', sa.Integer), sa.column('letterhead', sa.Boolean))
styles = sa.table(
    'letter_styles', sa.column('unit_id', sa.Integer), sa.column('kind', sa.String),
    sa.column('print_doc_number', sa.Boolean), sa.column('signer_line', sa.String),
    sa.column('print_review_trail', sa.Boolean), sa.column('cc_default', sa.Text),
    sa.column('class_mark', sa.String), sa.column('letterhead', sa.Boolean))


def upgrade():
    op.create_table(
        'letter_styles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('suggestion', 'proposal', name='itemkind', native_enum=False,
                                  length=20), nullable=False),
        sa.Column('print_doc_number', sa.Boolean(), nullable=False),
        sa.Column('signer_line', sa.Enum('none', 'signer', 'principal', name='signerline',
                                         native_enum=False, length=10), nullable=False),
        sa.Column('print_review_trail', sa.Boolean(), nullable=False),
        sa.Column('cc_default', sa.Text(), nullable=False),
        sa.Column('class_mark', sa.Enum('letter', 'letter_class', name='classmark',
                                        native_enum=False, length=20), nullable=False),
        sa.Column('letterhead', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_letter_styles_unit_id_units'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_styles')),
        sa.UniqueConstraint('unit_id', 'kind', name='uq_letter_styles_unit_kind'),
    )
    # The provincial layout, written out so that this revision does not change with the
    # presets in tracker.replies.styles.
    for kind in ('suggestion', 'proposal'):
        op.execute(styles.insert().from_select(
            ['unit_id', 'kind', 'print_doc_number', 'signer_line', 'print_review_trail',
             'cc_default', 'class_mark', 'letterhead'],
            sa.select(units.c.id, sa.literal(kind, sa.String), sa.true(),
                      sa.literal('none', sa.String), sa.true(), sa.literal('', sa.Text),
                      sa.literal('letter', sa.String), units.c.letterhead)))


def downgrade():
    # A unit prints in 信函格式 again when either of its styles did.
    op.execute(units.update().values(letterhead=sa.exists().where(
        styles.c.unit_id == units.c.id, styles.c.letterhead == sa.true())))
    op.drop_table('letter_styles')
