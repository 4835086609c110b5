"""The labelled choices of satisfaction ratings: the channel and the rule that turns the
authors' answers into the item's rating (the answers themselves, Satisfaction, and the grade
of the handling at 办结, Grade, are the workflow's vocabulary: tracker.core.states).

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class RatingChannel(LabelledEnum):
    online = "online", "网上评价"
    paper = "paper", "纸质征询意见表（代录入）"


class RatingRule(LabelledEnum):
    """How an item's rating follows from its authors' ratings."""

    worst = "worst", "从严：任一提出人不满意即为不满意；否则任一基本满意即为基本满意"
    majority = "majority", "多数：以多数提出人的评价为准（票数相同取较低者）"
    lead_author = "lead_author", "领衔人：以领衔提出人的评价为准"


class PrintStatus(LabelledEnum):
    """A batch of printed 征询意见表, made by a job."""

    queued = "queued", "排队中"
    running = "running", "生成中"
    done = "done", "已完成"
    failed = "failed", "失败"
