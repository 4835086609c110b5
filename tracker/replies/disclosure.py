"""办理结果公开 decided with the reply: the drafter proposes 全文公开, 摘要公开 (with the summary)
or 不予公开 (with a reason from a fixed list), each reviewer sees it and may change it, and the
signer confirms it; the reply keeps the confirmed decision.

The decision must agree with the letter's 公开属性: only a letter marked 主动公开 (此件公开发布)
is published on the portal, and one marked 依申请公开 or 不予公开 is withheld. To withhold a
letter marked 主动公开 (or publish one that is not), the draft goes back to its drafter, who
changes both.
"""
from __future__ import annotations

from typing import NamedTuple

from tracker.proposals.choices import Disclosure
from tracker.replies.choices import PUBLIC_SUMMARY_MAX, PublicationMode, WithholdReason


class PublicationDecision(NamedTuple):
    mode: PublicationMode
    reason: str = ""   # a WithholdReason value when withheld
    summary: str = ""  # the published summary when 摘要公开

    @property
    def label(self) -> str:
        if self.mode == PublicationMode.withheld:
            return f"{self.mode.label}（{WithholdReason.label_of(self.reason)}）"
        return self.mode.label

    @classmethod
    def of(cls, row) -> PublicationDecision:
        """The decision a draft version, review decision or reply holds."""
        return cls(PublicationMode(row.publication), row.withhold_reason or "",
                   row.public_summary or "")


def default_for(disclosure: Disclosure | str) -> PublicationDecision:
    """What the letter's 公开属性 implies, before anyone chose."""
    disclosure = Disclosure(disclosure)
    if disclosure == Disclosure.public:
        return PublicationDecision(PublicationMode.full)
    reason = WithholdReason.on_request if disclosure == Disclosure.on_request \
        else WithholdReason.other
    return PublicationDecision(PublicationMode.withheld, reason.value)


def checked(disclosure: Disclosure | str, mode, reason, summary) -> tuple[
        PublicationDecision | None, dict[str, list[str]]]:
    """The decision from a form's values, cleaned (no reason unless withheld, no summary
    unless 摘要公开), or None and the errors by field."""
    disclosure = Disclosure(disclosure)
    mode = PublicationMode.lookup(mode or "")
    reason = (reason or "").strip()
    summary = "\n".join(line.strip() for line in (summary or "").strip().splitlines()
                        if line.strip())
    errors: dict[str, list[str]] = {}
    if mode is None:
        errors["publication"] = ["请选择办理结果公开方式。"]
        return None, errors
    if mode == PublicationMode.withheld:
        if WithholdReason.lookup(reason) is None:
            errors["withhold_reason"] = ["不予公开时请选择不予公开的理由。"]
        if disclosure == Disclosure.public:
            errors["publication"] = [
                "答复函的公开属性为主动公开（此件公开发布），不能不予公开：请先将公开属性改为"
                "依申请公开或不予公开。"]
        reason_value, summary = reason, ""
    else:
        if disclosure != Disclosure.public:
            errors["publication"] = [
                f"答复函的公开属性为{disclosure.label}，不能在门户网站公开：请选择不予公开并"
                "说明理由，或将公开属性改为主动公开。"]
        if mode == PublicationMode.summary and not summary:
            errors["public_summary"] = ["摘要公开时请填写公开的摘要。"]
        elif len(summary) > PUBLIC_SUMMARY_MAX:
            errors["public_summary"] = [f"摘要不能超过 {PUBLIC_SUMMARY_MAX} 字。"]
        reason_value = ""
        if mode == PublicationMode.full:
            summary = ""
    if errors:
        return None, errors
    return PublicationDecision(mode, reason_value, summary), {}


def current(draft, decisions) -> PublicationDecision | None:
    """The decision as it stands in a review cycle: the draft's, as the cycle's reviewers
    changed it (decisions in order)."""
    if draft is None:
        return None
    decision = PublicationDecision.of(draft)
    for d in decisions:
        if d.draft_version_id == draft.id and d.publication is not None:
            decision = PublicationDecision.of(d)
    return decision


WORD_MAX, WORDS_MAX = 50, 50


def marked_words(text: str) -> tuple[str, dict[str, list[str]]]:
    """The words a reviewer marked for removal from the public text, one a line, cleaned; or
    the errors of the field."""
    words = []
    for line in (text or "").splitlines():
        word = line.strip()
        if word and word not in words:
            words.append(word)
    if any(len(w) < 2 for w in words):
        return "", {"redact_words": ["每个词语至少两个字（单个字会把其他词语一起删去）。"]}
    if any(len(w) > WORD_MAX for w in words):
        return "", {"redact_words": [f"每个词语不能超过 {WORD_MAX} 字。"]}
    if len(words) > WORDS_MAX:
        return "", {"redact_words": [f"最多标记 {WORDS_MAX} 个词语。"]}
    return "\n".join(words), {}
