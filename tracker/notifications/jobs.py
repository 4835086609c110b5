"""The notifications' jobs: sending each message, the sweep that finds messages whose job was
lost, the daily deadline reminders and the daily e-mail digests."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from huey import crontab
from huey.exceptions import RetryTask

from tracker.jobs import queue
from tracker.notifications import digest, outbox

# A message due this long ago and not held by a job has lost its job (a consumer killed,
# the queue down at the commit): the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=2)


@queue.task()
def deliver(message_id: int) -> str:
    """Send one message; a failure is retried after a growing pause, then given up."""
    try:
        return outbox.deliver_one(message_id)
    except outbox.SendFailed as exc:
        if exc.pause is None:
            raise  # every attempt failed: the run is recorded as failed
        raise RetryTask(str(exc), delay=exc.pause.total_seconds()) from exc


def queue_delivery(message_id: int, not_before: datetime | None = None) -> bool:
    """Queue the sending of a committed message (at not_before, naive UTC, when later)."""
    return queue.enqueue(deliver, message_id, eta=not_before)


def sweep_now(grace: timedelta = SWEEP_GRACE) -> int:
    """Queue again every message that should have gone and that no job holds."""
    ids = outbox.due_ids(grace)
    for message_id in ids:
        queue_delivery(message_id)
    return len(ids)


@queue.periodic(crontab(), "每分钟")
def sweep() -> int:
    """Messages whose job was lost go out all the same. While jobs wait on the queue the
    consumer is behind, not losing them: the sweep waits too (no pile of duplicates)."""
    if queue.pending_count():
        return 0
    return sweep_now()


# The daily jobs run at their hour and again each hour after it until the evening, doing
# only what is still to do that day: a consumer that was down at 7:30 catches up.
@queue.periodic(crontab(minute="30", hour=queue.cst_hours(7, 18)), "每天 7:30（至 18:30 每小时补做）")
def remind() -> int:
    """The deadline reminders of the day (due soon, overdue; the leaders of late units);
    nothing is told twice (each notice has its key)."""
    from tracker.notifications.operations import remind as run_reminders

    report = run_reminders(int(current_app.config["REMIND_DAYS"]))
    return sum(report.sent.values())


@queue.periodic(crontab(minute="0", hour=queue.cst_hours(8, 20)), "每天 8:00（至 20:00 每小时补做）")
def send_digests() -> int:
    """One e-mail a day to each person who chose the digest, with what came since the last
    (once a day: the first run of the day that finds it not done yet)."""
    return digest.daily_digests()
