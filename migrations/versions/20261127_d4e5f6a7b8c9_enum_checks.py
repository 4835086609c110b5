"""enum columns: CHECK constraints keep every state and labelled choice within its enum

The item and assignment states were free strings, and the other enum columns (roles, kinds,
contact stages, rating answers …) were checked only by the application. Each gets a CHECK
naming its allowed values. Existing rows are checked first: if any holds a value outside its
enum the upgrade stops and lists them, changing nothing.

The values are written out here (not taken from the application's enums), so this revision
keeps meaning what it meant when a later release adds a state; that release adds its own
revision widening the CHECK.

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-11-27 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

ASSIGNMENT_STATES = (
    'assigned', 'return_requested', 'returned', 'accepted', 'drafting', 'opinion_submitted',
    'first_review', 'second_review', 'final_review', 'awaiting_signature', 'signed', 'replied',
    'rated')
PROPOSAL_STATES = (
    'registered', 'assigned', 'return_requested', 'accepted', 'drafting', 'first_review',
    'second_review', 'final_review', 'awaiting_signature', 'signed', 'replied', 'rated',
    'rehandling', 'closed')
ITEM_KINDS = ('suggestion', 'proposal')
SATISFACTION = ('satisfied', 'basic', 'unsatisfied')

# table -> [(column, allowed values)]; each CHECK is named ck_<table>_<column>_known.
CHECKS = {
    'assignments': [
        ('state', ASSIGNMENT_STATES),
        ('role', ('lead', 'co', 'separate')),
        ('latest_rating', SATISFACTION),
    ],
    'proposals': [
        ('kind', ITEM_KINDS),
        ('disclosure', ('public', 'on_request', 'not_public')),
        ('state', PROPOSAL_STATES),
        ('handling_grade', ('good', 'fair', 'poor', '')),  # '' until 办结
    ],
    'meetings': [
        ('level', ('province', 'city', 'county')),
        ('body', ('npc', 'cppcc')),
    ],
    'contacts': [
        ('stage', ('before', 'during', 'after')),
        ('method', ('face', 'phone', 'meeting', 'visit', 'written', 'other')),
    ],
    'draft_versions': [
        ('reply_form', ('written', 'face', 'meeting', 'other')),
        ('disclosure', ('public', 'on_request', 'not_public')),
    ],
    'review_decisions': [
        ('level', ('first', 'second', 'final', 'sign')),
        ('decision', ('approve', 'return')),
    ],
    'doc_series': [
        ('kind', ('suggestion', 'proposal', 'co_opinion')),
    ],
    'letter_styles': [
        ('kind', ITEM_KINDS),
        ('signer_line', ('none', 'signer', 'principal')),
        ('class_mark', ('letter', 'letter_class')),
    ],
    'ratings': [
        ('handling', SATISFACTION),
        ('result', SATISFACTION),
        ('channel', ('online', 'paper')),
        ('contact_method', ('face', 'phone', 'meeting', 'visit', 'written', 'other', '')),
    ],
    'replies': [
        ('rating', SATISFACTION),
    ],
    'figure_counts': [
        ('state', ASSIGNMENT_STATES),
    ],
    'notifications': [
        ('kind', ('due_soon', 'overdue', 'extension_requested', 'extension_decided')),
    ],
    'user_roles': [
        ('role', ('supervisor', 'unit_clerk', 'drafter', 'reviewer_first', 'reviewer_second',
                  'reviewer_final', 'signer', 'admin')),
    ],
}
SHOWN = 20  # offending rows listed per column


def _condition(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _offending_rows() -> list[str]:
    """Every row whose value lies outside its column's enum, as readable lines."""
    bind = op.get_bind()
    found = []
    for table, checks in CHECKS.items():
        for column, values in checks:
            where = f"{column} IS NOT NULL AND NOT ({_condition(column, values)})"
            total = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
            if not total:
                continue
            rows = bind.execute(sa.text(
                f"SELECT id, {column} FROM {table} WHERE {where} ORDER BY id LIMIT {SHOWN}"))
            shown = ", ".join(f"id {row_id}: {value!r}" for row_id, value in rows)
            more = f" … and {total - SHOWN} more" if total > SHOWN else ""
            found.append(f"  {table}.{column} (allowed: {', '.join(values)}): {total} row(s) — "
                         f"{shown}{more}")
    return found


def upgrade():
    offending = _offending_rows()
    if offending:
        raise RuntimeError(
            "Cannot add the enum CHECK constraints: these rows hold values outside their "
            "column's enum. Correct them (or restore a consistent backup) and run the upgrade "
            "again; nothing was changed.\n" + "\n".join(offending))
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, values in checks:
                batch.create_check_constraint(op.f(f'ck_{table}_{column}_known'),
                                              _condition(column, values))


def downgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for column, _values in checks:
                batch.drop_constraint(op.f(f'ck_{table}_{column}_known'), type_='check')
