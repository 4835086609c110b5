"""One row per run of a job, written by the queue's signals: what ran, when, how it ended.

The administrators' page reads the failures and the last run of each periodic job from it;
a failure stays on the page until someone retries or dismisses it (resolved_at).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.jobs.choices import JobStatus


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_task_started_at", "task", "started_at"),
        Index("ix_job_runs_status_resolved_at", "status", "resolved_at"),
        one_of("status", JobStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    args: Mapped[str] = mapped_column(Text, default="[]")  # JSON
    queue_id: Mapped[str] = mapped_column(String(64), default="")
    # The consumer that ran it ("host:pid"): a new consumer closes the runs of dead ones.
    worker: Mapped[str] = mapped_column(String(80), default="")
    periodic: Mapped[bool] = mapped_column(default=False)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[JobStatus] = mapped_column(enum_type(JobStatus, 20), default=JobStatus.running)
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def status_label(self) -> str:
        return JobStatus.label_of(self.status)
