"""Fixtures of the security suite: `scenario`, built once per test module (each test runs in a
savepoint rolled back after it); what it holds and offers is described in
tests/support/security.py."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.base import outer_transaction
from tests.support.security import Scenario, build_scenario
from tracker.extensions import db


@pytest.fixture(scope="module")
def _module_scenario(app):
    """The scenario, built once per test module inside an outer transaction (like the
    `database` fixture of tests/conftest.py, one scope up) that is rolled back at the end.

    Building it takes ~0.5 s on PostgreSQL; each test runs in its own savepoint instead
    (`scenario`), so tests still cannot see each other's changes.
    """
    from tests.factories import build_world

    with outer_transaction(app) as connection:
        with app.test_request_context():
            world = SimpleNamespace(**{k: v.id for k, v in build_world().items()})
            db.session.commit()
            built = build_scenario(world)
            db.session.commit()
            db.session.remove()
        ids = SimpleNamespace(**vars(world), **built["ids"])
        yield Scenario(app=app, connection=connection, ids=ids, tokens=built["tokens"])


@pytest.fixture
def scenario(_module_scenario) -> Scenario:
    """The module's scenario; whatever the test changes is rolled back after it."""
    with _module_scenario.rolled_back():
        yield _module_scenario
