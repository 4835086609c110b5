"""The kinds of notification, with their Chinese labels.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class NotificationKind(LabelledEnum):
    due_soon = "due_soon", "即将到期"
    overdue = "overdue", "已逾期"
    extension_requested = "extension_requested", "延期申请"
    extension_decided = "extension_decided", "延期审批结果"
