import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tests.support.base import ON_POSTGRES
from tracker.audit import log as audit
from tracker.audit.models import AuditEvent
from tracker.extensions import db


def _some_events(n=3):
    for i in range(n):
        audit.record("test_event", details={"i": i}, actor_name="测试")
    db.session.flush()


def test_chain_verifies_when_untouched(ctx):
    _some_events()
    report = audit.verify_chain()
    assert report.ok, report.problems
    assert report.count >= 3


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET outcome = 'x'",
    "DELETE FROM audit_events",
])
def test_audit_table_refuses_update_and_delete(ctx, statement):
    _some_events(1)
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text(statement))


def _disable_guards():
    if ON_POSTGRES:
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_tampered_row_is_detected(ctx):
    _some_events(3)
    target = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "test_event").order_by(AuditEvent.seq)
    ).first()
    _disable_guards()  # an attacker with database access, bypassing the triggers
    db.session.execute(text("UPDATE audit_events SET details = :d WHERE id = :id"),
                       {"d": '{"i":99}', "id": target.id})
    db.session.expire_all()
    report = audit.verify_chain()
    assert not report.ok
    assert any(f"第 {target.seq} 条" in p for p in report.problems)


def test_deleted_last_row_is_detected(ctx):
    _some_events(2)
    last = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    _disable_guards()
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last.id})
    db.session.expire_all()
    assert not audit.verify_chain().ok


def test_verify_command_exit_codes(app, ctx):
    _some_events(2)
    db.session.commit()
    runner = CliRunner()
    from tracker.cli import audit_verify

    ok = app.test_cli_runner().invoke(audit_verify)
    assert ok.exit_code == 0 and "校验通过" in ok.output
    _disable_guards()
    db.session.execute(text("UPDATE audit_events SET actor_name = '篡改' WHERE seq = 1"))
    db.session.commit()
    bad = app.test_cli_runner().invoke(audit_verify)
    assert bad.exit_code == 1
    assert "第 1 条事件的内容已被改动" in bad.output
    del runner
