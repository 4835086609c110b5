"""The workflow's vocabulary: the states of items and assignments, the actions, the review
levels and the extension statuses, with their Chinese labels, and the groups of states the
rules speak of (finished, in review). The transition table is in tracker.handling.workflow.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class ProposalState(LabelledEnum):
    registered = "registered", "已登记"
    assigned = "assigned", "已交办"
    return_requested = "return_requested", "申请退回"
    accepted = "accepted", "已签收"
    drafting = "drafting", "办理中"
    first_review = "first_review", "初审"
    second_review = "second_review", "复审"
    final_review = "final_review", "终审"
    awaiting_signature = "awaiting_signature", "待签发"
    signed = "signed", "已签发"
    replied = "replied", "已答复"
    rated = "rated", "已评价"
    rehandling = "rehandling", "重新办理"
    closed = "closed", "办结"


class AssignmentState(LabelledEnum):
    assigned = "assigned", "待签收"
    return_requested = "return_requested", "申请退回"
    returned = "returned", "已退回"
    accepted = "accepted", "已签收"
    drafting = "drafting", "办理中"
    # A co-handling unit's 会办意见 waits for its leader's approval before it goes out.
    opinion_pending = "opinion_pending", "会办意见待审批"
    opinion_submitted = "opinion_submitted", "已提交会办意见"
    first_review = "first_review", "初审中"
    second_review = "second_review", "复审中"
    final_review = "final_review", "终审中"
    awaiting_signature = "awaiting_signature", "待签发"
    signed = "signed", "已签发"
    replied = "replied", "已答复"
    rated = "rated", "已评价"


class Action(LabelledEnum):
    assign = "assign", "交办"
    accept = "accept", "签收"
    request_return = "request_return", "申请退回"
    approve_return = "approve_return", "同意退回"
    reject_return = "reject_return", "不同意退回"
    # Passing the item to a section and drafter; not 分办, which names a kind of unit.
    dispatch = "dispatch", "指定承办人"
    record_contact = "record_contact", "登记联系情况"
    submit_opinion = "submit_opinion", "提交会办意见"
    # The co-handling unit's leader approves its 会办意见 (it goes out, numbered) or returns it.
    approve_opinion = "approve_opinion", "批准会办意见"
    return_opinion = "return_opinion", "退回会办意见"
    save_draft = "save_draft", "撰写答复"
    override_cosign = "override_cosign", "会签例外"
    submit_review = "submit_review", "送审"
    approve = "approve", "审核通过"
    return_draft = "return_draft", "退回修改"
    sign = "sign", "签发"
    issue = "issue", "发文"
    # The authors' ratings are all in (system moves, made by the rating that completes them).
    rate = "rate", "测评完成"
    rehandle = "rehandle", "重新办理"
    close = "close", "办结"
    # One extension of the deadline, asked by the unit and decided by the supervising clerk.
    request_extension = "request_extension", "申请延期"
    approve_extension = "approve_extension", "同意延期"
    reject_extension = "reject_extension", "不同意延期"


class ReviewLevel(LabelledEnum):
    """A level of a unit's review chain, and 签发 (the level of a signer's decision)."""

    first = "first", "初审"
    second = "second", "复审"
    final = "final", "终审"
    sign = "sign", "签发"

    @classmethod
    def chain(cls) -> tuple[ReviewLevel, ...]:
        """The review levels in their fixed order (a unit's chain is a subset of it)."""
        return (cls.first, cls.second, cls.final)


class OpinionStatus(LabelledEnum):
    """A version of a co-handling unit's 会办意见: waiting for, given or refused approval."""

    pending = "pending", "待审批"
    approved = "approved", "已批准"
    returned = "returned", "已退回"


class ExtensionStatus(LabelledEnum):
    requested = "requested", "待审批"
    approved = "approved", "已批准"
    rejected = "rejected", "未批准"


PROPOSAL_STATE_LABELS = ProposalState.labels()
ASSIGNMENT_STATE_LABELS = AssignmentState.labels()
ACTION_LABELS = Action.labels()

# Moves the tracker makes itself, never offered to a person or taken through the API.
SYSTEM_ACTIONS = frozenset({Action.rate, Action.rehandle})

# The review states by level, in their fixed order (a unit's chain is a subset of it).
REVIEW_STATES = {
    ReviewLevel.first: AssignmentState.first_review,
    ReviewLevel.second: AssignmentState.second_review,
    ReviewLevel.final: AssignmentState.final_review,
}
LEVEL_OF_STATE = {state: level for level, state in REVIEW_STATES.items()}

# States in which an assignment no longer has a deadline running: the unit's part is done
# (replied, rated, its 会办意见 approved and sent) or it is no longer the unit's (returned).
# A 会办意见 waiting for its leader's approval is not sent yet: its deadline still runs.
FINISHED_STATES = frozenset({
    AssignmentState.returned, AssignmentState.opinion_submitted, AssignmentState.replied,
    AssignmentState.rated})
UNFINISHED_STATES = frozenset(AssignmentState) - FINISHED_STATES

# A deadline this many days away or nearer (and not passed) is shown as 「剩 n 天」.
DUE_SOON_DAYS = 10


# The moves of a reply's review chain (送审 to 发文), and with 撰写 every move on a draft: the
# review page offers them, the item page links them, the timeline keeps their drafts private.
REVIEW_ACTIONS = (Action.submit_review, Action.approve, Action.return_draft, Action.sign,
                  Action.issue)
DRAFT_ACTIONS = frozenset({Action.save_draft, *REVIEW_ACTIONS})


# The outcome of the authors' ratings, which moves an item to 办结 or back to its unit, and the
# grade the supervising office gives the handling at 办结.
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


class Grade(LabelledEnum):
    good = "good", "好"
    fair = "fair", "中"
    poor = "poor", "差"
