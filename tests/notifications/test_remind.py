"""Reminders: who is told, when, and never twice for the same thing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.handling import (
    bring_to,
    latest_id,
    rate_all,
    replied_without_co_opinion,
    write_draft,
)
from tests.support.notifications import counts, notified, set_due
from tracker.core.time import today
from tracker.extensions import db
from tracker.notifications.models import Notification, OutboxMessage
from tracker.notifications.operations import recipients, remind, unit_leaders
from tracker.replies import operations as replies
from tracker.workdays.calendar import WorkCalendar

# (assignment state, unit role, who must act next)
WHO_ACTS_NEXT = [
    ("assigned", "lead", ["health_clerk"]),
    ("assigned", "co", ["hr_clerk"]),
    ("return_requested", "lead", ["clerk"]),
    ("accepted", "lead", ["health_clerk"]),
    ("accepted", "co", ["hr_clerk"]),
    ("drafting", "lead", ["health_drafter"]),
    ("drafting", "co", ["hr_drafter"]),
    # A 会办意见 waiting for approval: the unit's leader (its deadline still runs).
    ("opinion_pending", "co", ["hr_leader"]),
    ("first_review", "lead", ["health_first"]),
    ("second_review", "lead", ["health_second"]),
    ("final_review", "lead", ["health_final"]),
    ("awaiting_signature", "lead", ["health_leader", "health_signer"]),
    ("signed", "lead", ["health_clerk"]),
    # Finished: nobody has a step to take.
    ("opinion_submitted", "co", []),
    ("returned", "lead", []),
    ("replied", "lead", []),
    ("rated", "lead", []),
]


@pytest.mark.parametrize("state,role,expected", WHO_ACTS_NEXT,
                         ids=[f"{s}-{r}" for s, r, _ in WHO_ACTS_NEXT])
def test_the_people_who_must_act_next(w, state, role, expected):
    assignment = bring_to(w, state, role)
    assert sorted(u.username for u in recipients(assignment)) == expected


@pytest.mark.parametrize("state,role,expected", [
    row for row in WHO_ACTS_NEXT if row[2]], ids=lambda v: v if isinstance(v, str) else "")
def test_each_state_is_reminded_to_its_people(w, state, role, expected):
    assignment = bring_to(w, state, role)
    set_due(assignment, today())
    # 签收 is due within the 7-working-day return window, the other steps by the deadline.
    on = today() + timedelta(days=20) if state == "assigned" else today()
    report = remind(3, on=on)
    mine = [r for r in report.reminders if r.assignment.id == assignment.id]
    # The unit's own step: its clerks are warned too, and when the step is overdue its
    # leader (超时预警). A return to decide is the supervising office's alone.
    clerks = set() if state == "return_requested" else {f"{_unit(w, assignment)}_clerk"}
    leaders = {r.user.username for r in mine if r.kind == "overdue"} - set(expected) - clerks
    assert leaders <= {u.username for u in unit_leaders(assignment.unit)}
    assert notified(assignment) == sorted(set(expected) | clerks | leaders)


def _unit(w, assignment) -> str:
    """The username prefix of the assignment's unit in the world (health, hr, edu)."""
    return next(name for name in ("health", "hr", "edu")
                if getattr(w, name).id == assignment.unit_id)


def test_a_key_item_waits_for_the_principal_leader_only(w):
    assignment = bring_to(w, "awaiting_signature")
    assignment.proposal.is_key = True
    db.session.flush()
    assert [u.username for u in recipients(assignment)] == ["health_leader"]


def test_disabled_users_are_not_reminded(w):
    assignment = bring_to(w, "first_review")
    w.health_first.is_enabled = False
    set_due(assignment, today())
    remind(3)
    assert notified(assignment) == []


def test_due_soon_and_overdue(w):
    calendar = WorkCalendar.load()
    soon = bring_to(w, "drafting")
    set_due(soon, calendar.add_working_days(today(), 3))
    later = bring_to(w, "drafting")
    set_due(later, calendar.add_working_days(today(), 4))
    due_today = bring_to(w, "first_review")
    set_due(due_today, today())
    far = bring_to(w, "drafting")  # three months

    report = remind(3)
    # Each to the person who must act, and to the unit's clerk.
    assert report.sent["due_soon"] == 4 and report.sent["overdue"] == 0
    assert notified(soon, "due_soon") == ["health_clerk", "health_drafter"]
    assert notified(due_today, "due_soon") == ["health_clerk", "health_first"]
    assert notified(later) == [] and notified(far) == []
    text = db.session.scalar(select(Notification.text).where(
        Notification.assignment_id == soon.id, Notification.kind == "due_soon"))
    assert "还有 3 个工作日" in text and "请及时撰写答复并送审" in text
    assert "关于加强基层卫生人才队伍建设的建议" in text and "省卫生健康委员会（主办）" in text
    assert "期限为今天" in db.session.scalar(select(Notification.text).where(
        Notification.assignment_id == due_today.id, Notification.kind == "due_soon"))

    # Eight working days later all three deadlines are past: one overdue notice each, on top
    # of the due-soon notices.
    week_later = calendar.add_working_days(today(), 8)
    report = remind(3, on=week_later)
    # Each to the person who must act, the unit's clerk, and its leader (超时预警).
    assert report.sent["overdue"] == 9 and report.sent["due_soon"] == 0
    assert {r.user.username for r in report.reminders if r.new} == {
        "health_drafter", "health_first", "health_clerk", "health_leader"}
    assert notified(soon, "overdue") == ["health_clerk", "health_drafter", "health_leader"]
    assert notified(later) == ["health_clerk", "health_drafter", "health_leader"]
    overdue_text = db.session.scalar(select(Notification.text).where(
        Notification.assignment_id == due_today.id, Notification.kind == "overdue"))
    assert "已逾期 8 个工作日" in overdue_text and "请及时初审答复稿" in overdue_text


def test_acknowledgement_is_due_within_the_return_window(w):
    assignment = bring_to(w, "assigned")
    window_end = assignment.return_due_on
    remind(3)
    assert notified(assignment) == []  # seven working days is more than three
    remind(3, on=window_end - timedelta(days=1))
    assert notified(assignment, "due_soon") == ["health_clerk"]
    text = db.session.scalar(select(Notification.text).where(
        Notification.assignment_id == assignment.id, Notification.kind == "due_soon"))
    assert "签收及申请退回期限为" in text and window_end.isoformat() in text


def test_running_twice_notifies_nobody_twice(w):
    calendar = WorkCalendar.load()
    in_two_days = calendar.add_working_days(today(), 2)
    for state in ("drafting", "first_review", "awaiting_signature", "signed"):
        set_due(bring_to(w, state), in_two_days)
    w.health_drafter.email = "drafter@health.example"
    w.health_signer.email = "signer@health.example"
    first = remind(3)
    after_first = counts()
    # Four steps: their five people, and the unit's clerk of each (the clerk issues the
    # signed one, so is told once for it): eight notices to five people, two with e-mail.
    assert sum(first.sent.values()) == 8 and first.people == 5
    assert after_first == (8, 2)
    second = remind(3)
    assert sum(second.sent.values()) == 0 and second.repeated == 8 and second.people == 0
    assert counts() == after_first
    # The next working day, nothing having changed, nothing new either.
    third = remind(3, on=calendar.add_working_days(today(), 1))
    assert sum(third.sent.values()) == 0 and third.repeated == 8
    assert counts() == after_first


def test_a_new_state_notifies_the_next_person(w):
    assignment = bring_to(w, "drafting")
    set_due(assignment, today())
    remind(3)
    assert notified(assignment) == ["health_clerk", "health_drafter"]
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    remind(3)
    assert notified(assignment) == ["health_clerk", "health_clerk", "health_drafter",
                                    "health_first"]
    # Sent back to drafting: the drafter is told again (a new stretch in that state).
    replies.return_draft(assignment, w.health_first, seen_version_id=latest_id(assignment),
                         comment="请补充数据")
    remind(3)
    assert notified(assignment) == ["health_clerk"] * 3 + [
        "health_drafter", "health_drafter", "health_first"]
    remind(3)
    assert len(notified(assignment)) == 6


def test_a_new_due_date_notifies_again(w):
    assignment = bring_to(w, "drafting")
    set_due(assignment, today())
    remind(3)
    set_due(assignment, WorkCalendar.load().add_working_days(today(), 2))
    remind(3)
    remind(3)
    assert notified(assignment) == ["health_clerk", "health_clerk", "health_drafter",
                                    "health_drafter"]


def test_closed_items_and_finished_assignments_are_skipped(w):
    # hr co-handles but never sends its opinion; the lead goes ahead (会签例外), replies, the
    # authors rate it, and the item is closed: hr's assignment is still "accepted".
    proposal, lead, co = replied_without_co_opinion(w)
    set_due(co, today())
    remind(3)
    assert notified(co) == ["hr_clerk"]  # still open: hr is reminded
    rate_all(w, lead, "satisfied")
    from tracker.ratings.operations import close_item

    close_item(proposal, w.clerk, grade="good")
    db.session.expire_all()
    assert proposal.state == "closed" and co.state == "accepted"
    set_due(co, WorkCalendar.load().add_working_days(today(), 1))
    assert remind(3).reminders == []

    finished = [bring_to(w, "opinion_submitted", "co"), bring_to(w, "replied"),
                bring_to(w, "returned")]
    for assignment in finished:
        set_due(assignment, today())
    reminded = {r.assignment.id for r in remind(3, on=today() + timedelta(days=30)).reminders}
    assert reminded and not reminded & {a.id for a in finished}  # (others still run)
    assert notified(co) == ["hr_clerk"]


def test_a_dry_run_writes_nothing(w):
    assignment = bring_to(w, "first_review")
    set_due(assignment, today())
    w.health_first.email = "first@health.example"
    report = remind(3, dry_run=True)
    assert [(r.user.username, r.kind.value, r.new) for r in report.reminders] == [
        ("health_first", "due_soon", True), ("health_clerk", "due_soon", True)]
    assert counts() == (0, 0)
    remind(3)
    report = remind(3, dry_run=True)
    assert [r.new for r in report.reminders] == [False, False]


def test_the_email_is_one_digest_per_person(w):
    a1, a2 = bring_to(w, "drafting"), bring_to(w, "drafting")
    set_due(a1, today())
    set_due(a2, today())
    w.health_drafter.email = "drafter@health.example"
    remind(3)
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.kind == "notice" and message.recipient == "drafter@health.example"
    assert message.subject == "【建议提案办理系统】您有 2 件即将到期的建议提案"
    assert message.body.startswith("刘承办：")
    assert message.body.count("【即将到期】") == 2
    assert f"/proposals/{a1.proposal_id}" in message.body
    assert f"/proposals/{a2.proposal_id}" in message.body


def test_the_command_reports_what_it_did(app, w):
    assignment = bring_to(w, "signed")
    set_due(assignment, today())
    w.health_clerk.email = "clerk@health.example"
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["remind", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "即将到期：已发送站内通知 1 条" in result.output
    assert "已逾期：已发送站内通知 0 条" in result.output
    assert "已通知 1 人" in result.output
    result = runner.invoke(args=["remind"])
    assert "即将到期：已发送站内通知 0 条" in result.output
    assert "此前已提醒、未重复发送：1 条" in result.output
    db.session.expire_all()
    assert notified(assignment) == ["health_clerk"]
    assert counts() == (1, 1)
    dry = runner.invoke(args=["remind", "--dry-run", "--days", "0"])
    assert dry.exit_code == 0 and "试运行" in dry.output
    assert runner.invoke(args=["remind", "--days", "-1"]).exit_code == 2
