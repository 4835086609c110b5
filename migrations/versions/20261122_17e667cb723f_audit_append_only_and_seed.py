"""audit log append-only, chain head, official holidays

Revision ID: 17e667cb723f
Revises: f03798ff87c3
Create Date: 2026-11-22 22:36:46.545241

"""
import sqlalchemy as sa
from alembic import op

from tracker.workdays.holidays import OFFICIAL

# revision identifiers, used by Alembic.
revision = '17e667cb723f'
down_revision = 'f03798ff87c3'
branch_labels = None
depends_on = None


GENESIS = "0" * 64
GUARDED = ("UPDATE", "DELETE")


def upgrade():
    bind = op.get_bind()
    # The audit log is append-only at the database level: UPDATE, DELETE (and on
    # PostgreSQL TRUNCATE) are refused whoever asks.
    if bind.dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_events_refuse() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_events_append_only
            BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()
        """)
        op.execute("""
            CREATE TRIGGER audit_events_no_truncate
            BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()
        """)
    else:
        for verb in GUARDED:
            op.execute(f"""
                CREATE TRIGGER audit_events_no_{verb.lower()}
                BEFORE {verb} ON audit_events
                BEGIN
                    SELECT RAISE(ABORT, 'audit_events is append-only ({verb} refused)');
                END
            """)

    head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                    sa.column("last_hash", sa.String))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "last_hash": GENESIS}])

    days = sa.table("calendar_days", sa.column("day", sa.Date),
                    sa.column("is_workday", sa.Boolean), sa.column("note", sa.String))
    op.bulk_insert(days, [{"day": d, "is_workday": w, "note": n} for d, w, n in OFFICIAL])


def downgrade():
    bind = op.get_bind()
    op.execute("DELETE FROM calendar_days")
    op.execute("DELETE FROM audit_head")
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse()")
    else:
        for verb in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
