"""The queue's own upkeep: old runs are pruned, runs of a consumer that died are closed."""
from __future__ import annotations

from datetime import timedelta

from huey import crontab
from sqlalchemy import delete

from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun
from tracker.jobs.queue import mark_abandoned, periodic

KEEP_DAYS = 14


@periodic(crontab(minute="17", hour="*"), "每小时")
def tidy_runs() -> None:
    """Close the runs a dead consumer left 'running'; forget finished runs after two weeks
    (failures stay until someone retries or dismisses them)."""
    mark_abandoned(timedelta(hours=1))
    db.session.execute(delete(JobRun).where(
        JobRun.status.in_([JobStatus.done, JobStatus.retrying, JobStatus.interrupted]),
        JobRun.started_at < utcnow() - timedelta(days=KEEP_DAYS)))
