"""Rating links by e-mail through a real (local) SMTP server: sent only after the issuing
transaction commits, the token made at send time and stored hashed, failures retried.

These tests need real commits, so each gets its own database (like the concurrency tests).
"""
from __future__ import annotations

import email
import hashlib
import re
import socket
import threading
from datetime import timedelta
from email import policy
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, func, select, text

from tests import factories
from tests.support.handling import latest_id, write_draft
from tests.support.jobs import queued, run_jobs
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.notifications.models import OutboxMessage
from tracker.notifications.outbox import deliver_due
from tracker.ratings.models import RatingRequest
from tracker.replies import operations as replies
from tracker.replies.models import Reply

AUTHORS = [{"name": "李华", "phone": "13912345678", "email": "lihua@example.cn"},
           {"name": "王芳", "phone": "13887654321", "email": "wangfang@example.cn"},
           {"name": "赵敏", "phone": "13700000000", "email": ""}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps every message and, when it arrives, what another
    connection to the database sees (was the issue committed before the e-mail left?)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.issued_seen: list[int] = []
        self.db_url: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        seen = None
        if self.db_url:
            engine = create_engine(self.db_url)
            try:
                with engine.connect() as conn:
                    seen = conn.execute(text(
                        "SELECT count(*) FROM replies WHERE doc_number IS NOT NULL")).scalar()
            finally:
                engine.dispose()
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.content,
                                                          policy=policy.default))
            self.issued_seen.append(seen)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 and a free port, in its own thread."""
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SimpleNamespace(recorder=recorder, port=port, controller=controller)
    finally:
        controller.stop()


def _engine_url(app) -> str:
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=False)


def signed_item(app) -> SimpleNamespace:
    """The standard world and an item by three authors (two with e-mail), signed by health."""
    with app.test_request_context():
        w = SimpleNamespace(**factories.build_world())
        proposal = factories.make_proposal(w.clerk, w.meeting, authors=[dict(a) for a in AUTHORS])
        (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
        handling.accept_assignment(assignment, w.health_clerk)
        handling.dispatch_assignment(assignment, w.health_clerk,
                                     section_id=w.health_section.id,
                                     drafter_id=w.health_drafter.id)
        write_draft(assignment, w.health_drafter)
        replies.submit_review(assignment, w.health_drafter)
        for reviewer in (w.health_first, w.health_second, w.health_final):
            replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
        replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
        db.session.commit()
        return SimpleNamespace(assignment_id=assignment.id, proposal_id=proposal.id,
                               author_ids=[a.id for a in proposal.authors])


def issue_through_the_page(app, item) -> None:
    clerk = app.test_client()
    assert clerk.login("health_clerk").status_code == 302
    response = clerk.post_form(f"/assignments/{item.assignment_id}/actions/issue")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]


def all_stored_text(app) -> str:
    """Every value of every row of every table, as text (to look for a raw token)."""
    with app.app_context():
        parts = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                parts.append(" ".join(str(v) for v in row))
        db.session.remove()
        return "\n".join(parts)


def link_token(message) -> str:
    body = message.get_content()
    match = re.search(r"http://[^\s]+/rate/([A-Za-z0-9_\-]+)", body)
    assert match, body
    return match.group(1)


def test_issuing_sends_each_author_a_personal_link_after_the_commit(live_app, smtp,
                                                                    monkeypatch):
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)
    smtp.recorder.db_url = _engine_url(live_app)
    item = signed_item(live_app)
    issue_through_the_page(live_app, item)
    recorder = smtp.recorder
    # The request sent nothing itself: one delivery job per message waits on the queue.
    assert recorder.messages == []
    assert [name for name, _ in queued()] == ["tracker.notifications.jobs.deliver"] * 2
    run_jobs(live_app)

    assert sorted(e.rcpt_tos[0] for e in recorder.envelopes) == [
        "lihua@example.cn", "wangfang@example.cn"]  # 赵敏 has no address
    # Another connection already saw the issued reply when each message arrived.
    assert recorder.issued_seen == [1, 1]
    tokens = {}
    for message in recorder.messages:
        body = message.get_content()
        assert message["Subject"].startswith("请对关于加强基层卫生人才队伍建设的建议的答复进行评价")
        assert "吉卫复议字〔" in body and "省卫生健康委员会" in body
        tokens[message["To"]] = link_token(message)
    assert len(set(tokens.values())) == 2 and all(len(t) == 20 for t in tokens.values())
    with live_app.app_context():
        links = db.session.scalars(select(RatingRequest).order_by(RatingRequest.id)).all()
        assert {link.channel for link in links} == {"email"}
        hashes = {link.token_hash: link.author_id for link in links}
        for address, token in tokens.items():
            author_id = hashes[hashlib.sha256(token.encode()).hexdigest()]
            assert AUTHORS[item.author_ids.index(author_id)]["email"] == address
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert len(messages) == 2
        assert all(m.sent_at is not None and m.attempts == 1 and m.last_error == ""
                   for m in messages)
        # Each link the system made at send time is in the audit log, with why.
        minted = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "rating_link_minted")).all()
        assert sorted(details_of(e)["link_id"] for e in minted) == [link.id for link in links]
        assert all(e.actor_id is None and e.actor_name == "系统"
                   and details_of(e)["reason"] == "发文后通过电子邮件发送评价链接"
                   for e in minted)
        db.session.remove()
    stored = all_stored_text(live_app)
    for token in tokens.values():
        assert token not in stored  # only the hash is kept
    # The link works on the public page.
    page = live_app.test_client().get(f"/rate/{tokens['lihua@example.cn']}")
    assert page.status_code == 200 and "李华" in page.get_data(as_text=True)


def test_a_failing_server_leaves_the_message_for_a_later_retry(live_app, smtp, monkeypatch):
    closed_port = free_port()  # nothing listens there
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", closed_port)
    monkeypatch.setitem(live_app.config, "SMTP_TIMEOUT", 3)
    item = signed_item(live_app)
    issue_through_the_page(live_app, item)  # the reply is issued all the same
    run_jobs(live_app)  # the consumer tries, and fails
    with live_app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "replied"
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert len(messages) == 2
        for m in messages:
            assert m.sent_at is None and m.attempts == 1
            assert "ConnectionRefusedError" in m.last_error or "OSError" in m.last_error
            assert m.next_attempt_at > utcnow() + timedelta(seconds=50)  # a minute's pause
        # The token made for the failed message was rolled back with it.
        assert db.session.scalar(select(func.count()).select_from(RatingRequest)) == 0
        db.session.remove()
    assert smtp.recorder.messages == []

    runner = live_app.test_cli_runner()
    listing = runner.invoke(args=["outbox", "list"])
    assert listing.exit_code == 0
    assert "lihua@example.cn" in listing.output and "待重试（已尝试 1 次" in listing.output
    assert "共 2 条，其中未发送 2 条" in listing.output

    # The server is back; the messages are not due yet, then they are.
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "已发送 0 封，发送失败 0 封" in result.output
    with live_app.app_context():
        for m in db.session.scalars(select(OutboxMessage)):
            m.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0 and "已发送 2 封，发送失败 0 封" in result.output
    assert sorted(e.rcpt_tos[0] for e in smtp.recorder.envelopes) == [
        "lihua@example.cn", "wangfang@example.cn"]
    with live_app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        assert all(m.sent_at is not None and m.attempts == 2 for m in messages)
        hashes = set(db.session.scalars(select(RatingRequest.token_hash)))
        db.session.remove()
    for message in smtp.recorder.messages:
        assert hashlib.sha256(link_token(message).encode()).hexdigest() in hashes
    listing = runner.invoke(args=["outbox", "list"])
    assert "没有待发送的消息" in listing.output
    assert "已发送" in runner.invoke(args=["outbox", "list", "--all"]).output
    # Sending again sends nothing twice, nor do the queue's own retries when they come.
    assert "已发送 0 封" in runner.invoke(args=["outbox", "send"]).output
    assert run_jobs(live_app, now=utcnow() + timedelta(hours=3)) == 2
    assert len(smtp.recorder.messages) == 2


def test_a_failed_send_is_reported_by_the_command(live_app, monkeypatch):
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "")
    item = signed_item(live_app)
    issue_through_the_page(live_app, item)  # no server configured: the messages wait
    runner = live_app.test_cli_runner()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1 and "未配置邮件服务器" in result.output
    assert "待发送" in runner.invoke(args=["outbox", "list"]).output
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(live_app.config, "SMTP_TIMEOUT", 3)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1 and "已发送 0 封，发送失败 2 封" in result.output


def test_a_rolled_back_transaction_sends_nothing(live_app, smtp, monkeypatch):
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)
    item = signed_item(live_app)
    # Issued in a request whose transaction is rolled back: the queued messages go with it.
    with live_app.test_request_context(method="POST"):
        from tracker.accounts.models import User

        assignment = db.session.get(Assignment, item.assignment_id)
        clerk = db.session.scalar(select(User).where(User.username == "health_clerk"))
        replies.issue_reply(assignment, clerk)
        db.session.flush()
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
        db.session.rollback()
        db.session.commit()  # a later commit in the same request carries nothing along
    # A failing letter render: the page answers 503, nothing is issued and nothing sent.
    import tracker.letters

    def broken(data, timeout=None):
        raise RuntimeError("字体缺失")

    monkeypatch.setattr(tracker.letters, "render_letter_report", broken)
    clerk = live_app.test_client()
    clerk.login("health_clerk")
    response = clerk.post_form(f"/assignments/{item.assignment_id}/actions/issue")
    assert response.status_code == 503
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert db.session.scalar(select(Reply.doc_number)) is None
        assert deliver_due() == (0, 0)
        db.session.remove()
    assert smtp.recorder.messages == []


def test_delivery_never_commits_what_its_caller_left_uncommitted(live_app, smtp, monkeypatch):
    # deliver_due used to start with a commit: anything a request left pending rode along.
    from tracker.core.models import Setting

    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)
    with live_app.app_context():
        db.session.add(Setting(key="left_pending", value="x"))
        db.session.flush()
        assert deliver_due() == (0, 0)
        db.session.remove()
    with live_app.app_context():
        assert db.session.get(Setting, "left_pending") is None
        db.session.remove()
