"""What the administrators see of the job queue: its depth, the failed jobs and messages, and
the last run of each periodic job; and their retry and dismiss buttons."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import func, select

from tracker.accounts.models import User
from tracker.core.errors import NotFound
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.jobs import queue
from tracker.jobs.choices import JobStatus
from tracker.jobs.models import JobRun
from tracker.notifications import outbox
from tracker.notifications.models import OutboxMessage

# What each job does, in Chinese, for the page (by its queue name's last part).
JOB_LABELS = {
    "deliver": "发送一条邮件或短信",
    "sweep": "补发遗漏的消息",
    "remind": "期限提醒与超时预警",
    "send_digests": "每日通知汇总邮件",
    "tidy_runs": "清理任务记录",
    "render_batch": "生成批量打印的征询意见表",
    "resume_batches": "续做中断的批量打印",
    "refresh_lists": "计算新登记或修改的建议提案的相似列表",
}


DELIVER = "tracker.notifications.jobs.deliver"


def job_label(name: str) -> str:
    short = name.rpartition(".")[2]
    return JOB_LABELS.get(short, short)


@dataclass
class PeriodicRow:
    name: str
    when: str
    last: JobRun | None

    @property
    def label(self) -> str:
        return job_label(self.name)


@dataclass
class QueueReport:
    pending: int | None
    scheduled: int | None
    queue_error: str
    periodic: list[PeriodicRow] = field(default_factory=list)
    failed_runs: list[JobRun] = field(default_factory=list)
    failed_messages: list[OutboxMessage] = field(default_factory=list)
    unsent: int = 0
    recent: list[JobRun] = field(default_factory=list)


def report() -> QueueReport:
    try:
        pending, scheduled, error = queue.pending_count(), queue.scheduled_count(), ""
    except Exception as exc:  # noqa: BLE001 — the page shows the queue is down
        pending = scheduled = None
        error = f"{type(exc).__name__}: {exc}"
    result = QueueReport(pending=pending, scheduled=scheduled, queue_error=error)
    last_ids = dict(db.session.execute(
        select(JobRun.task, func.max(JobRun.id)).where(JobRun.periodic.is_(True))
        .group_by(JobRun.task)).all())
    runs = {r.id: r for r in db.session.scalars(
        select(JobRun).where(JobRun.id.in_(list(last_ids.values()))))}
    for name, (_wrapper, when) in sorted(queue.PERIODIC.items()):
        result.periodic.append(PeriodicRow(name, when, runs.get(last_ids.get(name))))
    result.failed_runs = list(db.session.scalars(
        select(JobRun).where(JobRun.status == JobStatus.failed, JobRun.resolved_at.is_(None))
        .order_by(JobRun.id.desc()).limit(100)))
    result.failed_messages = list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.failed_at.is_not(None),
                                    OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id.desc()).limit(100)))
    result.unsent = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))) or 0
    result.recent = list(db.session.scalars(
        select(JobRun).order_by(JobRun.id.desc()).limit(20)))
    return result


def retry_run(run_id: int, actor: User) -> None:
    """Queue a failed job again with its recorded arguments (flushes; queued at commit)."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.status != JobStatus.failed or run.resolved_at is not None:
        raise NotFound("没有这个待处理的失败任务。")
    wrapper = queue.TASKS.get(run.task)
    if wrapper is None:
        raise NotFound("该任务已不存在，无法重试。")
    args = json.loads(run.args or "[]")
    if run.task == DELIVER:
        # A send that failed every attempt: the message is what to send again (a new job
        # alone would find it given up and do nothing).
        if not args or not outbox.send_again(int(args[0])):
            raise NotFound("该消息已发送或已重新发送，无需重试。")
    else:
        queue.enqueue_at_commit(wrapper, *args)
    run.resolved_at, run.resolved_by_id = utcnow(), actor.id
    db.session.flush()


def dismiss_run(run_id: int, actor: User) -> None:
    run = db.session.get(JobRun, run_id)
    if run is None or run.resolved_at is not None:
        raise NotFound("没有这个待处理的失败任务。")
    run.resolved_at, run.resolved_by_id = utcnow(), actor.id
    db.session.flush()


def retry_message(message_id: int) -> None:
    if not outbox.send_again(message_id):
        raise NotFound("没有这条待重发的消息。")
