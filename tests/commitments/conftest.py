"""Fixtures of the commitments' tests: issued replies of each class, signed-in clients."""
from __future__ import annotations

import pytest

from tests.support.base import Client
from tests.support.handling import latest_id, world_rows, write_draft
from tests.support.security import sign_in
from tracker.extensions import db
from tracker.replies import operations as replies
from tracker.replies.queries import current_reply


def issue(w, result_class: str = "B", authors=None, co=()):
    """A fresh item answered by health (co: units co-handling it, their opinions waived by
    the supervising clerk) with an issued reply of this class: (assignment, reply)."""
    from tests import factories
    from tracker.handling import operations

    proposal = factories.make_proposal(w.clerk, w.meeting, authors=authors)
    assignment = factories.assign(proposal, w.clerk, lead=w.health, co=co)[0]
    operations.accept_assignment(assignment, w.health_clerk)
    operations.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter, result_class=result_class)
    if co:
        replies.override_cosign(assignment, w.clerk, reason="会办单位逾期未复")
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    replies.issue_reply(assignment, w.health_clerk)
    return assignment, current_reply(assignment)


@pytest.fixture
def login(app):
    def make(username: str) -> Client:
        app.test_client_class = Client
        client = app.test_client()
        sign_in(app, client, username)
        return client
    return make


@pytest.fixture
def rows(app, world):
    """A function that runs f(w) with the world's rows in a request context and commits."""
    def run(f):
        with app.test_request_context():
            result = f(world_rows(world))
            db.session.commit()
            return result
    return run
