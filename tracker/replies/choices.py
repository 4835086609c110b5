"""The labelled choices of replies: the form of a reply, the kinds of document-number series
and how a unit's letters print 签发人 and the result class.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class ReplyForm(LabelledEnum):
    written = "written", "书面答复"
    face = "face", "面见答复"
    meeting = "meeting", "会议答复"
    other = "other", "其他"


class Decision(LabelledEnum):
    """A reviewer's or signer's decision on a draft (签发 is an approval at level sign)."""

    approve = "approve", "通过"
    returned = "return", "退回修改"


class SeriesKind(LabelledEnum):
    suggestion = "suggestion", "建议答复"
    proposal = "proposal", "提案答复"
    co_opinion = "co_opinion", "会办意见"


class SignerLine(LabelledEnum):
    """Whether the letter prints 签发人 at the top right, and whose name."""

    none = "none", "不印签发人"
    signer = "signer", "印签发人：签发本件的领导"
    principal = "principal", "印签发人：本单位主要负责人"


class ClassMark(LabelledEnum):
    """How the result class is printed at the top left: 「A」 or 「A类」."""

    letter = "letter", "A（只印类别字母）"
    letter_class = "letter_class", "A类"

    def text(self, result_class: str) -> str:
        return f"{result_class}类" if self == ClassMark.letter_class else result_class


class TemplateKind(LabelledEnum):
    """What a reply template fills in the draft editor (tracker.replies.templates)."""

    opening = "opening", "开头语"
    closing = "closing", "结束语"
    next_steps = "next_steps", "下一步工作"
    model = "model", "整篇范文"
