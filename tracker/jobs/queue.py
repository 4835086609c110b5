"""The job queue: Huey, with its storage chosen by TRACKER_QUEUE_URL.

- empty (the default): a SQLite file beside the database (instance/queue.sqlite3), for
  `make run` and a single machine;
- postgresql://…: tables in a PostgreSQL database (production; several consumers on
  several machines share it);
- redis://…: a Redis server (needs the `redis` package);
- memory://: in the process (the tests, which run the queue themselves with run_pending()).

Jobs are functions decorated with `task()` or `periodic()`: each runs in an application
context and commits its own work, or rolls it back and raises (Huey then retries it when the
job asked for retries). The queue keeps only the call; what a job works on lives in the
database, written in the transaction that asked for it, so a job lost with a consumer killed
mid-run is found again by the sweeps (see tracker.notifications.jobs) and nothing is lost.
Each run is recorded in job_runs by the queue's signals, for the administrators' page.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from huey import Huey, crontab
from huey import signals as S
from huey.api import PeriodicTask, TaskWrapper
from huey.storage import MemoryStorage, PostgresStorage, SqliteStorage
from sqlalchemy import event, select, update

from tracker.core.time import CST, utcnow
from tracker.extensions import db
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun

log = logging.getLogger(__name__)

huey = Huey("tracker", storage_class=MemoryStorage, results=False, utc=True)

# name -> the task, for retrying a failed run by its recorded name and arguments
TASKS: dict[str, TaskWrapper] = {}
# name -> (the periodic task, when it runs, in words)
PERIODIC: dict[str, tuple[TaskWrapper, str]] = {}

_app: Flask | None = None
# Set while a job (or the record of its run) works: its transactions write (see in_job).
_IN_JOB: ContextVar[bool] = ContextVar("in_job", default=False)


def in_job() -> bool:
    """Whether this thread is running a job: on SQLite its transactions take the write lock
    when they begin, as a writing request's do."""
    return _IN_JOB.get()


KNOWN_SCHEMES = ("memory:", "sqlite:///", "postgresql://", "postgresql+psycopg://",
                 "postgres://", "redis://", "rediss://", "unix://")


def check_url(url: str) -> None:
    """Refuse a queue URL of no known kind at start (the storage opens when first used)."""
    url = (url or "").strip()
    if url and not url.startswith(KNOWN_SCHEMES):
        raise RuntimeError(
            f"TRACKER_QUEUE_URL 应为空（SQLite 文件）、sqlite:///路径、postgresql://… 、redis://… "
            f"或 memory://，现在是「{url}」。")


def storage_for(url: str, instance_path: str):
    """The Huey storage a queue URL names (see the module's docstring)."""
    url = (url or "").strip()
    if not url:
        return SqliteStorage("tracker", filename=str(Path(instance_path) / "queue.sqlite3"))
    if url.startswith("memory:"):
        return MemoryStorage("tracker")
    if url.startswith("sqlite:///"):
        return SqliteStorage("tracker", filename=url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        dsn = "postgresql://" + url.split("://", 1)[1]
        return PostgresStorage("tracker", dsn=dsn, table_prefix="huey")
    if url.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis  # noqa: F401
            from huey.storage import RedisStorage
        except ImportError as exc:
            raise RuntimeError("TRACKER_QUEUE_URL 指向 Redis，但未安装 redis 包"
                               "（pip install redis）。") from exc
        return RedisStorage("tracker", url=url)
    check_url(url)
    raise RuntimeError(f"unsupported queue URL {url!r}")


class _LazyStorage:
    """The storage, opened when first used: an app that never queues anything (a CLI
    command, a backup) needs no queue, and a queue that is down does not stop the app from
    starting (queueing then fails, is logged, and the sweeps catch up)."""

    def __init__(self, url: str, instance_path: str):
        self._url, self._instance_path, self._storage = url, instance_path, None
        self._lock = threading.Lock()

    def _open(self):
        if self._storage is None:
            with self._lock:  # one storage (one schema check, one connection) per process
                if self._storage is None:
                    if not self._url.strip():
                        Path(self._instance_path).mkdir(parents=True, exist_ok=True)
                    self._storage = storage_for(self._url, self._instance_path)
        return self._storage

    def __getattr__(self, name):
        return getattr(self._open(), name)


def configure(app: Flask) -> None:
    """Bind the queue to this app: its storage, and the app its jobs run in."""
    global _app
    _app = app
    url = app.config.get("QUEUE_URL", "")
    if url.startswith("memory:"):
        huey.storage = MemoryStorage("tracker")
    else:
        check_url(url)
        huey.storage = _LazyStorage(url, app.instance_path)


def bind(app: Flask) -> None:
    """Run the jobs in this app from now on (the tests' run_pending, the consumer)."""
    global _app
    _app = app


def _application() -> Flask:
    if _app is None:
        raise RuntimeError("the job queue is not configured: build the app with create_app()")
    return _app


def _in_app(fn: Callable) -> Callable:
    """Run fn in an application context of its own; commit its work, or roll it back."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        token = _IN_JOB.set(True)
        try:
            with _application().app_context():
                try:
                    result = fn(*args, **kwargs)
                    db.session.commit()
                    return result
                except BaseException:
                    db.session.rollback()
                    raise
                finally:
                    db.session.remove()
        finally:
            _IN_JOB.reset(token)
    return run


def task(*, retries: int = 0, retry_delay: int = 0, retry_backoff: float = 0) -> Callable:
    """A job: calling the decorated function enqueues it (see enqueue() for the safe way)."""
    def decorator(fn: Callable) -> TaskWrapper:
        wrapper = huey.task(retries=retries, retry_delay=retry_delay,
                            retry_backoff=retry_backoff)(_in_app(fn))
        TASKS[huey._registry.task_to_string(wrapper.task_class)] = wrapper
        return wrapper
    return decorator


def daily_cst(hour: int, minute: int = 0):
    """A crontab for a time of day in China Standard Time (the queue runs on UTC)."""
    at = datetime(2000, 1, 2, hour, minute, tzinfo=CST).astimezone(UTC)
    return crontab(minute=str(at.minute), hour=str(at.hour))


def cst_hours(first: int, last: int) -> str:
    """The crontab hours (UTC) of the China Standard Time hours first..last."""
    return ",".join(str((hour - 8) % 24) for hour in range(first, last + 1))


def periodic(schedule, when: str) -> Callable:
    """A job the consumer runs by itself on a schedule (when: the schedule in Chinese)."""
    def decorator(fn: Callable) -> TaskWrapper:
        wrapper = huey.periodic_task(schedule)(_in_app(fn))
        name = huey._registry.task_to_string(wrapper.task_class)
        TASKS[name] = wrapper
        PERIODIC[name] = (wrapper, when)
        return wrapper
    return decorator


def enqueue(wrapper: TaskWrapper, *args, eta: datetime | None = None) -> bool:
    """Put a call on the queue (at eta, naive UTC, when given); False when the queue could
    not take it — the work is in the database and a sweep will find it."""
    try:
        if eta is not None and eta > utcnow():
            wrapper.schedule(args, eta=eta.replace(tzinfo=UTC))
        else:
            wrapper(*args)
        return True
    except Exception:  # noqa: BLE001 — the queue's storage is down: the sweep catches up
        log.exception("could not enqueue %s%r", wrapper.name, args)
        return False


AT_COMMIT = "jobs_at_commit"
_listening = False


def enqueue_at_commit(wrapper: TaskWrapper, *args) -> None:
    """Queue a call once the current transaction commits (never, if it rolls back)."""
    _listen()
    db.session.info.setdefault(AT_COMMIT, []).append((wrapper, args))


def _listen() -> None:
    global _listening
    if _listening:
        return
    _listening = True

    @event.listens_for(db.session, "after_commit")
    def _committed(session):
        for wrapper, args in session.info.pop(AT_COMMIT, []):
            enqueue(wrapper, *args)

    @event.listens_for(db.session, "after_rollback")
    def _rolled_back(session):
        session.info.pop(AT_COMMIT, None)

    @event.listens_for(db.session, "after_transaction_end")
    def _ended(session, transaction):
        if transaction.parent is None:  # the outermost one: nothing is carried past it
            session.info.pop(AT_COMMIT, None)


def run_pending(now: datetime | None = None, limit: int = 10_000) -> int:
    """Run what is on the queue now, in this process, as a consumer would (and the scheduled
    jobs due by now, naive UTC): for the tests and `flask jobs run`. Returns the runs."""
    runs = 0
    while runs < limit:
        at = now or utcnow()
        for due in huey.read_schedule(at):
            huey.enqueue(due)
        queued = huey.dequeue()
        if queued is None:
            break
        huey.execute(queued, at)
        runs += 1
    return runs


def pending_count() -> int:
    return huey.pending_count()


def scheduled_count() -> int:
    return huey.scheduled_count()


# --- the record of runs -------------------------------------------------------------------

def _name(queued) -> str:
    return huey._registry.task_to_string(type(queued))


def _record(fn: Callable) -> Callable:
    """Write the run's row in a transaction of its own; never let the record break the job."""
    @functools.wraps(fn)
    def receiver(signal, queued, *args):
        if _app is None:
            return
        token = _IN_JOB.set(True)
        try:
            with _app.app_context():
                try:
                    fn(signal, queued, *args)
                    db.session.commit()
                finally:
                    db.session.remove()
        except Exception:  # noqa: BLE001
            log.exception("could not record the run of %s", queued)
        finally:
            _IN_JOB.reset(token)
    return receiver


@huey.signal(S.SIGNAL_EXECUTING)
@_record
def _executing(_signal, queued):
    default = getattr(type(queued), "default_retries", 0) or 0
    if isinstance(queued, PeriodicTask):
        # A periodic job keeps one row for its runs that went well (the sweep runs every
        # minute); a failure keeps its own row until someone deals with it.
        last = db.session.scalar(
            select(JobRun).where(JobRun.task == _name(queued), JobRun.periodic.is_(True),
                                 JobRun.status == JobStatus.done)
            .order_by(JobRun.id.desc()).limit(1))
        if last is not None:
            last.status, last.started_at, last.finished_at = JobStatus.running, utcnow(), None
            last.queue_id, last.error, last.worker = str(queued.id), "", WORKER
            db.session.flush()
            queued._run_id = last.id
            return
    row = JobRun(task=_name(queued), args=json.dumps(list(queued.args or ()), default=str),
                 queue_id=str(queued.id), periodic=isinstance(queued, PeriodicTask),
                 worker=WORKER,
                 attempt=max(1, default - (queued.retries or 0) + 1),
                 status=JobStatus.running, started_at=utcnow())
    db.session.add(row)
    db.session.flush()
    queued._run_id = row.id


def _finish(queued, status: JobStatus, error: str = "") -> None:
    run_id = getattr(queued, "_run_id", None)
    if run_id is None:
        return
    db.session.execute(update(JobRun).where(JobRun.id == run_id).values(
        status=status, error=error[:4000], finished_at=utcnow()))


@huey.signal(S.SIGNAL_COMPLETE)
@_record
def _complete(_signal, queued):
    _finish(queued, JobStatus.done)


@huey.signal(S.SIGNAL_ERROR)
@_record
def _error(_signal, queued, exc=None):
    final = not queued.retries
    _finish(queued, JobStatus.failed if final else JobStatus.retrying,
            f"{type(exc).__name__}: {exc}" if exc is not None else "")


@huey.signal(S.SIGNAL_RETRYING)
@_record
def _retrying(_signal, queued):
    run_id = getattr(queued, "_run_id", None)
    if run_id is not None:
        db.session.execute(update(JobRun).where(
            JobRun.id == run_id, JobRun.status == JobStatus.running).values(
            status=JobStatus.retrying, error="本次未成功，稍后重试", finished_at=utcnow()))


@huey.signal(S.SIGNAL_INTERRUPTED)
@_record
def _interrupted(_signal, queued):
    _finish(queued, JobStatus.interrupted, "进程停止时未完成")


WORKER = f"{socket.gethostname()}:{os.getpid()}"[:80]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_dead_runs() -> int:
    """Close the runs left 'running' by consumers of this machine that are gone (killed)."""
    host = socket.gethostname()
    dead = []
    for run_id, worker in db.session.execute(select(JobRun.id, JobRun.worker).where(
            JobRun.status == JobStatus.running)):
        name, _, pid = worker.rpartition(":")
        if name == host and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            dead.append(run_id)
    if dead:
        db.session.execute(
            update(JobRun).where(JobRun.id.in_(dead))
            .values(status=JobStatus.interrupted, error="进程意外退出，未完成", finished_at=utcnow())
            .execution_options(synchronize_session=False))
    return len(dead)


def mark_abandoned(older_than: timedelta) -> int:
    """Runs still 'running' long after they began belonged to a consumer that died."""
    result = db.session.execute(
        update(JobRun).where(JobRun.status == JobStatus.running,
                             JobRun.started_at < utcnow() - older_than)
        .values(status=JobStatus.interrupted, error="进程意外退出，未完成", finished_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount
