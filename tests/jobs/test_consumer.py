"""The real consumer (`flask jobs worker`, a separate process) on a real queue storage (a
SQLite file; on the PostgreSQL run, tables in the test's PostgreSQL schema): work made while
no consumer runs waits for it, and a consumer killed in the middle of sending leaves the
message to be sent, once, by the next one."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests import factories
from tests.ratings.test_outbox_smtp import Recorder, free_port
from tests.support.base import ON_POSTGRES, TEST_SECRET
from tests.support.handling import bring_to
from tests.support.jobs import queued
from tracker.extensions import db
from tracker.jobs import queue
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun
from tracker.notifications.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


class StallingRecorder(Recorder):
    """Holds the first message's DATA (the consumer is then in the middle of sending it) and
    never accepts it; every later message is taken and recorded."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.first = True

    async def handle_DATA(self, server, session, envelope):
        if self.first:
            self.first = False
            self.stalled.set()
            await asyncio.sleep(30)
            return "451 4.3.0 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def stalling_smtp():
    from aiosmtpd.controller import Controller

    recorder = StallingRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SimpleNamespace(recorder=recorder, port=port)
    finally:
        controller.stop()


def _consumer(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _message(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        found = db.session.get(OutboxMessage, message_id)
        db.session.expunge(found)
        db.session.remove()
        return found


def test_a_consumer_killed_mid_send_leaves_the_message_to_the_next_one(
        live_app, stalling_smtp, tmp_path, monkeypatch):
    url = live_app.config["DATABASE_URL"]
    queue_url = url if ON_POSTGRES else f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    # The web side queues into the same storage as the consumer.
    monkeypatch.setitem(live_app.config, "QUEUE_URL", queue_url)
    monkeypatch.setitem(live_app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(live_app.config, "SMTP_PORT", stalling_smtp.port)
    queue.configure(live_app)
    try:
        with live_app.test_request_context():
            w = SimpleNamespace(**factories.build_world())
            assignment = bring_to(w, "drafting")
            w.clerk.email = "jiaoban@office.example"
            db.session.commit()
            aid = assignment.id
        # A request writes a notice for the supervising clerk; no consumer runs yet.
        health = live_app.test_client()
        health.login("health_clerk")
        response = health.post_form(f"/assignments/{aid}/actions/request_extension",
                                    {"reason": "需赴基层调研", "one_month": "y"})
        assert response.status_code == 302
        with live_app.app_context():
            [message_id] = db.session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.recipient == "jiaoban@office.example")).all()
            db.session.remove()
        # The job waits in the queue's storage.
        assert queued() == [("tracker.notifications.jobs.deliver", (message_id,))]

        env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_QUEUE_URL": queue_url,
               "TRACKER_SECRET_KEY": TEST_SECRET, "TRACKER_ENV": "development",
               "TRACKER_INSTANCE_DIR": str(tmp_path / "instance"),
               "TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(stalling_smtp.port),
               "TRACKER_JOB_LEASE_SECONDS": "2", "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("TRACKER_TEST_DATABASE_URL", None)
        first = _consumer(env)
        try:
            # The consumer took the job and is in the middle of the SMTP conversation.
            assert stalling_smtp.recorder.stalled.wait(30), "the consumer never sent"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        held = _message(live_app, message_id)
        assert held.sent_at is None and held.claimed_until is not None
        assert stalling_smtp.recorder.messages == []
        # The queue lost the job with the process (the consumer took it off the queue) …
        assert ("tracker.notifications.jobs.deliver", (message_id,)) not in queued()
        assert "待发送消息 0 条已排队" in first.stdout.read()  # (nothing left over then)

        time.sleep(2.5)  # … and the dead consumer's hold on the message runs out
        second = _consumer(env)
        try:
            _wait(lambda: _message(live_app, message_id).sent_at is not None, 40,
                  "the next consumer to send the message")
            time.sleep(1)  # anything sent twice would arrive now
        finally:
            os.killpg(second.pid, signal.SIGINT)  # a graceful stop
            output = second.communicate(timeout=20)[0]
        assert "待发送消息 1 条已排队" in output, output
        [mail] = stalling_smtp.recorder.messages
        assert mail["To"] == "jiaoban@office.example"
        assert mail["Subject"].startswith("【建议提案办理系统】延期申请待审批：第")
        assert mail["Message-ID"] == f"<outbox-{message_id}@localhost>"
        sent = _message(live_app, message_id)
        assert sent.attempts == 1 and sent.claimed_until is None
        with live_app.app_context():
            runs = db.session.scalars(select(JobRun).where(
                JobRun.task == "tracker.notifications.jobs.deliver").order_by(JobRun.id)).all()
            # The killed run is closed as interrupted by the next consumer; then the one that
            # sent (and any that came later found it sent: one mail all the same).
            assert runs[0].status == JobStatus.interrupted
            assert runs[1:] and all(r.status == JobStatus.done for r in runs[1:])
            db.session.remove()
    finally:
        monkeypatch.setitem(live_app.config, "QUEUE_URL", "memory://")
        queue.configure(live_app)
