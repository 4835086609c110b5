"""The roles a user may hold and the scopes of API tokens, with their Chinese labels.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class Role(LabelledEnum):
    supervisor = "supervisor", "交办员（督办）"
    unit_clerk = "unit_clerk", "单位联络员"
    drafter = "drafter", "承办人"
    reviewer_first = "reviewer_first", "初审人"
    reviewer_second = "reviewer_second", "复审人"
    reviewer_final = "reviewer_final", "终审人"
    signer = "signer", "签发人"
    # A leader who gives instructions (批示): of the supervising office (转办、签办、审阅办理结果)
    # or of a handling unit (主要领导、分管领导办理意见). Sees their unit's items; of the
    # workflow's moves makes one: approving (or returning) the unit's 会办意见.
    leader = "leader", "领导（批示）"
    admin = "admin", "系统管理员"


ROLE_LABELS = Role.labels()


class TokenScope(LabelledEnum):
    """What an API token may do: read (GET only) or act (everything its user may do)."""

    read = "read", "只读（仅查询）"
    act = "act", "读写（可执行该用户的全部操作）"


TOKEN_SCOPE_LABELS = TokenScope.labels()
