"""The commitments' daily job: warn the units of commitments past their day."""
from __future__ import annotations

from huey import crontab

from tracker.jobs import queue


@queue.periodic(crontab(minute="40", hour=queue.cst_hours(7, 18)), "每天 7:40（至 18:40 每小时补做）")
def warn_overdue_commitments() -> int:
    """Tell each unit's clerks of its overdue commitments; nothing is told twice (each notice
    has its key), so the hourly catch-up runs only tell what is new."""
    from tracker.commitments.operations import warn_overdue

    return warn_overdue()
