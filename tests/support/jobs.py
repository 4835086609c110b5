"""The job queue in the tests: its storage is in memory, and a test runs what is queued, as
the consumer would, when it wants the jobs done."""
from __future__ import annotations

from datetime import datetime

from tracker.jobs import queue

# The similar lists' upkeep (tracker.similar.jobs): queued by every registration and by item
# pages whose list is not stored yet; the tests of other jobs look past it.
UPKEEP = ("tracker.similar.jobs.refresh_lists",)


def run_jobs(app, now: datetime | None = None) -> int:
    """Run every queued job (and the scheduled ones due by now, naive UTC) in app; how many
    ran, the similar lists' upkeep not counted (UPKEEP)."""
    queue.bind(app)
    upkeep = sum(1 for name, _args in queued(upkeep=True) if name in UPKEEP)
    return queue.run_pending(now) - upkeep


def queued(*, upkeep: bool = False) -> list[tuple[str, tuple]]:
    """(job name, arguments) of what waits on the queue now, not yet run (with upkeep: the
    similar lists' jobs too)."""
    jobs = [(queue.huey._registry.task_to_string(type(t)), tuple(t.args))
            for t in queue.huey.pending()]
    return jobs if upkeep else [job for job in jobs if job[0] not in UPKEEP]


def scheduled() -> list[tuple[str, tuple]]:
    return [(queue.huey._registry.task_to_string(type(t)), tuple(t.args))
            for t in queue.huey.scheduled()]


def clear() -> None:
    """Forget what is queued and scheduled (the in-memory storage of the tests only)."""
    from huey.storage import MemoryStorage

    if isinstance(queue.huey.storage, MemoryStorage):
        queue.huey.storage.flush_all()
