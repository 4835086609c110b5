"""Fixtures of the fuzz suite.

The security suite's scenario (tests/security/conftest.py: health's items in every state that
has actions, a signed-in client per user, API tokens for every user, the route matrix) is
reused rather than copied. The app the cases are built from is tests/support/fuzz.py's."""
from __future__ import annotations

from tests.security.conftest import _module_scenario, scenario  # noqa: F401 (fixtures)


def pytest_collection_modifyitems(items):
    """schemathesis names its items after the operation (test_api_matches_its_document[GET /…])
    but gives them all the function's node id; pytest-xdist schedules by node id, so each gets
    its name as its id (otherwise one operation of sixteen would run)."""
    for item in items:
        base, bracket, params = item.name.partition("[")
        if bracket and item.nodeid.endswith("::" + base):
            item._id = item.parent.id.child(base).with_params(params.removesuffix("]"))
