"""The job queue in the tests: its storage is in memory, and a test runs what is queued, as
the consumer would, when it wants the jobs done."""
from __future__ import annotations

from datetime import datetime

from tracker.jobs import queue


def run_jobs(app, now: datetime | None = None) -> int:
    """Run every queued job (and the scheduled ones due by now, naive UTC) in app."""
    queue.bind(app)
    return queue.run_pending(now)


def queued() -> list[tuple[str, tuple]]:
    """(job name, arguments) of what waits on the queue now, not yet run."""
    return [(queue.huey._registry.task_to_string(type(t)), tuple(t.args))
            for t in queue.huey.pending()]


def scheduled() -> list[tuple[str, tuple]]:
    return [(queue.huey._registry.task_to_string(type(t)), tuple(t.args))
            for t in queue.huey.scheduled()]


def drop_pending() -> None:
    """Take every waiting job off the queue without running it (any storage)."""
    queue.huey.storage.flush_queue()


def clear() -> None:
    """Forget what is queued and scheduled (the in-memory storage of the tests only)."""
    from huey.storage import MemoryStorage

    if isinstance(queue.huey.storage, MemoryStorage):
        queue.huey.storage.flush_all()
