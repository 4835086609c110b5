"""The kinds of leaders' instructions (批示) at the points of the 办理单, how each came into the
tracker, and whether it is still awaited.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class InstructionKind(LabelledEnum):
    # The supervising office's side: its 转办意见, a leader's 签办意见 on it, and at the end a
    # leader's 审阅办理结果意见.
    transfer = "transfer", "转办意见"
    sign_off = "sign_off", "领导签办意见"
    # The handling unit's side (one per unit's assignment).
    unit_principal = "unit_principal", "承办单位主要领导办理意见"
    unit_deputy = "unit_deputy", "承办单位分管领导意见"
    result_review = "result_review", "领导审阅办理结果意见"

    @property
    def is_unit(self) -> bool:
        """Given within a handling unit, about its assignment (else the supervising office's)."""
        return self in UNIT_KINDS

    @property
    def short(self) -> str:
        return {"transfer": "转办意见", "sign_off": "签办意见", "unit_principal": "主要领导意见",
                "unit_deputy": "分管领导意见", "result_review": "审阅办理结果意见"}[self.value]


UNIT_KINDS = frozenset({InstructionKind.unit_principal, InstructionKind.unit_deputy})
OFFICE_KINDS = frozenset(InstructionKind) - UNIT_KINDS
# The kinds whose presence lets a unit that requires it pass the item to a drafter.
DISPATCH_KINDS = UNIT_KINDS


class InstructionSource(LabelledEnum):
    typed = "typed", "领导本人录入"
    paper = "paper", "据纸质批示录入"
    scan = "scan", "扫描件录入"


class InstructionStatus(LabelledEnum):
    requested = "requested", "待批示"
    given = "given", "已批示"
