"""the leader role (领导批示)

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op

revision = 'b8c9d0e1f2a3'
down_revision = 'a7b8c9d0e1f2'
branch_labels = None
depends_on = None

OLD_ROLES = ('supervisor', 'unit_clerk', 'drafter', 'reviewer_first', 'reviewer_second',
             'reviewer_final', 'signer', 'admin')
ROLES = OLD_ROLES + ('leader',)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _roles(values):
    with op.batch_alter_table('user_roles') as batch:
        batch.drop_constraint(op.f('ck_user_roles_role_known'), type_='check')
        batch.create_check_constraint(op.f('ck_user_roles_role_known'), _in('role', values))


def upgrade():
    _roles(ROLES)


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'leader'")
    _roles(OLD_ROLES)
