"""Deadline extensions (申请延期): once, at most a month, approved by the supervising clerk,
every step in the log, and the item page shows how each deadline came about."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.handling import bring_to
from tests.support.notifications import notified
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tracker.extensions import db
from tracker.handling import operations
from tracker.handling.models import Assignment, DeadlineExtension
from tracker.workdays.calendar import WorkCalendar


def _events(assignment, action):
    return [details_of(e) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == assignment.id,
                                 AuditEvent.object_type == "assignment",
                                 AuditEvent.action == action,
                                 AuditEvent.outcome == "success"))]


def _extensions() -> int:
    return db.session.scalar(select(func.count()).select_from(DeadlineExtension))


def test_request_and_approval_move_the_deadline_and_say_why(w):
    assignment = bring_to(w, "drafting")
    original_due, original_basis = assignment.due_on, assignment.due_basis
    limit = operations.extension_limit(assignment)
    calendar = WorkCalendar.load()
    assert limit == calendar.months_deadline(original_due, 1).due_on
    extension = operations.request_extension(assignment, w.health_clerk,
                                             reason="需赴基层实地调研", due_on=limit)
    assert (extension.status, extension.requested_due_on) == ("requested", limit)
    assert db.session.get(Assignment, assignment.id).due_on == original_due
    assert assignment.state == "drafting"
    assert notified(assignment, "extension_requested") == ["clerk"]
    [requested] = _events(assignment, "request_extension")
    assert requested["reason"] == "需赴基层实地调研"
    assert requested["due_on"] == original_due.isoformat()
    assert requested["requested_due_on"] == limit.isoformat()

    operations.approve_extension(assignment, w.clerk, note="同意")
    db.session.expire_all()
    assert assignment.due_on == limit and assignment.state == "drafting"
    assert assignment.due_basis == (
        f"原期限 {original_due.isoformat()}（{original_basis}）；经交办员 赵交办 批准延期至 "
        f"{calendar.describe(limit)}（理由：需赴基层实地调研）")
    assert assignment.extension.status == "approved"
    assert assignment.extension.decided_by_id == w.clerk.id
    assert notified(assignment, "extension_decided") == ["health_clerk", "health_drafter"]
    from tracker.notifications.models import Notification

    # The supervising clerk's notice of the request is dealt with, so no longer unread.
    assert db.session.scalars(select(Notification.read_at).where(
        Notification.kind == "extension_requested")).all() != [None]
    [approved] = _events(assignment, "approve_extension")
    assert (approved["due_on"], approved["new_due_on"], approved["note"]) == (
        original_due.isoformat(), limit.isoformat(), "同意")


def test_one_month_is_computed_on_the_working_day_calendar(w):
    assignment = bring_to(w, "accepted", "co")  # a co-handling unit may ask too
    extension = operations.request_extension(assignment, w.hr_clerk, reason="等待统计数据",
                                             one_month=True)
    expected = WorkCalendar.load().months_deadline(assignment.due_on, 1).due_on
    assert extension.requested_due_on == expected
    assert WorkCalendar.load().is_workday(expected)


def test_a_refusal_keeps_the_deadline(w):
    assignment = bring_to(w, "first_review")
    due = assignment.due_on
    operations.request_extension(assignment, w.health_clerk, reason="需补充调研", one_month=True)
    with pytest.raises(ValidationFailed) as err:
        operations.reject_extension(assignment, w.clerk, reason="  ")
    assert err.value.errors["reason"] == ["请说明不同意延期的理由。"]
    operations.reject_extension(assignment, w.clerk, reason="期限充足，请按时办理")
    db.session.expire_all()
    assert assignment.due_on == due and assignment.extension.status == "rejected"
    assert assignment.extension.decision_note == "期限充足，请按时办理"
    assert notified(assignment, "extension_decided") == ["health_clerk", "health_drafter"]
    from tracker.notifications.models import Notification

    message = db.session.scalar(select(Notification.text).where(
        Notification.assignment_id == assignment.id, Notification.kind == "extension_decided"))
    assert "不同意延期（理由：期限充足，请按时办理）" in message and due.isoformat() in message


@pytest.mark.parametrize("decision", ["pending", "approve", "reject"])
def test_a_second_request_is_refused(w, decision):
    assignment = bring_to(w, "drafting")
    operations.request_extension(assignment, w.health_clerk, reason="需补充调研", one_month=True)
    if decision == "approve":
        operations.approve_extension(assignment, w.clerk)
    elif decision == "reject":
        operations.reject_extension(assignment, w.clerk, reason="期限充足")
    db.session.expire_all()
    with pytest.raises(InvalidTransition) as err:
        operations.request_extension(assignment, w.health_clerk, reason="再延一次",
                                     one_month=True)
    assert "每件交办只能申请一次延期" in err.value.message
    assert {"pending": "正在等待交办员审批", "approve": "已批准延期至",
            "reject": "交办员未予批准"}[decision] in err.value.message
    assert _extensions() == 1


def test_the_requested_date_is_checked(w):
    assignment = bring_to(w, "drafting")
    calendar = WorkCalendar.load()
    current, limit = assignment.due_on, operations.extension_limit(assignment)
    too_late = calendar.roll_forward(limit + timedelta(days=1))
    rest_day = next(current + timedelta(days=n) for n in range(1, 40)
                    if not calendar.is_workday(current + timedelta(days=n)))
    cases = [
        ({"due_on": too_late}, f"延期最长 1 个月：现期限 {current.isoformat()}，最晚可延至"),
        ({"due_on": current}, f"延期后的期限须晚于现期限（{current.isoformat()}）。"),
        ({"due_on": current - timedelta(days=3)}, "延期后的期限须晚于现期限"),
        ({"due_on": rest_day}, "是休息日，请选择工作日"),
        ({}, "请填写延期后的期限，或选择延长 1 个月。"),
        ({"due_on": calendar.add_working_days(current, 1), "one_month": True},
         "选择了延长 1 个月"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationFailed) as err:
            operations.request_extension(assignment, w.health_clerk, reason="理由", **kwargs)
        assert message in err.value.errors["due_on"][0], kwargs
        assert err.value.message == "延期申请有误，请按提示修改。"
    with pytest.raises(ValidationFailed) as err:
        operations.request_extension(assignment, w.health_clerk, reason=" ", one_month=True)
    assert err.value.errors == {"reason": ["申请延期必须说明理由。"]}
    assert _extensions() == 0


def test_only_the_units_clerk_asks_and_only_the_supervising_clerk_decides(w):
    assignment = bring_to(w, "drafting")
    for user in (w.health_drafter, w.clerk, w.hr_clerk):
        with pytest.raises(PermissionDenied) as err:
            operations.request_extension(assignment, user, reason="理由", one_month=True)
        assert err.value.message == "只有本单位联络员可以执行「申请延期」。"
    operations.request_extension(assignment, w.health_clerk, reason="理由", one_month=True)
    for user in (w.health_clerk, w.health_signer):
        with pytest.raises(PermissionDenied) as err:
            operations.approve_extension(assignment, user)
        assert err.value.message == "只有交办员可以执行「同意延期」。"


def test_no_extension_before_acknowledgement_or_after_sign_off(w):
    for state in ("assigned", "signed", "replied"):
        assignment = bring_to(w, state)
        with pytest.raises(InvalidTransition) as err:
            operations.request_extension(assignment, w.health_clerk, reason="理由",
                                         one_month=True)
        assert "不能执行「申请延期」" in err.value.message
    assignment = bring_to(w, "drafting")
    with pytest.raises(InvalidTransition) as err:
        operations.approve_extension(assignment, w.clerk)
    assert err.value.message == "该交办没有待审批的延期申请。"


def test_a_long_reason_keeps_the_basis_within_its_column(w):
    assignment = bring_to(w, "drafting")
    reason = "因涉及多部门协调，" * 60
    operations.request_extension(assignment, w.health_clerk, reason=reason, one_month=True)
    operations.approve_extension(assignment, w.clerk)
    db.session.expire_all()
    assert len(assignment.due_basis) <= 300 and assignment.due_basis.endswith("…）")
    assert assignment.extension.reason == reason.strip()


def test_the_item_page_shows_the_deadline_history(app, make_client, world):
    with app.test_request_context():
        from types import SimpleNamespace

        from tests.support.handling import _model_for

        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        assignment = bring_to(w, "drafting")
        db.session.commit()
        aid, pid = assignment.id, assignment.proposal_id
        original_due, original_basis = assignment.due_on, assignment.due_basis
        limit = operations.extension_limit(assignment)

    health = make_client()
    health.login("health_clerk")
    form = health.get(f"/assignments/{aid}/actions/request_extension").get_data(as_text=True)
    assert f"现期限 {original_due.isoformat()}" in form and original_basis in form
    assert f"延长 1 个月（至 {limit.isoformat()}" in form
    too_late = health.post_form(f"/assignments/{aid}/actions/request_extension", {
        "reason": "需赴基层调研", "due_on": (limit + timedelta(days=40)).isoformat()})
    assert too_late.status_code == 422 and "延期最长 1 个月" in too_late.get_data(as_text=True)
    response = health.post_form(f"/assignments/{aid}/actions/request_extension", {
        "reason": "需赴基层调研", "one_month": "y"})
    assert response.status_code == 302
    page = health.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "延期申请待审批" in page
    assert f"申请将期限由 {original_due.isoformat()} 延至 {limit.isoformat()}（理由：需赴基层调研）" \
        in page
    again = health.get(f"/assignments/{aid}/actions/request_extension")
    assert again.status_code == 409 and "只能申请一次延期" in again.get_data(as_text=True)

    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    assert f"/assignments/{aid}/actions/approve_extension" in page
    assert f"/assignments/{aid}/actions/reject_extension" in page
    decision = clerk.get(f"/assignments/{aid}/actions/approve_extension").get_data(as_text=True)
    assert "理由：需赴基层调研" in decision
    assert clerk.post_form(f"/assignments/{aid}/actions/approve_extension",
                           {"note": "同意"}).status_code == 302

    page = health.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "延期申请已批准" in page and "交办员 赵交办" in page
    history = page.split("期限的计算依据")[1].split("</ul>")[0]
    assert f"期限 {limit.isoformat()}：原期限 {original_due.isoformat()}（{original_basis}）" \
        in history
    assert "经交办员 赵交办 批准延期至" in history and "（理由：需赴基层调研）" in history
    timeline = page.split("办理过程")[1]
    assert timeline.index("<strong>申请延期</strong>") < timeline.index("<strong>同意延期</strong>")
    assert f"期限由 {original_due.isoformat()} 延至 {limit.isoformat()}" in timeline
    assert f"/assignments/{aid}/actions/request_extension" not in page


def test_a_request_for_a_deadline_changed_since_cannot_be_approved(w):
    from tests.support.notifications import set_due

    assignment = bring_to(w, "drafting")
    operations.request_extension(assignment, w.health_clerk, reason="需补充调研", one_month=True)
    moved = WorkCalendar.load().add_working_days(assignment.due_on, 5)
    set_due(assignment, moved)  # e.g. a new round of handling with a deadline of its own
    with pytest.raises(InvalidTransition) as err:
        operations.approve_extension(assignment, w.clerk)
    assert err.value.message == (f"该交办的期限已另行调整（现为 {moved.isoformat()}），"
                                 "原延期申请不再适用。")


def test_a_pending_request_waits_on_the_supervising_clerks_to_do_list(w):
    from tracker.desk.queries import todo_for

    assignment = bring_to(w, "drafting")
    limit = operations.extension_limit(assignment)

    def waiting():
        return [(e.assignment.id, e.what, [a.value for a in e.actions])
                for e in todo_for(w.clerk) if e.assignment is not None]

    assert waiting() == []
    operations.request_extension(assignment, w.health_clerk, reason="需赴基层实地调研",
                                 due_on=limit)
    assert waiting() == [(assignment.id, f"省卫生健康委员会申请延期至{limit}",
                          ["approve_extension", "reject_extension"])]
    # Not on the unit clerk's list as a decision to take.
    assert all("申请延期" not in e.what for e in todo_for(w.health_clerk))
    operations.approve_extension(assignment, w.clerk)
    assert waiting() == []
