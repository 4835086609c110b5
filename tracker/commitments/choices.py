"""The states of a commitment (承诺事项) and the result classes whose replies carry them.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class CommitmentStatus(LabelledEnum):
    open = "open", "落实中"
    done = "done", "已落实"
    not_done = "not_done", "未落实"

    @property
    def is_closed(self) -> bool:
        return self != CommitmentStatus.open


# Replies of these classes promise something (B: 正在解决或列入计划逐步解决; C: 因条件限制
# 留作参考, often with what will be done when conditions allow): they list commitments.
COMMITMENT_CLASSES = frozenset({"B", "C"})
