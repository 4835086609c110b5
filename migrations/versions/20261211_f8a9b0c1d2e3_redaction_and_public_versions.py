"""redaction rules kept by the administrator (with the default ones) and the words a reviewer
marks for removal from the public text

Revision ID: f8a9b0c1d2e3
Revises: e7f8a9b0c1d2
Create Date: 2026-12-11 10:00:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'f8a9b0c1d2e3'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None


# The rules a new installation starts with (tracker.publication.redaction.DEFAULT_RULES as
# it was when this revision was written).
DEFAULT_RULES = (
    ("手机号码", r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"),
    ("固定电话", r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[-－—]?)\d{7,8}(?:[-－]\d{1,6})?(?!\d)"),
    ("电子邮箱", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    ("身份证号码",
     r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
     r"\d{3}[\dXx](?![0-9A-Za-z])"),
    # (a card number begins with 3–6; an 18-digit 统一社会信用代码 or a 索引号 is left alone)
    ("银行卡号", r"(?<![\d/])[3-6]\d{3}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![\d/])"),
    ("通讯地址",
     r"(?<=(?:地址|住址|住所|家住|现住|寄至)[:：]?\s{0,2})[\p{Han}\d\-（）()]{4,60}?"
     r"(?:号|室|栋|幢|楼|单元)(?:[\p{Han}\d\-]{0,20}?(?:室|栋|幢|楼|单元))*"),
    ("邮政编码", r"(?<=邮编[:：]?\s{0,2})\d{6}(?!\d)"),
)


def upgrade():
    rules = op.create_table(
        'redaction_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(40), nullable=False),
        sa.Column('pattern', sa.String(500), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_redaction_rules_name_not_empty')),
        sa.CheckConstraint('length(pattern) > 0', name=op.f('ck_redaction_rules_pattern_not_empty')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_redaction_rules_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction_rules')),
        sa.UniqueConstraint('name', name=op.f('uq_redaction_rules_name')),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(rules, [dict(name=name, pattern=pattern, position=n, is_active=True,
                                updated_at=now)
                           for n, (name, pattern) in enumerate(DEFAULT_RULES, start=1)])
    with op.batch_alter_table('review_decisions') as batch_op:
        batch_op.add_column(sa.Column('redact_words', sa.Text(), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('review_decisions') as batch_op:
        batch_op.drop_column('redact_words')
    op.drop_table('redaction_rules')
