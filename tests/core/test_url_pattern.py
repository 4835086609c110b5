"""url_pattern builds the same addresses as url_for, for every kind of variable part."""
from __future__ import annotations

import pytest
from flask import url_for

from tracker.core.templating import url_pattern

CASES = [
    ("proposals.detail", {"proposal_id": 7}),
    ("handling.assignment_action", {"assignment_id": 12, "name": "accept"}),
    ("handling.proposal_action", {"proposal_id": 1_987_654_320, "name": "assign"}),
    ("proposals.todo", {}),
]


@pytest.mark.parametrize(("endpoint", "values"), CASES)
def test_the_pattern_gives_url_fors_address(app, endpoint, values):
    with app.test_request_context("/"):
        pattern = url_pattern(endpoint, *values)
        assert pattern(*values.values()) == url_for(endpoint, **values)
        # built once per request
        assert url_pattern(endpoint, *values) is pattern


def test_a_text_part_is_quoted_like_url_for(app):
    with app.test_request_context("/"):
        pattern = url_pattern("handling.assignment_action", "assignment_id", "name")
        assert pattern(3, "a b/c") == url_for("handling.assignment_action",
                                              assignment_id=3, name="a b/c")


def test_the_address_follows_the_mount_point(app):
    with app.test_request_context("/", base_url="http://example/tracker/"):
        assert url_pattern("proposals.detail", "proposal_id")(5) == "/tracker/proposals/5"
