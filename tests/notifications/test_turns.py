"""Whose turn it is after a move: the next person is told, with what and by when; the one who
acts finds their own notice about it dealt with; nobody of another unit hears of it."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.support.handling import bring_to, latest_id, write_draft
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.notifications.models import Notification
from tracker.replies import operations as replies


def _notices(assignment=None) -> list[tuple[str, str, bool]]:
    """(username, kind, read) of every notice, in order."""
    query = (select(User.username, Notification.kind, Notification.read_at)
             .join(User, User.id == Notification.user_id).order_by(Notification.id))
    if assignment is not None:
        query = query.where(Notification.assignment_id == assignment.id)
    return [(u, k.value, read is not None) for u, k, read in db.session.execute(query)]


def test_the_review_chain_tells_each_next_person_and_clears_what_they_dealt_with(w):
    assignment = bring_to(w, "drafting")
    before = len(_notices())
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    assert _notices()[before:] == [("health_first", "to_review", False)]
    text = db.session.scalar(select(Notification.text).order_by(Notification.id.desc()))
    assert "请初审答复稿" in text and "关于加强基层卫生人才队伍建设的建议" in text
    assert f"办理期限 {assignment.due_on.isoformat()}" in text

    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment),
                          comment="同意")
    # The first reviewer's notice is dealt with; the second reviewer's turn.
    assert _notices()[before:] == [("health_first", "to_review", True),
                                   ("health_second", "to_review", False)]
    replies.return_draft(assignment, w.health_second, seen_version_id=latest_id(assignment),
                         comment="请补充近三年的数据")
    new = _notices()[before + 2:]
    assert new == [("health_drafter", "draft_returned", False)]
    returned = db.session.scalar(select(Notification.text).order_by(Notification.id.desc()))
    assert "复审人" in returned and "请补充近三年的数据" in returned
    # Nobody outside the health unit heard of any of it.
    outsiders = {u for u, _, _ in _notices()[before:]} - {
        "health_first", "health_second", "health_drafter"}
    assert outsiders == set()


def test_sign_off_and_issue_go_to_the_signer_then_the_clerk(w):
    assignment = bring_to(w, "final_review")
    before = len(_notices())
    replies.approve_draft(assignment, w.health_final, seen_version_id=latest_id(assignment),
                          comment="同意")
    signers = _notices()[before:]
    assert sorted(u for u, _, _ in signers) == ["health_leader", "health_signer"]
    assert {k for _, k, _ in signers} == {"to_sign"}
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment),
                       comment="同意签发")
    after = _notices()[before:]
    # Signed: the turn the signers were told of has passed, for both; the clerk issues.
    assert ("health_signer", "to_sign", True) in after
    assert ("health_leader", "to_sign", True) in after
    assert after[-1] == ("health_clerk", "to_issue", False)


def test_a_bulk_import_tells_each_unit_once_when_it_commits(w):
    from tests.support.imports import item, xlsx
    from tracker.imports import operations as imports

    rows = [item(600 + n, co="省人力资源和社会保障厅" if n % 2 else "") for n in range(7)]
    imports.import_workbook(w.clerk, xlsx(rows), "交办清单.xlsx")
    before_commit = db.session.scalar(select(Notification.id).where(
        Notification.kind == "assigned"))
    assert before_commit is None  # told when the import commits, not item by item
    db.session.commit()
    notices = db.session.execute(
        select(User.username, Notification.text).join(User, User.id == Notification.user_id)
        .where(Notification.kind == "assigned").order_by(User.username)).all()
    assert [u for u, _ in notices] == ["health_clerk", "hr_clerk"]
    health, hr = (text for _, text in notices)
    assert "批量交办：省卫生健康委员会新收到 7 件建议提案（主办 7 件）" in health
    assert "第600号、第601号、第602号、第603号、第604号等 7 件" in health
    assert "新收到 3 件建议提案（会办 3 件）" in hr and "第601号、第603号、第605号" in hr
    db.session.commit()  # a later commit tells nobody again
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "assigned")) == 2
