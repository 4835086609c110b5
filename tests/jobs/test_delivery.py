"""Sending off the request path: a page never talks to the mail server, a message that
cannot go is retried with a growing pause, then shown to the administrators, who send it
again; the queue's runs are recorded for their page."""
from __future__ import annotations

import socket
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests import factories
from tests.ratings.test_outbox_smtp import free_port, smtp  # noqa: F401  (the fixture)
from tests.support.handling import bring_to
from tests.support.jobs import queued, run_jobs, scheduled
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun
from tracker.notifications.models import OutboxMessage
from tracker.notifications.outbox import MAX_ATTEMPTS

DELIVER = "tracker.notifications.jobs.deliver"


class Blackhole:
    """A TCP server that accepts connections and never answers: an SMTP client that talked
    to it would hang until its timeout. It counts the connections it was offered."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def blackhole():
    server = Blackhole()
    yield server
    server.close()


def _world_with_addresses(app) -> int:
    with app.test_request_context():
        w = SimpleNamespace(**factories.build_world())
        assignment = bring_to(w, "drafting")
        w.clerk.email = "jiaoban@office.example"
        w.health_clerk.email = "lly@health.example"
        db.session.commit()
        return assignment.id


def _ask_extension(app, assignment_id: int):
    health = app.test_client()
    health.login("health_clerk")
    return health.post_form(f"/assignments/{assignment_id}/actions/request_extension",
                            {"reason": "需赴基层调研", "one_month": "y"})


def _messages(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return rows


def test_pages_never_talk_to_the_mail_server_and_nothing_is_lost(
        live_app, blackhole, smtp, monkeypatch):  # noqa: F811
    # The mail server "hangs" (accepts, never answers): had the request path sent the mail
    # itself, the page would wait for SMTP_TIMEOUT and the server would count a connection.
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", blackhole.port)
    monkeypatch.setitem(live_app.config, "SMTP_TIMEOUT", 2)
    aid = _world_with_addresses(live_app)
    response = _ask_extension(live_app, aid)
    assert response.status_code == 302
    assert blackhole.connections == 0
    [message] = _messages(live_app)
    assert message.recipient == "jiaoban@office.example" and message.sent_at is None
    assert queued() == [(DELIVER, (message.id,))]
    # Pages read meanwhile do not send either.
    clerk = live_app.test_client()
    clerk.login("clerk")
    assert clerk.get("/").status_code == 200
    assert clerk.get("/notifications").status_code == 200
    assert blackhole.connections == 0

    # The mail server comes back; the consumer sends what waited, once.
    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)
    run_jobs(live_app)
    [mail] = smtp.recorder.messages
    assert mail["To"] == "jiaoban@office.example"
    assert run_jobs(live_app) == 0 and len(smtp.recorder.messages) == 1
    assert all(m.sent_at is not None for m in _messages(live_app))


def test_a_message_that_cannot_go_is_retried_then_shown_and_sent_again_by_hand(
        live_app, smtp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(live_app.config, "SMTP_TIMEOUT", 2)
    aid = _world_with_addresses(live_app)
    assert _ask_extension(live_app, aid).status_code == 302

    # The first attempt fails: the next waits a minute, in the queue's schedule.
    run_jobs(live_app)
    [message] = _messages(live_app)
    assert message.attempts == 1 and message.failed_at is None
    assert "ConnectionRefusedError" in message.last_error
    pause = message.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < pause <= timedelta(seconds=60)
    assert scheduled() == [(DELIVER, (message.id,))]
    # Each later pause doubles: 2, 4, 8 … minutes, as the queue schedules it.
    pauses = []
    for _ in range(MAX_ATTEMPTS - 1):
        with live_app.app_context():
            row = db.session.get(OutboxMessage, message.id)
            due = row.next_attempt_at
            row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the pause has passed
            db.session.commit()
            db.session.remove()
        run_jobs(live_app, now=due + timedelta(seconds=1))
        now_row = _messages(live_app)[0]
        if now_row.failed_at is None:
            pauses.append(round((now_row.next_attempt_at - utcnow()).total_seconds() / 60))
    assert pauses == [2, 4, 8, 16, 32, 64]
    [given_up] = _messages(live_app)
    assert given_up.attempts == MAX_ATTEMPTS and given_up.failed_at is not None
    assert given_up.sent_at is None and scheduled() == [] and queued() == []
    with live_app.app_context():
        statuses = [r.status for r in db.session.scalars(
            select(JobRun).where(JobRun.task == DELIVER).order_by(JobRun.id))]
        db.session.remove()
    assert statuses == [JobStatus.retrying] * (MAX_ATTEMPTS - 1) + [JobStatus.failed]

    # The administrators' page shows it, with the error and a button to send it again.
    admin = live_app.test_client()
    admin.login("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "发送失败的消息" in page and "jiaoban@office.example" in page
    assert "ConnectionRefusedError" in page and f"/admin/jobs/messages/{message.id}/retry" in page
    assert "发送一条邮件或短信" in page  # the failed job, by what it does
    # Someone else may not.
    other = live_app.test_client()
    other.login("clerk")
    assert other.post_form(f"/admin/jobs/messages/{message.id}/retry").status_code == 403

    monkeypatch.setitem(live_app.config, "SMTP_PORT", smtp.port)  # the server is back
    response = admin.post_form(f"/admin/jobs/messages/{message.id}/retry")
    assert response.status_code == 302
    assert queued() == [(DELIVER, (message.id,))]
    run_jobs(live_app)
    [mail] = smtp.recorder.messages
    assert mail["To"] == "jiaoban@office.example"
    [sent] = _messages(live_app)
    assert sent.sent_at is not None and sent.failed_at is None
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "jiaoban@office.example" not in page.split("失败的任务")[0]


def test_a_failed_job_is_retried_or_dismissed_from_the_page(live_app):
    with live_app.app_context():
        failed = JobRun(task="tracker.notifications.jobs.send_digests", args="[]",
                        status=JobStatus.failed, error="OperationalError: database is locked",
                        periodic=True)
        unknown = JobRun(task="tracker.gone.job", args="[]", status=JobStatus.failed,
                         error="x")
        db.session.add_all([failed, unknown])
        db.session.commit()
        failed_id, unknown_id = failed.id, unknown.id
        db.session.remove()
    with live_app.test_request_context():
        factories.build_world()
        db.session.commit()
    admin = live_app.test_client()
    admin.login("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "每日通知汇总邮件" in page and "database is locked" in page
    assert admin.post_form(f"/admin/jobs/runs/{failed_id}/retry").status_code == 302
    assert queued() == [("tracker.notifications.jobs.send_digests", ())]
    assert run_jobs(live_app) == 1
    # Retried once: a second press finds nothing to retry.
    assert admin.post_form(f"/admin/jobs/runs/{failed_id}/retry").status_code == 404
    assert admin.post_form(f"/admin/jobs/runs/{unknown_id}/dismiss").status_code == 302
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "database is locked" not in page.split("最近运行")[0]
    with live_app.app_context():
        last = db.session.scalars(select(JobRun).where(
            JobRun.task == "tracker.notifications.jobs.send_digests")
            .order_by(JobRun.id.desc())).first()
        assert last.status == JobStatus.done
        db.session.remove()


def test_the_page_shows_the_last_run_of_each_periodic_job(live_app):
    from tracker.jobs import queue
    from tracker.notifications import jobs

    with live_app.test_request_context():
        factories.build_world()
        db.session.commit()
    admin = live_app.test_client()
    admin.login("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert page.count("尚未运行") == len(queue.PERIODIC)
    queue.enqueue(jobs.remind)
    run_jobs(live_app)
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert page.count("尚未运行") == len(queue.PERIODIC) - 1
    assert "期限提醒与超时预警" in page and "每天 7:30" in page
