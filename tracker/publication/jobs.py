"""The daily warning of overdue publications."""
from __future__ import annotations

from huey import crontab

from tracker.jobs import queue


@queue.periodic(crontab(minute="40", hour=queue.cst_hours(7, 18)), "每天 7:40（至 18:40 每小时补做）")
def warn_overdue_publications() -> int:
    """Units whose replies are past their publication day are told (once per reply)."""
    from tracker.publication.deadlines import warn

    return warn()
