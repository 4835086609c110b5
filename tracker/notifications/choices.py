"""The kinds of notification, with their Chinese labels, and the channels they go by.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class NotificationKind(LabelledEnum):
    # Someone's turn, from the workflow's moves.
    assigned = "assigned", "新交办"
    return_request = "return_request", "退回申请"
    return_decided = "return_decided", "退回审核结果"
    dispatched = "dispatched", "指定承办人"
    co_opinion = "co_opinion", "会办意见"
    to_review = "to_review", "待审核"
    draft_returned = "draft_returned", "退回修改"
    to_sign = "to_sign", "待签发"
    to_issue = "to_issue", "待发文"
    rated = "rated", "测评结果"
    rehandle = "rehandle", "不满意重办"
    # Deadlines, extensions and urging.
    due_soon = "due_soon", "即将到期"
    overdue = "overdue", "已逾期"
    extension_requested = "extension_requested", "延期申请"
    extension_decided = "extension_decided", "延期审批结果"
    urge = "urge", "催办"
    print_ready = "print_ready", "打印文件已生成"
    # Leaders' instructions: asked of a leader, and given (for those who handle the item).
    instruction_requested = "instruction_requested", "请领导批示"
    instructed = "instructed", "领导批示"
    # 办理结果公开 and 承诺事项: a public version or a promised measure past its day.
    publication_overdue = "publication_overdue", "公开逾期"
    commitment_overdue = "commitment_overdue", "承诺事项逾期"


class Channel(LabelledEnum):
    """How a notification reaches its person besides the in-app list (always kept)."""

    email = "email", "电子邮件"
    sms = "sms", "短信"


# Kinds that go by SMS unless the user turns it off (SMS costs money and attention: only
# new work arriving, urging and overdue warnings); e-mail is on for every kind by default.
SMS_BY_DEFAULT = frozenset({NotificationKind.assigned, NotificationKind.urge,
                            NotificationKind.overdue})
