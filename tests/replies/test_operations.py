"""Drafting, 会签, review, sign-off and issue at the level of the operations.

Where an operation is refused, the test commits what came before, lets the operation fail,
rolls back as a request would, and checks that nothing of the refused step is left.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories
from tests.support.handling import bring_to, latest_id, write_draft
from tests.support.replies import (
    approve_chain,
    damage_member,
    docx_bytes,
    replace_member,
    upload,
    zip_bytes,
)
from tracker.accounts.models import Role
from tracker.audit.log import details_of, verify_chain
from tracker.audit.models import AuditEvent
from tracker.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, allowed_actions
from tracker.replies import operations as replies
from tracker.replies import queries, word
from tracker.replies.models import DocSeries, DraftVersion, Reply, ReviewDecision
from tracker.replies.operations import DraftConflict

YEAR = today().year


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _refused(exc_type, call, *args, **kwargs):
    """Run a call that must be refused the way a request would: roll back afterwards."""
    db.session.commit()
    with pytest.raises(exc_type) as info:
        call(*args, **kwargs)
    db.session.rollback()
    db.session.expire_all()
    return info.value


def _lead_with_co(w) -> tuple[Assignment, Assignment]:
    """An item led by health (drafting) with hr as co-handling unit (accepted)."""
    proposal = factories.make_proposal(w.clerk, w.meeting)
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
    handling.accept_assignment(lead, w.health_clerk)
    handling.accept_assignment(co, w.hr_clerk)
    handling.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    return lead, co


# --- the draft -----------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "   ", "\n\n", " \t\n\u3000\u3000\n "])
def test_empty_or_blank_draft_is_refused(w, body):
    assignment = bring_to(w, "drafting")
    version = assignment.version
    error = _refused(ValidationFailed, write_draft, assignment, w.health_drafter, body=body)
    assert error.errors == {"body": ["答复正文不能为空。"]}
    assert _count(DraftVersion) == 0
    assert (assignment.state, assignment.version) == ("drafting", version)


def test_versions_are_kept_and_numbered(w):
    assignment = bring_to(w, "drafting")
    first = write_draft(assignment, w.health_drafter, body="  第一稿\n\n  ")
    second = write_draft(assignment, w.health_clerk, body="第二稿", cc="省人大人代选委\n\n 省政府办公厅 ")
    assert [(v.number, v.body, v.created_by_id) for v in queries.drafts(assignment)] == [
        (1, "第一稿", w.health_drafter.id), (2, "第二稿", w.health_clerk.id)]
    assert first.id != second.id and second.cc_list == ["省人大人代选委", "省政府办公厅"]
    assert queries.latest_draft(assignment).id == second.id


def test_two_drafters_at_once_the_second_save_is_refused(w):
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter, body="第一稿")
    # Both open the editor on version 1; the drafter saves first.
    write_draft(assignment, w.health_drafter, body="承办人的修改", base_number=1)
    error = _refused(DraftConflict, write_draft, assignment, w.health_clerk,
                     body="联络员的修改", base_number=1)
    assert "刘承办" in error.message and "第 2 稿" in error.message and "未保存" in error.message
    assert (error.base.number, error.base.body) == (1, "第一稿")
    assert (error.latest.number, error.latest.body) == (2, "承办人的修改")
    assert [v.body for v in queries.drafts(assignment)] == ["第一稿", "承办人的修改"]
    assert not any(e.action == "save_draft" and e.actor_id == w.health_clerk.id
                   for e in db.session.scalars(select(AuditEvent)))


def test_a_first_draft_saved_twice_from_blank_editors(w):
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter, body="承办人的初稿", base_number=0)
    error = _refused(DraftConflict, write_draft, assignment, w.health_clerk,
                     body="联络员的初稿", base_number=None)
    assert error.base is None and error.latest.body == "承办人的初稿"
    assert _count(DraftVersion) == 1


@pytest.mark.parametrize("base", [3, -1])
def test_a_base_version_that_never_existed_is_refused_cleanly(w, base):
    # Defect: with no draft yet, save_draft builds the conflict message from latest=None
    # (AttributeError, HTTP 500) instead of refusing the bad base_number.
    assignment = bring_to(w, "drafting")
    _refused((ValidationFailed, Conflict), write_draft, assignment, w.health_drafter,
             base_number=base)
    assert _count(DraftVersion) == 0


def test_only_the_unit_handlers_write_the_lead_or_separate_draft(w):
    lead, co = _lead_with_co(w)
    _refused(PermissionDenied, write_draft, lead, w.health_drafter2)  # not the drafter
    _refused(PermissionDenied, write_draft, lead, w.hr_clerk)
    _refused(InvalidTransition, write_draft, co, w.hr_clerk)  # 会办 sends an opinion instead
    assert _count(DraftVersion) == 0


# --- .docx ----------------------------------------------------------------------------------

def test_a_real_docx_gives_its_paragraphs():
    content = docx_bytes("一、基本情况", "", "  我委高度重视。  ", "（一）人才队伍现状")
    imported = word.read_upload(upload(content))
    assert imported.fields["body"] == "一、基本情况\n我委高度重视。\n（一）人才队伍现状"


def test_a_docx_through_the_form_saves_a_version_marked_docx(w):
    from werkzeug.datastructures import MultiDict

    from tracker.handling.actions import build_form, run_action

    assignment = bring_to(w, "drafting")
    data = MultiDict({"base_number": "0", "result_class": "A", "reply_form": "written",
                      "disclosure": "public", "body": "会被 Word 稿替换"})
    data.add("docx", upload(docx_bytes("一、基本情况", "我委高度重视。")))
    form = build_form(Action.save_draft, assignment, formdata=data, csrf=False)
    version = run_action(Action.save_draft, assignment, w.health_drafter, form)
    assert (version.body, version.source) == ("一、基本情况\n我委高度重视。", "docx")


CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/content-types"><Default Extension="xml" '
                 b'ContentType="application/xml"/></Types>')
RELS = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        b'</Relationships>')


@pytest.mark.parametrize("content,name,message", [
    (b"just some text, renamed", "答复.docx", "Word（.docx）"),
    (zip_bytes({"readme.txt": b"hello"}), "答复.docx", "Word（.docx）"),
    (zip_bytes({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS}), "答复.docx",
     "Word（.docx）"),  # a package without word/document.xml
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "答复.doc", ".doc"),
    (docx_bytes("正文"), "答复.pdf", ".docx"),
    (docx_bytes(), "空白.docx", "没有"),
], ids=["text", "zip", "no-document-xml", "doc", "wrong-extension", "no-text"])
def test_a_docx_that_is_not_one_names_the_field(content, name, message):
    with pytest.raises(ValidationFailed) as info:
        word.read_upload(upload(content, name))
    assert list(info.value.errors) == ["docx"]
    assert message in info.value.errors["docx"][0] or message in info.value.message


DOCUMENT = "word/document.xml"


@pytest.mark.parametrize("make", [
    lambda: zip_bytes({"[Content_Types].xml": b"not xml at all"}),
    lambda: replace_member(docx_bytes("正文"), DOCUMENT, b"garbage"),
    lambda: replace_member(docx_bytes("正文"), DOCUMENT, b'<?xml version="1.0"?><foo/>'),
    lambda: damage_member(docx_bytes("正文" * 200), DOCUMENT),
    lambda: damage_member(docx_bytes("正文"), DOCUMENT, method=99),
], ids=["content-types-not-xml", "document-not-xml", "document-wrong-root",
        "corrupt-deflate", "unknown-compression"])
def test_a_broken_package_is_a_validation_error_not_a_crash(make):
    # Defect: python-docx's other errors (lxml XMLSyntaxError, AttributeError, zlib.error,
    # NotImplementedError) escape the import: HTTP 500 instead of 422.
    with pytest.raises(ValidationFailed) as info:
        word.read_upload(upload(make()))
    assert list(info.value.errors) == ["docx"]
    assert "Word" in info.value.errors["docx"][0], info.value.errors


def test_an_oversized_docx_is_refused():
    with pytest.raises(ValidationFailed) as info:
        word.read_upload(upload(b"PK" + b"\0" * (word.DOCX_LIMIT + 1)))
    assert info.value.errors["docx"] == ["Word 文件不能超过 10 MB。"]


# --- 会签 ----------------------------------------------------------------------------------

def test_cosign_gate_and_the_clerks_override(w):
    lead, co = _lead_with_co(w)
    write_draft(lead, w.health_drafter)
    assert Action.submit_review not in allowed_actions(lead, w.health_drafter)
    error = _refused(InvalidTransition, replies.submit_review, lead, w.health_drafter)
    assert "省人力资源和社会保障厅" in error.message and "会签例外" in error.message
    assert lead.state == "drafting"

    # Only the supervising clerk records the exception, and only with a reason.
    _refused(PermissionDenied, replies.override_cosign, lead, w.health_clerk, reason="急")
    error = _refused(ValidationFailed, replies.override_cosign, lead, w.clerk, reason="  ")
    assert error.errors == {"reason": ["请说明理由。"]}
    replies.override_cosign(lead, w.clerk, reason="会办单位逾期未复，经领导同意先行送审")
    assert lead.cosign_override_reason == "会办单位逾期未复，经领导同意先行送审"
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "override_cosign")).one()
    assert details_of(event)["missing"] == ["省人力资源和社会保障厅"]
    assert event.actor_id == w.clerk.id

    assert Action.submit_review in allowed_actions(lead, w.health_drafter)
    replies.submit_review(lead, w.health_drafter)
    assert lead.state == "first_review"


def test_cosign_gate_opens_when_every_opinion_is_in(w):
    lead, co = _lead_with_co(w)
    write_draft(lead, w.health_drafter)
    handling.submit_opinion(co, w.hr_clerk, text="同意主办单位意见。")
    # Not in before hr's leader approved it.
    assert queries.missing_co_opinions(lead) == ["省人力资源和社会保障厅"]
    _refused(InvalidTransition, replies.submit_review, lead, w.health_drafter)
    handling.approve_opinion(co, w.hr_leader)
    assert queries.missing_co_opinions(lead) == []
    replies.submit_review(lead, w.health_drafter)
    assert lead.state == "first_review" and lead.cosign_override_reason == ""


def test_override_is_for_lead_units_only(w):
    proposal = factories.make_proposal(w.clerk, w.meeting)
    (part,) = factories.assign(proposal, w.clerk, separate=[w.health])
    handling.accept_assignment(part, w.health_clerk)
    handling.dispatch_assignment(part, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    _refused(InvalidTransition, replies.override_cosign, part, w.clerk, reason="理由")
    write_draft(part, w.health_drafter)
    replies.submit_review(part, w.health_drafter)  # a 分办 unit has nobody to wait for
    assert part.state == "first_review"


def test_submit_review_needs_a_draft(w):
    assignment = bring_to(w, "drafting")
    error = _refused(InvalidTransition, replies.submit_review, assignment, w.health_drafter)
    assert error.message == "尚未撰写答复稿，不能送审。"


def test_co_opinions_are_numbered_from_the_units_series(w):
    opinions = []
    for _ in range(2):
        co = bring_to(w, "opinion_submitted", role="co")
        opinions.append(co.opinions[0].doc_number)
    assert opinions == [f"吉人社会字〔{YEAR}〕1号", f"吉人社会字〔{YEAR}〕2号"]
    # A unit without a 会办意见 prefix numbers them under its short name + 会字.
    proposal = factories.make_proposal(w.clerk, w.meeting)
    _, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.edu])
    handling.accept_assignment(co, w.edu_clerk)
    opinion = handling.submit_opinion(co, w.edu_clerk, text="无意见。")
    assert opinion.doc_number is None  # not before approval
    signer = factories.make_user("edu_signer", w.edu, Role.signer)
    handling.approve_opinion(co, signer)
    assert opinion.doc_number == f"省教育厅会字〔{YEAR}〕1号"


# --- review --------------------------------------------------------------------------------

def test_approving_a_changed_draft_is_refused(w):
    assignment = bring_to(w, "first_review")
    opened = latest_id(assignment)
    replies.return_draft(assignment, w.health_first, seen_version_id=opened, comment="请修改")
    write_draft(assignment, w.health_drafter, body="修改后的稿子")
    replies.submit_review(assignment, w.health_drafter)
    for seen in (opened, None, 0):
        error = _refused(Conflict, replies.approve_draft, assignment, w.health_first,
                         seen_version_id=seen)
        assert error.message == "送审稿在您打开之后已被修改，请重新查看最新的答复稿后再审核。"
    assert assignment.state == "first_review"
    assert _count(ReviewDecision, ReviewDecision.decision == "approve") == 0
    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment))
    assert assignment.state == "second_review"


def test_a_reviewer_without_that_level_is_refused(w):
    assignment = bring_to(w, "first_review")
    outsider = factories.make_user("hr_first", w.hr, Role.reviewer_first)
    for user in (w.health_second, w.health_final, w.health_signer, w.health_drafter,
                 w.health_clerk, outsider, w.clerk):
        error = _refused(PermissionDenied, replies.approve_draft, assignment, user,
                         seen_version_id=latest_id(assignment))
        assert error.message == "只有本单位初审人可以执行「审核通过」。"
        _refused(PermissionDenied, replies.return_draft, assignment, user,
                 seen_version_id=latest_id(assignment), comment="退回")
    assert assignment.state == "first_review" and _count(ReviewDecision) == 0


def test_return_needs_a_comment(w):
    assignment = bring_to(w, "second_review")
    error = _refused(ValidationFailed, replies.return_draft, assignment, w.health_second,
                     seen_version_id=latest_id(assignment), comment=" ")
    assert list(error.errors) == ["comment"]
    assert assignment.state == "second_review"


def _two_level_reviewer(w):
    return factories.make_user("health_both", w.health, Role.reviewer_first,
                               Role.reviewer_second, full_name="何双审")


def test_one_person_may_not_approve_two_levels(w):
    both = _two_level_reviewer(w)
    assignment = bring_to(w, "first_review")
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    assert assignment.state == "second_review"
    assert Action.approve not in allowed_actions(assignment, both)
    error = _refused(InvalidTransition, replies.approve_draft, assignment, both,
                     seen_version_id=latest_id(assignment))
    assert error.message == "您已对本稿作出初审，本单位不允许同一人审核两个层级。"
    assert assignment.state == "second_review"
    # Returning is still open to them; someone else approves the level.
    replies.approve_draft(assignment, w.health_second, seen_version_id=latest_id(assignment))
    assert assignment.state == "final_review"


def test_one_person_may_approve_two_levels_when_the_unit_allows_it(w):
    w.health.allow_multi_level = True
    db.session.flush()
    both = _two_level_reviewer(w)
    assignment = bring_to(w, "first_review")
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    assert Action.approve in allowed_actions(assignment, both)
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    replies.approve_draft(assignment, w.health_final, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    reply = queries.current_reply(assignment)
    assert (reply.first_reviewer, reply.second_reviewer, reply.final_reviewer) == (
        "何双审", "何双审", "吴终审")


def test_a_two_level_chain_skips_second_review(w):
    w.health.review_levels = "first,final"
    db.session.flush()
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    assert assignment.state == "first_review"
    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment))
    assert assignment.state == "final_review"
    _refused(PermissionDenied, replies.approve_draft, assignment, w.health_second,
             seen_version_id=latest_id(assignment))
    replies.approve_draft(assignment, w.health_final, seen_version_id=latest_id(assignment))
    assert assignment.state == "awaiting_signature"
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    reply = queries.current_reply(assignment)
    assert (reply.first_reviewer, reply.second_reviewer, reply.final_reviewer) == (
        "陈初审", "", "吴终审")


def test_a_one_level_chain_goes_straight_to_final_review(w):
    w.health.review_levels = "final"
    db.session.flush()
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    assert assignment.state == "final_review"


def test_a_unit_without_a_chain_cannot_submit(w):
    w.health.review_levels = ""
    db.session.flush()
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter)
    error = _refused(InvalidTransition, replies.submit_review, assignment, w.health_drafter)
    assert "审核流程" in error.message


def test_resubmission_after_a_return_starts_again_at_first_review(w):
    other_first = factories.make_user("health_first2", w.health, Role.reviewer_first,
                                      full_name="蒋初审")
    assignment = bring_to(w, "second_review")
    assert assignment.review_cycle == 1
    replies.return_draft(assignment, w.health_second, seen_version_id=latest_id(assignment),
                         comment="第二部分数据有误")
    assert assignment.state == "drafting"
    write_draft(assignment, w.health_drafter, body="更正数据后的答复稿")
    replies.submit_review(assignment, w.health_drafter)
    assert (assignment.state, assignment.review_cycle) == ("first_review", 2)
    assert queries.current_cycle_decisions(assignment) == []
    # The first cycle's approval by 陈初审 does not count for the new one.
    approve_chain(w, assignment, {"first": other_first, "second": w.health_second,
                                  "final": w.health_final})
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    reply = queries.current_reply(assignment)
    assert (reply.first_reviewer, reply.second_reviewer, reply.final_reviewer,
            reply.signer_name) == ("蒋初审", "周复审", "吴终审", "郑签发")
    assert reply.draft_version.body == "更正数据后的答复稿"
    assert [(d.cycle, d.level, d.decision) for d in queries.decisions(assignment)] == [
        (1, "first", "approve"), (1, "second", "return"), (2, "first", "approve"),
        (2, "second", "approve"), (2, "final", "approve"), (2, "sign", "approve")]


def test_the_same_reviewer_approves_again_in_a_new_cycle(w):
    both = _two_level_reviewer(w)
    assignment = bring_to(w, "drafting")
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    replies.return_draft(assignment, w.health_second, seen_version_id=latest_id(assignment),
                         comment="请修改")
    write_draft(assignment, w.health_drafter, body="第二稿")
    replies.submit_review(assignment, w.health_drafter)
    # Their approval of the earlier submission does not bar them from 复审 this time ...
    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment))
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    assert assignment.state == "final_review"


@pytest.mark.parametrize("state,user", [
    ("first_review", "health_first"), ("second_review", "health_second"),
    ("final_review", "health_final"), ("awaiting_signature", "health_signer"),
])
def test_every_level_may_return_the_draft_to_the_drafter(w, state, user):
    assignment = bring_to(w, state)
    replies.return_draft(assignment, getattr(w, user), seen_version_id=latest_id(assignment),
                         comment="请补充近三年数据")
    assert assignment.state == "drafting" and assignment.proposal.state == "drafting"
    [decision] = [d for d in queries.decisions(assignment) if d.decision == "return"]
    assert (decision.comment, decision.reviewer_id) == ("请补充近三年数据", getattr(w, user).id)
    assert Action.save_draft in allowed_actions(assignment, w.health_drafter)


def test_the_signer_may_return_the_draft(w):
    assignment = bring_to(w, "awaiting_signature")
    replies.return_draft(assignment, w.health_signer, seen_version_id=latest_id(assignment),
                         comment="请压缩篇幅")
    assert assignment.state == "drafting"
    assert queries.current_reply(assignment) is None


# --- sign-off and issue ----------------------------------------------------------------------

def _key_item_awaiting_signature(w) -> Assignment:
    proposal = factories.make_proposal(w.clerk, w.meeting, is_key=True)
    (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
    handling.accept_assignment(assignment, w.health_clerk)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    approve_chain(w, assignment)
    return assignment


def test_a_key_item_is_signed_by_the_principal_leader_only(w):
    assignment = _key_item_awaiting_signature(w)
    assert Action.sign not in allowed_actions(assignment, w.health_signer)
    error = _refused(PermissionDenied, replies.sign_reply, assignment, w.health_signer,
                     seen_version_id=latest_id(assignment))
    assert "主要负责人" in error.message
    assert _count(Reply) == 0 and assignment.state == "awaiting_signature"
    replies.sign_reply(assignment, w.health_leader, seen_version_id=latest_id(assignment))
    reply = queries.current_reply(assignment)
    assert (assignment.state, reply.signer_id, reply.signer_name) == (
        "signed", w.health_leader.id, "冯主任")


def test_an_ordinary_item_is_signed_by_a_signer(w):
    assignment = bring_to(w, "awaiting_signature")
    _refused(PermissionDenied, replies.sign_reply, assignment, w.health_final,
             seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    reply = queries.current_reply(assignment)
    assert (reply.first_reviewer, reply.second_reviewer, reply.final_reviewer,
            reply.signer_name, reply.doc_number) == ("陈初审", "周复审", "吴终审", "郑签发", None)


def test_issue_numbers_the_reply(w):
    assignment = bring_to(w, "signed")
    _refused(PermissionDenied, replies.issue_reply, assignment, w.health_drafter)
    reply = replies.issue_reply(assignment, w.health_clerk)
    assert assignment.state == "replied" and assignment.proposal.state == "replied"
    assert reply.doc_number == f"吉卫复议字〔{YEAR}〕1号" and reply.series_number == 1
    assert reply.issued_by_id == w.health_clerk.id and reply.issued_at is not None


def test_a_unit_without_a_prefix_cannot_issue(w):
    w.health.prefix_suggestion = ""
    db.session.flush()
    assignment = bring_to(w, "signed")
    error = _refused(InvalidTransition, replies.issue_reply, assignment, w.health_clerk)
    assert error.message == \
        "本单位尚未设置建议答复的发文字号前缀，请联系系统管理员在单位设置中填写。"
    assert assignment.state == "signed"
    assert queries.current_reply(assignment).doc_number is None
    assert _count(DocSeries) == 0


def test_issue_twice_is_refused(w):
    assignment = bring_to(w, "replied")
    _refused(InvalidTransition, replies.issue_reply, assignment, w.health_clerk)
    assert db.session.get(DocSeries, queries.current_reply(assignment).series_id).last_number == 1


# --- the event log and deadlines -------------------------------------------------------------

def test_every_step_is_in_the_event_log(w):
    lead, co = _lead_with_co(w)
    write_draft(lead, w.health_drafter, note="初稿")
    write_draft(lead, w.health_drafter, body="第二稿")
    replies.override_cosign(lead, w.clerk, reason="会办单位逾期")
    replies.submit_review(lead, w.health_drafter, note="请审核")
    replies.return_draft(lead, w.health_first, seen_version_id=latest_id(lead), comment="补充")
    write_draft(lead, w.health_drafter, body="第三稿")
    replies.submit_review(lead, w.health_drafter)
    approve_chain(w, lead)
    replies.sign_reply(lead, w.health_signer, seen_version_id=latest_id(lead))
    replies.issue_reply(lead, w.health_clerk)
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "assignment", AuditEvent.object_id == lead.id)
        .order_by(AuditEvent.seq)))
    steps = [(e.action, e.actor_id, e.outcome) for e in events][2:]  # after accept, dispatch
    h = w
    assert steps == [
        ("save_draft", h.health_drafter.id, "success"),
        ("save_draft", h.health_drafter.id, "success"),
        ("override_cosign", h.clerk.id, "success"),
        ("submit_review", h.health_drafter.id, "success"),
        ("return_draft", h.health_first.id, "success"),
        ("save_draft", h.health_drafter.id, "success"),
        ("submit_review", h.health_drafter.id, "success"),
        ("approve", h.health_first.id, "success"),
        ("approve", h.health_second.id, "success"),
        ("approve", h.health_final.id, "success"),
        ("sign", h.health_signer.id, "success"),
        ("issue", h.health_clerk.id, "success"),
    ]
    details = [details_of(e) for e in events][2:]
    assert (details[0]["version"], details[0]["note"], details[0]["source"]) == (1, "初稿", "form")
    assert details[2]["reason"] == "会办单位逾期"
    assert (details[3]["from"], details[3]["to"], details[3]["version"], details[3]["note"]) == (
        "drafting", "first_review", 2, "请审核")
    assert (details[4]["level"], details[4]["comment"], details[4]["to"]) == (
        "first", "补充", "drafting")
    assert [(d["level"], d["from"], d["to"]) for d in details[7:11]] == [
        ("first", "first_review", "second_review"), ("second", "second_review", "final_review"),
        ("final", "final_review", "awaiting_signature"), ("sign", "awaiting_signature", "signed")]
    assert details[11]["doc_number"] == f"吉卫复议字〔{YEAR}〕1号"
    assert all(e.proposal_id == lead.proposal_id for e in events)
    assert verify_chain().ok


def test_waiting_days_in_the_current_state(w):
    assignment = bring_to(w, "first_review")
    assert replies.waiting_days(assignment) == 0
    db.session.execute(update(Assignment).where(Assignment.id == assignment.id).values(
        state_since=utcnow() - timedelta(days=4, hours=1)))
    db.session.expire(assignment)
    assert replies.waiting_days(assignment) == 4
    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment))
    assert replies.waiting_days(assignment) == 0  # the clock restarts in 复审


def test_an_item_overdue_in_review_is_flagged_and_listed(w, client):
    late = bring_to(w, "first_review")
    on_time = bring_to(w, "second_review")
    db.session.execute(update(Assignment).where(Assignment.id == late.id).values(
        assigned_on=today() - timedelta(days=100), return_due_on=today() - timedelta(days=90),
        due_on=today() - timedelta(days=2)))
    db.session.commit()
    db.session.expire_all()
    assert late.is_overdue() and not on_time.is_overdue()
    assert late.is_overdue(on=today() - timedelta(days=2)) is False
    late_number, on_time_number = late.proposal.number, on_time.proposal.number

    client.login("clerk")
    listing = client.get("/proposals?overdue=1").get_data(as_text=True)
    assert f">{late_number}<" in listing and f">{on_time_number}<" not in listing
    everything = client.get("/proposals").get_data(as_text=True)
    assert f">{on_time_number}<" in everything
