"""The queue's upkeep and the guards on sending: what a killed consumer left is closed, stuck
print batches are resumed, a message is sent again only once it was given up, the digest
goes once a day, and a disabled leader is replaced by the unit's signers."""
from __future__ import annotations

import socket
from datetime import timedelta

from sqlalchemy import select, update

from tests.support.handling import bring_to
from tests.support.jobs import queued
from tracker.core.models import Setting
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.jobs import queue
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun
from tracker.notifications import digest, outbox
from tracker.notifications.choices import NotificationKind
from tracker.notifications.models import OutboxMessage
from tracker.notifications.operations import notify_people, unit_leaders


def _dead_pid() -> int:
    """A pid no process has now (a child that has exited)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_consumer_closes_the_runs_of_killed_consumers_of_its_machine_only(w):
    host = socket.gethostname()
    dead = JobRun(task="t.a", worker=f"{host}:{_dead_pid()}", status=JobStatus.running)
    alive = JobRun(task="t.b", worker=queue.WORKER, status=JobStatus.running)
    elsewhere = JobRun(task="t.c", worker="other-host:1", status=JobStatus.running)
    db.session.add_all([dead, alive, elsewhere])
    db.session.flush()
    assert queue.mark_dead_runs() == 1
    db.session.expire_all()
    assert [r.status for r in (dead, alive, elsewhere)] == [
        JobStatus.interrupted, JobStatus.running, JobStatus.running]


def test_only_a_message_given_up_is_sent_again(w):
    waiting = OutboxMessage(kind="notice", recipient="a@b.example", subject="s", body="b",
                            claimed_until=utcnow() + timedelta(minutes=5))
    given_up = OutboxMessage(kind="notice", recipient="a@b.example", subject="s", body="b",
                             attempts=8, failed_at=utcnow())
    db.session.add_all([waiting, given_up])
    db.session.flush()
    # A message a job may be sending right now keeps its hold.
    assert outbox.send_again(waiting.id) is False
    assert outbox.send_again(given_up.id) is True
    db.session.expire_all()
    assert waiting.claimed_until is not None
    assert (given_up.failed_at, given_up.attempts, given_up.claimed_until) == (None, 0, None)


def test_the_digest_goes_once_a_day(w):
    w.health_drafter.email = "drafter@health.example"
    from tracker.notifications.operations import save_settings

    save_settings(w.health_drafter, channels={}, digest=True, quiet_from="22:00",
                  quiet_until="07:00")
    notify_people([w.health_drafter], NotificationKind.dispatched, "第1号已交由您承办", key="x")
    assert digest.daily_digests() == 1
    notify_people([w.health_drafter], NotificationKind.dispatched, "第2号已交由您承办", key="y")
    # The hourly catch-up of the same day sends nothing; the next day's run sends it.
    assert digest.daily_digests() == 0
    db.session.execute(update(Setting).where(Setting.key == digest.LAST_RUN)
                       .values(value="2000-01-01"))
    assert digest.daily_digests() == 1


def test_a_disabled_principal_leader_is_replaced_by_the_signers(w):
    assert [u.username for u in unit_leaders(w.health)] == ["health_leader"]
    w.health_leader.is_enabled = False
    db.session.flush()
    assert [u.username for u in unit_leaders(w.health)] == ["health_signer"]


def test_a_print_batch_whose_job_was_lost_is_queued_again(w):
    from tracker.ratings.batch import resume_batches
    from tracker.ratings.choices import PrintStatus
    from tracker.ratings.models import PrintBatch

    bring_to(w, "drafting")
    old = PrintBatch(requested_by_id=w.clerk.id, meeting_id=w.meeting.id,
                     status=PrintStatus.running, created_at=utcnow() - timedelta(hours=1))
    fresh = PrintBatch(requested_by_id=w.clerk.id, meeting_id=w.meeting.id,
                       status=PrintStatus.queued)
    done = PrintBatch(requested_by_id=w.clerk.id, meeting_id=w.meeting.id,
                      status=PrintStatus.done, created_at=utcnow() - timedelta(hours=1))
    db.session.add_all([old, fresh, done])
    db.session.flush()
    assert resume_batches.func.__wrapped__() == 1  # the job's own code, in this transaction
    assert [job for job in queued() if job[0] == "tracker.ratings.batch.render_batch"] == [
        ("tracker.ratings.batch.render_batch", (old.id,))]
    assert db.session.scalar(select(PrintBatch.status).where(PrintBatch.id == done.id)) == \
        PrintStatus.done
