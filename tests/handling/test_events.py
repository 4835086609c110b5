"""transition() announces every move; subscribers run in the move's transaction."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.handling import bring_to
from tests.support.notifications import notified
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling import events, operations
from tracker.handling.models import Assignment, DeadlineExtension
from tracker.handling.workflow import Action


def _logged(assignment: Assignment, action: str) -> list[dict]:
    return [details_of(e) for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "assignment", AuditEvent.object_id == assignment.id,
        AuditEvent.action == action))]


def test_a_transition_emits_its_event_with_the_move(w):
    assignment = bring_to(w, "assigned")
    seen = []

    def record(event):
        seen.append(event)
        event.details["seen_by_subscriber"] = True

    with events.subscribed(record, Action.accept):
        operations.accept_assignment(assignment, w.health_clerk, note="收到")

    [event] = seen
    assert event.obj is assignment and event.obj.id == assignment.id
    assert event.action is Action.accept
    assert event.actor.id == w.health_clerk.id
    assert (event.old_state, event.new_state) == ("assigned", "accepted")
    assert event.proposal_id == assignment.proposal_id
    # The details are the move's audit details: what a subscriber adds is logged with it.
    [logged] = _logged(assignment, "accept")
    assert logged["from"] == "assigned" and logged["to"] == "accepted"
    assert logged["seen_by_subscriber"] is True
    assert event.details == logged


def test_only_the_subscribed_actions_reach_a_subscriber(w):
    assignment = bring_to(w, "assigned")
    seen = []
    with events.subscribed(seen.append, Action.request_return):
        operations.accept_assignment(assignment, w.health_clerk)
    assert seen == []


def test_a_failing_subscriber_leaves_nothing_half_done(w):
    """The subscriber raises after the move, its effect and the other subscribers' work: the
    request layer's rollback takes all of it back."""
    assignment = bring_to(w, "drafting")
    db.session.commit()  # the item as the request finds it (the test's transaction keeps it)
    assignment_id, due_on, version = assignment.id, assignment.due_on, assignment.version
    logged_before = len(_logged(assignment, "request_extension"))

    def fail(event):
        # Subscribed after notifications (the app's packages subscribe first): they ran.
        assert notified(event.obj, "extension_requested") == ["clerk"]
        assert db.session.scalar(select(func.count()).select_from(DeadlineExtension)) == 1
        raise RuntimeError("the search index is down")

    limit = operations.extension_limit(assignment)
    with events.subscribed(fail, Action.request_extension):
        with pytest.raises(RuntimeError, match="search index"):
            operations.request_extension(assignment, w.health_clerk, reason="需调研",
                                         due_on=limit)
    db.session.rollback()  # what the request, CLI command or job does with the exception

    assignment = db.session.get(Assignment, assignment_id)
    assert (assignment.state, assignment.due_on, assignment.version) == (
        "drafting", due_on, version)
    assert db.session.scalar(select(func.count()).select_from(DeadlineExtension)) == 0
    assert notified(assignment, "extension_requested") == []
    assert len(_logged(assignment, "request_extension")) == logged_before


def test_the_app_wires_the_subscribers_of_other_packages(app):
    """handling imports none of them: the packages' init_app subscribe them, in layer order."""
    def names(action):
        return [f"{r.__module__}.{r.__name__}" for r in events.subscribers(action)]

    turns = "tracker.notifications.turns.on_transition"  # whose turn it is, after every move
    assert names(Action.request_extension) == [
        "tracker.notifications.operations.on_extension_requested", turns]
    assert names(Action.approve_extension) == names(Action.reject_extension) == [
        "tracker.notifications.operations.on_extension_decided", turns]
    assert names(Action.issue) == [turns, "tracker.ratings.operations.queue_emails_at_issue"]
    assert names(Action.submit_opinion) == [turns]
    # A 会办意见 is numbered when its leader approves it, before the lead unit is told.
    assert names(Action.approve_opinion) == [
        "tracker.replies.operations.number_approved_opinion", turns]
    # a unit that requires its leader's instruction before 分办 asks for it at 签收
    assert names(Action.accept) == [turns, "tracker.instructions.operations.request_at_accept"]
