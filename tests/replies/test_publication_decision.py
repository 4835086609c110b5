"""办理结果公开 decided with the reply: the drafter proposes 全文公开 / 摘要公开 / 不予公开 (with a
reason from a fixed list), the reviewers see it and may change it, the signer confirms it,
and the reply keeps what was confirmed. Wrong choices are refused beside their field, with
nothing saved."""
from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from tests import factories
from tests.support.base import load
from tests.support.handling import world_rows
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.replies.models import DraftVersion, Reply, ReviewDecision

BODY = "一、基本情况\n我委高度重视基层卫生人才队伍建设。\n二、下一步工作\n（一）扩大定向培养规模"
SUMMARY = "省卫生健康委答复：将扩大农村订单定向医学生培养规模，完善基层人才激励政策。"


def _drafting(app, world) -> int:
    with app.test_request_context():
        w = world_rows(world)
        (lead,) = factories.assign(factories.make_proposal(w.clerk, w.meeting), w.clerk,
                                   lead=w.health)
        handling.accept_assignment(lead, w.health_clerk)
        handling.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                     drafter_id=w.health_drafter.id)
        db.session.commit()
        return lead.id


def _form(base: int, **extra) -> dict:
    data = {"base_number": str(base), "body": BODY, "result_class": "B",
            "reply_form": "written", "disclosure": "public", "publication": "full",
            "withhold_reason": "", "public_summary": "", "contact_name": "刘承办",
            "contact_phone": "0431-88900000", "cc": "", "closing": "", "salutation": "",
            "opening": "", "note": ""}
    data.update(extra)
    return data


def _hidden(page: str, name: str) -> str:
    match = re.search(r'name="' + re.escape(name) + r'"[^>]*value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def _selected(page: str, name: str) -> str:
    select_html = re.search(r'<select[^>]*name="' + name + r'".*?</select>', page, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected',
                     select_html).group(0)


def _drafts(app, assignment_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(DraftVersion).where(
            DraftVersion.assignment_id == assignment_id))


def _error_beside(page: str, field: str, message: str) -> bool:
    """The message shows in the invalid-feedback right after the field."""
    at = page.find(f'name="{field}"')
    return at >= 0 and message in page[at:at + 3000].split('name="', 2)[1]


def test_wrong_publication_choices_are_refused_beside_the_field(app, world, make_client):
    lead = _drafting(app, world)
    drafter = make_client()
    drafter.login("health_drafter")
    editor = f"/assignments/{lead}/actions/save_draft"
    cases = [
        (dict(publication="summary"), "public_summary", "摘要公开时请填写公开的摘要。"),
        (dict(disclosure="not_public", publication="withheld"), "withhold_reason",
         "不予公开时请选择不予公开的理由。"),
        (dict(publication="withheld", withhold_reason="privacy"), "publication",
         "不能不予公开"),
        (dict(disclosure="on_request", publication="full"), "publication",
         "不能在门户网站公开"),
        (dict(publication="summary", public_summary="摘" * 2001), "public_summary",
         "摘要不能超过 2000 字。"),
    ]
    for extra, field, message in cases:
        response = drafter.post_form(editor, _form(0, **extra))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, extra
        assert _error_beside(page, field, message), (extra, field)
    assert _drafts(app, lead) == 0


def test_drafter_proposes_reviewers_change_and_signer_confirms(app, world, make_client):
    lead = _drafting(app, world)
    drafter = make_client()
    drafter.login("health_drafter")
    editor = f"/assignments/{lead}/actions/save_draft"
    page = drafter.get(editor).get_data(as_text=True)
    assert "办理结果公开" in page and "不予公开理由" in page and "公开摘要" in page
    assert 'value="full" selected' in page or 'selected value="full"' in page
    # A withheld reply: 依申请公开 on the letter, the reason from the list.
    assert drafter.post_form(editor, _form(0, disclosure="on_request", publication="withheld",
                                           withhold_reason="privacy",
                                           public_summary="不会保存的摘要")).status_code == 302
    # Then 全文公开 after all: the letter marked 主动公开.
    assert drafter.post_form(editor, _form(1)).status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(DraftVersion).where(
            DraftVersion.assignment_id == lead).order_by(DraftVersion.number))
        assert (first.publication, first.withhold_reason, first.public_summary) == \
            ("withheld", "privacy", "")
        assert (second.publication, second.withhold_reason) == ("full", "")
    submit = drafter.get(f"/assignments/{lead}/actions/submit_review").get_data(as_text=True)
    assert drafter.post_form(f"/assignments/{lead}/actions/submit_review", {
        "version": _hidden(submit, "version")}).status_code == 302

    # 初审 sees 全文公开 and changes it to 摘要公开; a summary is required.
    first = make_client()
    first.login("health_first")
    review = first.get(f"/assignments/{lead}/actions/approve").get_data(as_text=True)
    assert "全文公开" in review
    assert "full" in _selected(review, "publication")
    seen = _hidden(review, "seen_version_id")
    refused = first.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": seen, "publication": "summary", "public_summary": "",
        "withhold_reason": ""})
    assert refused.status_code == 422
    assert _error_beside(refused.get_data(as_text=True), "public_summary",
                         "摘要公开时请填写公开的摘要。")
    assert load_state(app, lead) == "first_review"
    assert first.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": seen, "publication": "summary", "public_summary": SUMMARY,
        "withhold_reason": "privacy", "comment": "同意，摘要公开。"}).status_code == 302
    assert load_state(app, lead) == "second_review"

    # 复审 sees the change, keeps it: nothing recorded as changed.
    second = make_client()
    second.login("health_second")
    review = second.get(f"/assignments/{lead}/actions/approve").get_data(as_text=True)
    assert "summary" in _selected(review, "publication") and SUMMARY in review
    assert "改为摘要公开" in review
    assert second.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": _hidden(review, "seen_version_id"), "publication": "summary",
        "public_summary": SUMMARY, "withhold_reason": ""}).status_code == 302
    # 终审 approves from a page without the fields (an older page, the API): unchanged.
    final = make_client()
    final.login("health_final")
    review = final.get(f"/assignments/{lead}/actions/approve").get_data(as_text=True)
    assert final.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": _hidden(review, "seen_version_id")}).status_code == 302

    # The signer confirms; the reply keeps the decision.
    signer = make_client()
    signer.login("health_signer")
    sign = signer.get(f"/assignments/{lead}/actions/sign").get_data(as_text=True)
    assert "summary" in _selected(sign, "publication")
    assert signer.post_form(f"/assignments/{lead}/actions/sign", {
        "seen_version_id": _hidden(sign, "seen_version_id"), "publication": "summary",
        "public_summary": SUMMARY, "withhold_reason": ""}).status_code == 302
    with app.app_context():
        decisions = list(db.session.scalars(select(ReviewDecision).where(
            ReviewDecision.assignment_id == lead).order_by(ReviewDecision.id)))
        assert [(d.level, d.publication) for d in decisions] == [
            ("first", "summary"), ("second", None), ("final", None), ("sign", "summary")]
        assert decisions[0].withhold_reason == ""  # a reason only when withheld
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == lead))
        assert (reply.publication, reply.withhold_reason, reply.public_summary) == \
            ("summary", "", SUMMARY)
        changed = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "approve", AuditEvent.object_id == lead)
            .order_by(AuditEvent.id).limit(1))
        assert json.loads(changed.details)["publication"] == "摘要公开"
        proposal_id = load(Assignment, lead).proposal_id
    item = signer.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "公开方式改为摘要公开" in item and "确认摘要公开" in item


def test_a_reviewer_cannot_withhold_a_letter_marked_for_publication(app, world, make_client):
    """不予公开 changes what the letter prints (此件公开发布): the draft goes back instead."""
    lead, first, review = _at_first_review(app, world, make_client)
    refused = first.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": _hidden(review, "seen_version_id"), "publication": "withheld",
        "withhold_reason": "privacy", "public_summary": ""})
    assert refused.status_code == 422
    assert _error_beside(refused.get_data(as_text=True), "publication", "不能不予公开")
    assert load_state(app, lead) == "first_review"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReviewDecision).where(
            ReviewDecision.assignment_id == lead)) == 0


def _at_first_review(app, world, make_client):
    """A draft (全文公开) sent to 初审: the assignment, the 初审 reviewer's client and the page."""
    lead = _drafting(app, world)
    drafter = make_client()
    drafter.login("health_drafter")
    assert drafter.post_form(f"/assignments/{lead}/actions/save_draft",
                             _form(0)).status_code == 302
    submit = drafter.get(f"/assignments/{lead}/actions/submit_review").get_data(as_text=True)
    drafter.post_form(f"/assignments/{lead}/actions/submit_review",
                      {"version": _hidden(submit, "version")})
    first = make_client()
    first.login("health_first")
    return lead, first, first.get(f"/assignments/{lead}/actions/approve").get_data(as_text=True)


def load_state(app, assignment_id: int) -> str:
    with app.app_context():
        return load(Assignment, assignment_id).state


def test_reviewers_mark_words_to_remove_from_the_public_text(app, world, make_client):
    lead, first, review = _at_first_review(app, world, make_client)
    assert "公开时删除的词语" in review
    seen = _hidden(review, "seen_version_id")
    refused = first.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": seen, "publication": "full", "redact_words": "王某某\n王"})
    assert refused.status_code == 422
    assert _error_beside(refused.get_data(as_text=True), "redact_words", "每个词语至少两个字")
    assert first.post_form(f"/assignments/{lead}/actions/approve", {
        "seen_version_id": seen, "publication": "full",
        "redact_words": " 王某某 \n\n幸福小区\n王某某"}).status_code == 302
    with app.app_context():
        decision = db.session.scalar(select(ReviewDecision).where(
            ReviewDecision.assignment_id == lead))
        assert decision.redact_words == "王某某\n幸福小区"
        assert decision.publication is None  # the decision itself unchanged
    second = make_client()
    second.login("health_second")
    assert "公开时删除：王某某、幸福小区" in second.get(
        f"/assignments/{lead}/actions/approve").get_data(as_text=True)
