"""Items with a given title in a given state, for the similar-items tests."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories
from tests.support.handling import latest_id, rate_all, world_rows, write_draft
from tracker.handling import operations
from tracker.replies import operations as replies


@pytest.fixture
def w(ctx, world) -> SimpleNamespace:
    return world_rows(world)


def handled(w, title: str, state: str = "registered", *, meeting=None, unit: str = "health",
            body: str = "", reply: str = "一、基本情况\n我委高度重视。", verdict: str = "satisfied"):
    """An item with this title, assigned to a unit (health or edu) and taken as far as state:
    registered, assigned, replied (health issues its reply) or rated."""
    proposal = factories.make_proposal(w.clerk, meeting or w.meeting, title=title, body=body)
    if state == "registered":
        return proposal
    (assignment,) = factories.assign(proposal, w.clerk, lead=getattr(w, unit))
    if state == "assigned":
        return proposal
    assert unit == "health", "only health has the reviewers to issue a reply"
    operations.accept_assignment(assignment, w.health_clerk)
    operations.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter, body=reply)
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    replies.issue_reply(assignment, w.health_clerk)
    if state == "rated":
        rate_all(w, assignment, verdict)
    return proposal
