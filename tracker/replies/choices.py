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
    publication = "publication", "公开索引号"  # the serial of the 索引号 (tracker.publication)


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


class PublicationMode(LabelledEnum):
    """How the result of handling is published on the public portal (办理结果公开,
    国办发〔2014〕46号): in full by default, as a summary where the whole cannot be
    published, or not at all with a reason."""

    full = "full", "全文公开"
    summary = "summary", "摘要公开"
    withheld = "withheld", "不予公开"


class WithholdReason(LabelledEnum):
    """Why a reply is not published (the grounds of the 政府信息公开条例)."""

    on_request = "on_request", "属依申请公开信息"
    state_secret = "state_secret", "涉及国家秘密"
    security = "security", "公开后可能危及国家安全、公共安全、经济安全、社会稳定"
    business_secret = "business_secret", "涉及商业秘密"
    privacy = "privacy", "涉及个人隐私"
    internal = "internal", "属于内部事务信息"
    process = "process", "属于过程性信息"
    other = "other", "法律、法规禁止公开的其他情形"


# A summary's length on the portal.
PUBLIC_SUMMARY_MAX = 2000
