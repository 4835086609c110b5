"""A co-handling unit's 会办意见: submitted to its leader, approved (numbered, sent to the lead
unit, the deadline stopped) or returned for revision; who approves; the default series."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.support.handling import bring_to
from tests.support.notifications import notified, set_due
from tracker.accounts import operations as accounts
from tracker.accounts.models import Role
from tracker.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.time import today, utcnow
from tracker.desk.queries import todo_for
from tracker.extensions import db
from tracker.handling import operations, permissions
from tracker.handling.models import Assignment, CoOpinion
from tracker.handling.workflow import Action, allowed_actions
from tracker.replies import queries as replies

YEAR = today().year


def _co_item(w):
    """health leads, hr co-handles; both acknowledged, hr passed it to its drafter."""
    proposal = factories.make_proposal(w.clerk, w.meeting)
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
    operations.accept_assignment(lead, w.health_clerk)
    operations.accept_assignment(co, w.hr_clerk)
    operations.dispatch_assignment(co, w.hr_clerk, section_id=w.hr_section.id,
                                   drafter_id=w.hr_drafter.id)
    return lead, co


def _fresh(assignment: Assignment) -> Assignment:
    db.session.expire_all()
    return db.session.get(Assignment, assignment.id)


def test_a_submitted_opinion_waits_for_the_leader_and_the_lead_does_not_see_it(w):
    lead, co = _co_item(w)
    opinion = operations.submit_opinion(co, w.hr_drafter, text="同意主办单位意见。")
    co = _fresh(co)
    assert co.state == "opinion_pending" and opinion.status == "pending"
    assert opinion.doc_number is None
    # The lead unit and the office read nothing yet; hr and its leader read the pending text.
    for user in (w.health_clerk, w.health_drafter, w.clerk, w.edu_clerk):
        assert permissions.visible_opinions(user, co) == [], user.username
    for user in (w.hr_clerk, w.hr_leader):
        assert [o.text for o in permissions.visible_opinions(user, co)] == ["同意主办单位意见。"]
    assert replies.missing_co_opinions(lead) == ["省人力资源和社会保障厅"]
    assert replies.review_context(lead, w.health_drafter)["opinions"] == []
    # Not finished: its deadline still runs, and it is overdue once that passes.
    assert not co.is_finished
    assert co.is_overdue(co.due_on + timedelta(days=1))
    # The leader has it on the to-do list and was told; the lead unit was not.
    assert [(e.assignment.id, e.what, e.actions) for e in todo_for(w.hr_leader)] == [
        (co.id, "待审批会办意见", [Action.approve_opinion, Action.return_opinion])]
    assert notified(co, "co_opinion") == ["hr_leader"]
    assert notified(lead, "co_opinion") == []
    assert not [e for e in todo_for(w.hr_clerk) if e.assignment.id == co.id]


def test_approval_numbers_the_opinion_tells_the_lead_and_stops_the_deadline(w):
    lead, co = _co_item(w)
    opinion = operations.submit_opinion(co, w.hr_drafter, text="同意主办单位意见。")
    operations.approve_opinion(co, w.hr_leader, note="同意")
    co = _fresh(co)
    opinion = db.session.get(CoOpinion, opinion.id)
    assert co.state == "opinion_submitted" and co.is_finished
    assert not co.is_overdue(co.due_on + timedelta(days=1))
    assert (opinion.status, opinion.decided_by_id, opinion.decision_note) == (
        "approved", w.hr_leader.id, "同意")
    assert opinion.doc_number == f"吉人社会字〔{YEAR}〕1号"
    assert co.approved_opinion.id == opinion.id and co.opinion_on_time
    assert replies.missing_co_opinions(lead) == []
    assert [o.id for o in permissions.visible_opinions(w.health_clerk, co)] == [opinion.id]
    assert notified(lead, "co_opinion") == ["health_clerk"]
    assert todo_for(w.hr_leader) == []


def test_return_revise_resubmit_approve_keeps_every_version(w):
    lead, co = _co_item(w)
    first = operations.submit_opinion(co, w.hr_drafter, text="同意。")
    with pytest.raises(ValidationFailed):
        operations.return_opinion(co, w.hr_leader, comment=" ")
    operations.return_opinion(co, w.hr_leader, comment="请写明职称评审的具体措施")
    co = _fresh(co)
    # Back with the drafter, who is told why; the lead still waits.
    assert co.state == "drafting" and not co.is_finished
    assert notified(co, "draft_returned") == ["hr_drafter"]
    assert Action.submit_opinion in allowed_actions(co, w.hr_drafter)
    assert replies.missing_co_opinions(lead) == ["省人力资源和社会保障厅"]
    second = operations.submit_opinion(co, w.hr_drafter, text="同意。我厅将落实职称评审倾斜政策。")
    operations.approve_opinion(_fresh(co), w.hr_leader)
    co = _fresh(co)
    assert [(o.id, o.status.value, o.doc_number) for o in co.opinions] == [
        (first.id, "returned", None), (second.id, "approved", f"吉人社会字〔{YEAR}〕1号")]
    assert co.opinions[0].decision_note == "请写明职称评审的具体措施"
    # The lead unit reads the approved version only; hr reads both.
    assert [o.id for o in permissions.visible_opinions(w.health_clerk, co)] == [second.id]
    assert len(permissions.visible_opinions(w.hr_clerk, co)) == 2


def test_an_opinion_never_passed_on_returns_to_the_clerk(w):
    co = bring_to(w, "opinion_pending", role="co")  # submitted by hr's clerk after 签收
    operations.return_opinion(co, w.hr_leader, comment="请补充")
    co = _fresh(co)
    assert co.state == "accepted" and co.drafter_id is None
    assert notified(co, "draft_returned") == ["hr_clerk"]


def test_who_may_approve(w):
    co = bring_to(w, "opinion_pending", role="co")
    # hr's clerk and drafter, another unit's leader and signer, the office: refused.
    for user in (w.hr_clerk, w.hr_drafter, w.health_leader, w.health_signer, w.clerk):
        with pytest.raises(PermissionDenied) as refused:
            operations.approve_opinion(co, user)
        assert "会办单位签发人、主要负责人或领导" in refused.value.message
        assert Action.approve_opinion not in allowed_actions(co, user)
        db.session.expire_all()
    # hr's signer, its principal leader (whatever their roles) and its 领导 may.
    signer = factories.make_user("hr_signer", w.hr, Role.signer)
    principal = factories.make_user("hr_principal", w.hr, Role.reviewer_first)
    w.hr.principal_leader_id = principal.id
    db.session.flush()
    for user in (signer, principal, w.hr_leader):
        assert Action.approve_opinion in allowed_actions(co, user), user.username
        assert permissions.is_opinion_approver_of(user, co)
    operations.approve_opinion(co, principal)
    assert _fresh(co).state == "opinion_submitted"


def test_a_decision_on_a_changed_opinion_is_refused(w):
    co = bring_to(w, "opinion_pending", role="co")
    seen = co.pending_opinion.id
    with pytest.raises(Conflict):
        operations.approve_opinion(co, w.hr_leader, seen_opinion_id=seen + 1000)
    db.session.expire_all()
    operations.approve_opinion(_fresh(co), w.hr_leader, seen_opinion_id=seen)
    with pytest.raises(InvalidTransition):
        operations.approve_opinion(_fresh(co), w.hr_leader)


def test_the_approval_is_the_opinions_date_for_the_supervision_facts(w):
    _, co = _co_item(w)
    operations.submit_opinion(co, w.hr_drafter, text="同意。")
    # Submitted in time, approved after the deadline: not on time.
    set_due(co, today() - timedelta(days=1))
    opinion = _fresh(co).pending_opinion
    opinion.submitted_at = utcnow() - timedelta(days=3)
    db.session.flush()
    operations.approve_opinion(_fresh(co), w.hr_leader)
    assert not _fresh(co).opinion_on_time


def test_a_unit_without_a_prefix_numbers_under_its_short_name(w):
    proposal = factories.make_proposal(w.clerk, w.meeting)
    _, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.edu])
    w.edu.short_name = "省教育厅"
    operations.accept_assignment(co, w.edu_clerk)
    operations.submit_opinion(co, w.edu_clerk, text="无意见。")
    leader = factories.make_user("edu_leader", w.edu, Role.leader)
    opinion = operations.approve_opinion(co, leader)
    assert opinion.doc_number == f"省教育厅会字〔{YEAR}〕1号"
    assert accounts.co_opinion_prefix(w.edu) == "省教育厅会字"
    assert accounts.co_opinion_prefix(w.hr) == "吉人社会字"  # typed in its settings


def test_default_prefixes_stay_unique(w):
    # Two units with one short name: each falls back to its full name.
    w.edu.short_name = "省人社"
    w.hr.short_name, w.hr.prefix_co_opinion = "省人社", ""
    db.session.flush()
    assert accounts.default_co_opinion_prefix(w.edu) == "省教育厅会字"
    assert accounts.default_co_opinion_prefix(w.hr) == "省人力资源和社会保障厅会字"
    # A prefix another unit defaults to cannot be typed by a third.
    w.hr.short_name = "省人社厅"
    db.session.flush()
    with pytest.raises(ValidationFailed) as refused:
        _settings(w.health, prefix_co_opinion="省人社厅会字")
    assert refused.value.errors == {"prefix_co_opinion": [
        "「省人力资源和社会保障厅」未设会办意见前缀，按单位简称默认使用该前缀。"]}
    # Nor one another unit typed; and a default steps aside for a typed one.
    with pytest.raises(ValidationFailed):
        _settings(w.edu, prefix_co_opinion="吉卫会字")
    w.edu.short_name = "吉卫"
    db.session.flush()
    assert accounts.default_co_opinion_prefix(w.edu) == "省教育厅会字"


def _settings(unit, **prefixes):
    values = dict(review_levels=unit.chain, allow_multi_level=unit.allow_multi_level,
                  principal_leader_id=unit.principal_leader_id,
                  closing_default=unit.closing_default,
                  prefix_suggestion=unit.prefix_suggestion, prefix_proposal=unit.prefix_proposal,
                  prefix_co_opinion=unit.prefix_co_opinion)
    values.update(prefixes)
    return accounts.update_unit_settings(None, unit, **values)


def test_the_timeline_keeps_a_pending_text_and_the_leaders_comment_within_the_unit(w):
    from tracker.desk.queries import visible_timeline

    lead, co = _co_item(w)
    operations.submit_opinion(co, w.hr_drafter, text="草稿意见")
    operations.return_opinion(_fresh(co), w.hr_leader, comment="内部修改意见")
    operations.submit_opinion(_fresh(co), w.hr_drafter, text="正式意见")
    operations.approve_opinion(_fresh(co), w.hr_leader)

    def shown(user):
        return str([d for e, d in visible_timeline(lead.proposal, user)])

    for user in (w.health_clerk, w.clerk):
        text = shown(user)
        assert "正式意见" in text and "草稿意见" not in text and "内部修改意见" not in text
    text = shown(w.hr_clerk)
    assert "草稿意见" in text and "内部修改意见" in text and "正式意见" in text


def test_the_pending_opinion_is_shown_on_the_approval_page(app, make_client, world):
    from tracker.accounts.models import Unit, User
    from tracker.proposals.models import Meeting

    with app.test_request_context():
        proposal = factories.make_proposal(db.session.get(User, world.clerk),
                                           db.session.get(Meeting, world.meeting))
        _, co = factories.assign(proposal, db.session.get(User, world.clerk),
                                 lead=db.session.get(Unit, world.health),
                                 co=[db.session.get(Unit, world.hr)])
        operations.accept_assignment(co, db.session.get(User, world.hr_clerk))
        operations.submit_opinion(co, db.session.get(User, world.hr_clerk), text="待批的意见")
        db.session.commit()
        co_id, pid = co.id, proposal.id
    leader = make_client()
    leader.login("hr_leader")
    page = leader.get(f"/assignments/{co_id}/actions/return_opinion").get_data(as_text=True)
    assert "待批的意见" in page and "退回意见" in page
    refused = leader.post_form(f"/assignments/{co_id}/actions/return_opinion", {"comment": ""})
    assert refused.status_code == 422
    assert leader.post_form(f"/assignments/{co_id}/actions/return_opinion",
                            {"comment": "请补充数据"}).status_code == 302
    clerk = make_client()
    clerk.login("hr_clerk")
    form = clerk.get(f"/assignments/{co_id}/actions/submit_opinion").get_data(as_text=True)
    # The clerk revises the returned text, and sees why it came back.
    assert "待批的意见</textarea>" in form and "请补充数据" in form
    home = make_client()
    home.login("health_clerk")
    assert "待批的意见" not in home.get(f"/proposals/{pid}").get_data(as_text=True)


def test_a_unit_may_ask_for_more_time_while_its_opinion_waits_for_approval(w):
    """The deadline still runs while the leader has not approved the 会办意见."""
    from tracker.core.states import AssignmentState

    co = bring_to(w, "accepted", role="co")
    operations.submit_opinion(co, w.hr_clerk, text="同意主办单位意见。")
    assert co.state == AssignmentState.opinion_pending
    operations.request_extension(co, w.hr_clerk, reason="须经厅务会研究。", due_on=None,
                                 one_month=True)
    assert co.extension is not None and co.extension.status == "requested"


def test_who_submitted_an_opinion_does_not_approve_it(w):
    """A small unit's clerk who also signs may not approve the opinion they submitted."""
    lead, co = _co_item(w)
    w.hr_clerk.set_roles({Role.unit_clerk, Role.signer})
    db.session.flush()
    operations.submit_opinion(co, w.hr_clerk, text="同意主办单位意见。")
    co = _fresh(co)
    assert Action.approve_opinion not in allowed_actions(co, w.hr_clerk)
    with pytest.raises(InvalidTransition, match="提交与审批应由不同的人担任"):
        operations.approve_opinion(co, w.hr_clerk)
    # Another approver may; a unit that allows it (one-person offices) lets the author too.
    assert Action.approve_opinion in allowed_actions(co, w.hr_leader)
    w.hr.allow_author_approval = True
    db.session.flush()
    assert operations.approve_opinion(_fresh(co), w.hr_clerk).is_approved
