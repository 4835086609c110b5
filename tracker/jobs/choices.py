"""The states of a job's run, with their Chinese labels (imports nothing of the app)."""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class JobStatus(LabelledEnum):
    running = "running", "运行中"
    done = "done", "完成"
    retrying = "retrying", "失败，等待重试"
    failed = "failed", "失败"
    interrupted = "interrupted", "中断"
