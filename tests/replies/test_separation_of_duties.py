"""Separation of duties (issue 14, finding 5): whoever saved a version of the round's draft
does not approve or sign it off, even when an administrator gave them a reviewer's or a
signer's role too; a unit may allow it (one-person offices)."""
from __future__ import annotations

import pytest

from tests import factories
from tests.support.handling import bring_to, latest_id, write_draft
from tracker.accounts.models import Role
from tracker.core.errors import InvalidTransition
from tracker.extensions import db
from tracker.handling.workflow import Action, allowed_actions
from tracker.replies import operations as replies
from tracker.replies.models import ReviewDecision

MESSAGE = "您撰写（保存）过本轮的答复稿，不能再审核或签发它：撰写与审核应由不同的人担任。"


def _drafter_and_reviewer(w):
    return factories.make_user("health_writer_reviewer", w.health, Role.drafter,
                               Role.reviewer_first, Role.signer, full_name="钱兼任")


def _written_by(w, person):
    """An item in 初审 whose latest version this person saved."""
    assignment = bring_to(w, "drafting")
    assignment.drafter_id = person.id
    db.session.flush()
    write_draft(assignment, person)
    replies.submit_review(assignment, person)
    return assignment


def test_the_author_of_a_draft_cannot_approve_it(w):
    both = _drafter_and_reviewer(w)
    assignment = _written_by(w, both)
    assert assignment.state == "first_review"
    assert Action.approve not in allowed_actions(assignment, both)
    with pytest.raises(InvalidTransition) as caught:
        replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    assert caught.value.message == MESSAGE
    assert assignment.state == "first_review"
    assert db.session.query(ReviewDecision).filter_by(assignment_id=assignment.id).count() == 0
    # Someone else approves it.
    replies.approve_draft(assignment, w.health_first, seen_version_id=latest_id(assignment))
    assert assignment.state == "second_review"


def test_the_author_of_a_draft_cannot_sign_it_off(w):
    both = _drafter_and_reviewer(w)
    assignment = _written_by(w, both)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    assert assignment.state == "awaiting_signature"
    assert Action.sign not in allowed_actions(assignment, both)
    with pytest.raises(InvalidTransition) as caught:
        replies.sign_reply(assignment, both, seen_version_id=latest_id(assignment))
    assert caught.value.message == MESSAGE
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    assert assignment.state == "signed"


def test_a_unit_may_allow_the_author_to_approve(w):
    w.health.allow_author_approval = True
    db.session.flush()
    both = _drafter_and_reviewer(w)
    assignment = _written_by(w, both)
    assert Action.approve in allowed_actions(assignment, both)
    replies.approve_draft(assignment, both, seen_version_id=latest_id(assignment))
    assert assignment.state == "second_review"


def test_the_setting_is_on_by_default_and_saved_with_an_audit_event(w):
    from sqlalchemy import select

    from tracker.accounts import operations as accounts
    from tracker.audit.log import details_of
    from tracker.audit.models import AuditEvent

    assert w.health.allow_author_approval is False
    accounts.update_unit_settings(
        None, w.health, review_levels=w.health.chain, allow_multi_level=False,
        principal_leader_id=w.health.principal_leader_id,
        closing_default=w.health.closing_default, prefix_suggestion=w.health.prefix_suggestion,
        prefix_proposal=w.health.prefix_proposal, prefix_co_opinion=w.health.prefix_co_opinion,
        allow_author_approval=True)
    assert w.health.allow_author_approval is True
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "update_unit_settings").order_by(AuditEvent.id.desc())).first()
    assert details_of(event)["changed"]["allow_author_approval"] == {"from": False, "to": True}
