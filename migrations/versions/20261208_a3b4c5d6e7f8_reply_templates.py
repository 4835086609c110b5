"""reply templates (答复模板) per unit

A unit's reusable reply text: an opening (开头语), a closing (结束语), a 下一步工作
paragraph or a whole model reply (整篇范文), with placeholders filled from the item when a
drafter applies it; unit_id NULL for the office-wide defaults the administrator keeps.
Templates are deactivated, never deleted by the pages.

Revision ID: a3b4c5d6e7f8
Revises: f2a3b4c5d6e7
Create Date: 2026-12-08 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = 'a3b4c5d6e7f8'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reply_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('opening', 'closing', 'next_steps', 'model')",
                           name=op.f('ck_reply_templates_kind_known')),
        sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_reply_templates_name_not_empty')),
        sa.CheckConstraint('length(trim(text)) > 0', name=op.f('ck_reply_templates_text_not_empty')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ondelete='CASCADE',
                                name=op.f('fk_reply_templates_unit_id_units')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_reply_templates_created_by_id_users')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_reply_templates_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
        sa.UniqueConstraint('unit_id', 'kind', 'name', name='uq_reply_templates_unit_kind_name'),
    )
    op.create_index(op.f('ix_reply_templates_unit_id'), 'reply_templates', ['unit_id'])


def downgrade():
    op.drop_index(op.f('ix_reply_templates_unit_id'), table_name='reply_templates')
    op.drop_table('reply_templates')
