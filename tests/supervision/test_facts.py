"""The facts the dashboard counts (tracker.supervision.facts) follow the real operations step
by step, roll back with them, and agree with a recomputation from the source rows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.handling.conftest import w  # noqa: F401  (fixture)
from tests.support.handling import bring_to, rate_all
from tracker.extensions import db
from tracker.handling import operations
from tracker.handling.models import Assignment, ContactMethod, ContactStage
from tracker.supervision import facts


def _facts(assignment: Assignment) -> dict:
    row = db.session.execute(
        select(*[getattr(Assignment, name) for name in facts.FACTS])
        .where(Assignment.id == assignment.id)).one()
    return {name: facts._normal(value) for name, value in zip(facts.FACTS, row)}


def test_the_facts_follow_each_step_of_the_handling(w):
    from tracker.core.time import today

    assignment = bring_to(w, "drafting")
    assert _facts(assignment) == dict(
        first_reply_on=None, reply_on_time=False, latest_class=None, latest_rating=None,
        contacted=False, met_in_person=False, opinion_on_time=False)

    operations.record_contact(assignment, w.health_drafter, stage=ContactStage.before,
                              method=ContactMethod.phone, contacted_on=today(),
                              summary="电话沟通")
    assert _facts(assignment)["contacted"] and not _facts(assignment)["met_in_person"]
    operations.record_contact(assignment, w.health_drafter, stage=ContactStage.during,
                              method=ContactMethod.face, contacted_on=today(), summary="面商")
    assert _facts(assignment)["met_in_person"]

    # Draft, three reviews, signature, issue: the reply went out today, before the deadline.
    replied = bring_to(w, "replied")
    f = _facts(replied)
    assert (f["first_reply_on"], f["reply_on_time"], f["latest_class"], f["latest_rating"]) == (
        str(today()), True, "A", None)

    # 不满意: round 2 starts, so this round has no reply yet; the rating and class stay.
    rate_all(w, replied, "unsatisfied")
    db.session.expire_all()
    assert replied.round == 2 and replied.state == "drafting"
    f = _facts(replied)
    assert (f["first_reply_on"], f["reply_on_time"], f["latest_class"], f["latest_rating"]) == (
        str(today()), False, "A", "unsatisfied")
    assert facts.mismatches() == []


def test_a_late_reply_is_not_on_time_and_a_co_opinion_counts_when_in_time(w):
    from tracker.replies import operations as replies

    late = bring_to(w, "signed")
    # Assigned a month ago with a deadline long past: the reply goes out late.
    late.assigned_on -= timedelta(days=30)
    late.due_on = late.assigned_on + timedelta(days=1)
    db.session.flush()
    replies.issue_reply(late, w.health_clerk)
    f = _facts(late)
    assert f["first_reply_on"] is not None and f["reply_on_time"] is False

    co = bring_to(w, "opinion_submitted", role="co")
    assert _facts(co)["opinion_on_time"] is True
    assert facts.mismatches() == []


def test_facts_roll_back_with_the_change(w):
    assignment = bring_to(w, "drafting")
    db.session.commit()  # (a savepoint of the test's transaction)
    from tracker.core.time import today

    operations.record_contact(assignment, w.health_drafter, stage=ContactStage.before,
                              method=ContactMethod.face, contacted_on=today(), summary="面商")
    assert _facts(assignment)["contacted"]
    db.session.rollback()
    assert _facts(assignment)["contacted"] is False


def test_a_stale_fact_is_found_and_repaired(w):
    assignment = bring_to(w, "replied")
    # Written around the ORM, as a careless bulk load would.
    db.session.execute(update(Assignment).where(Assignment.id == assignment.id)
                       .values(latest_class="C", contacted=True)
                       .execution_options(synchronize_session=False))
    found = {(i, name) for i, name, _, _ in facts.mismatches()}
    assert found == {(assignment.id, "latest_class"), (assignment.id, "contacted")}
    facts.refresh_all()
    assert facts.mismatches() == []
    assert _facts(assignment)["latest_class"] == "A"
