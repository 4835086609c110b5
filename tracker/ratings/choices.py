"""The labelled choices of satisfaction ratings: the answers, the channel, the grade of the
handling and the rule that turns the authors' answers into the item's rating.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class Satisfaction(LabelledEnum):
    satisfied = "satisfied", "满意"
    basic = "basic", "基本满意"
    unsatisfied = "unsatisfied", "不满意"

    @property
    def band(self) -> tuple[int, int]:
        """The score band of the answer (满意 ≥ 90, 基本满意 60–89, 不满意 < 60)."""
        return {"satisfied": (90, 100), "basic": (60, 89), "unsatisfied": (0, 59)}[self.value]

    @property
    def band_label(self) -> str:
        return {"satisfied": "90 分及以上", "basic": "60–89 分", "unsatisfied": "60 分以下"}[
            self.value]

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return {"satisfied": 0, "basic": 1, "unsatisfied": 2}[self.value]

    @classmethod
    def for_score(cls, score: int) -> Satisfaction:
        return cls.satisfied if score >= 90 else cls.basic if score >= 60 else cls.unsatisfied


class RatingChannel(LabelledEnum):
    online = "online", "网上评价"
    paper = "paper", "纸质征询意见表（代录入）"


class Grade(LabelledEnum):
    good = "good", "好"
    fair = "fair", "中"
    poor = "poor", "差"


class RatingRule(LabelledEnum):
    """How an item's rating follows from its authors' ratings."""

    worst = "worst", "从严：任一提出人不满意即为不满意；否则任一基本满意即为基本满意"
    majority = "majority", "多数：以多数提出人的评价为准（票数相同取较低者）"
    lead_author = "lead_author", "领衔人：以领衔提出人的评价为准"
