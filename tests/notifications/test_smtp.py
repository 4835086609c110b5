"""Reminders and extension notices through a real (local) SMTP server: each sent once, only
after the transaction that wrote it has committed. Each test has its own database."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from tests import factories
from tests.ratings.test_outbox_smtp import smtp  # noqa: F401  (the fixture)
from tests.support.handling import bring_to
from tests.support.jobs import run_jobs
from tests.support.notifications import counts, set_due
from tracker.core.time import today
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage


def _configure(app, smtp, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)


def test_the_reminder_command_mails_each_reminder_once(live_app, smtp, monkeypatch):  # noqa: F811
    _configure(live_app, smtp, monkeypatch)
    with live_app.test_request_context():
        w = SimpleNamespace(**factories.build_world())
        drafting = bring_to(w, "drafting")
        review = bring_to(w, "first_review")
        other = bring_to(w, "second_review")  # its reviewer has no address
        for assignment in (drafting, review, other):
            set_due(assignment, today())
        w.health_drafter.email = "drafter@health.example"
        w.health_first.email = "first@health.example"
        db.session.commit()

    runner = live_app.test_cli_runner()
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "即将到期：已发送站内通知 6 条" in result.output  # each with the unit's clerk
    assert "已通知 4 人" in result.output
    recorder = smtp.recorder
    assert recorder.messages == []  # the command only wrote them; the queue sends them
    run_jobs(live_app)
    assert sorted(e.rcpt_tos[0] for e in recorder.envelopes) == [
        "drafter@health.example", "first@health.example"]
    for message in recorder.messages:
        assert message["Subject"] == "【建议提案办理系统】您有 1 件即将到期的建议提案"
        assert "关于加强基层卫生人才队伍建设的建议" in message.get_content()
    with live_app.app_context():
        after_first = counts()
        assert after_first == (6, 2)
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))) == 0
        db.session.remove()

    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "即将到期：已发送站内通知 0 条" in result.output
    assert "已通知 0 人" in result.output
    run_jobs(live_app)
    assert len(recorder.messages) == 2
    with live_app.app_context():
        assert counts() == after_first
        db.session.remove()


def test_extension_notices_are_mailed_after_the_commit(live_app, smtp, monkeypatch):  # noqa: F811
    _configure(live_app, smtp, monkeypatch)
    with live_app.test_request_context():
        w = SimpleNamespace(**factories.build_world())
        assignment = bring_to(w, "drafting")
        w.clerk.email = "jiaoban@office.example"
        w.health_clerk.email = "lly@health.example"
        db.session.commit()
        aid = assignment.id

    health = live_app.test_client()
    health.login("health_clerk")
    response = health.post_form(f"/assignments/{aid}/actions/request_extension",
                                {"reason": "需赴基层调研", "one_month": "y"})
    assert response.status_code == 302
    assert smtp.recorder.messages == []
    run_jobs(live_app)
    [asked] = smtp.recorder.messages
    assert asked["To"] == "jiaoban@office.example"
    assert asked["Subject"].startswith("【建议提案办理系统】延期申请待审批：第")
    assert "申请将期限由" in asked.get_content() and "需赴基层调研" in asked.get_content()

    clerk = live_app.test_client()
    clerk.login("clerk")
    response = clerk.post_form(f"/assignments/{aid}/actions/reject_extension",
                               {"reason": "期限充足"})
    assert response.status_code == 302
    run_jobs(live_app)
    assert [m["To"] for m in smtp.recorder.messages] == [
        "jiaoban@office.example", "lly@health.example"]  # the drafter has no address
    decided = smtp.recorder.messages[1]
    assert decided["Subject"].startswith("【建议提案办理系统】不同意延期：第")
    assert "期限充足" in decided.get_content()
