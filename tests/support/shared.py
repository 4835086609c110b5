"""The standard world built once per test module, each test in a savepoint rolled back after it.

The security suite does this for its scenario (tests/security/conftest.py); this is the same
for modules on the plain `world`: the module's data (the world, and whatever the module builds
on it in its own module-scoped fixtures) is made inside one outer transaction per module
(tests/conftest.py's `module_database`), rolled back at the end, and each test runs in a
savepoint of its own, rolled back after it, so that no test sees what another one did. The
`database`, `ctx`, `client` and `world` fixtures keep their meaning.

A module opts in by importing the two fixtures, which then replace tests/conftest.py's for
that module only:

    from tests.support.shared import database, world  # noqa: F401 (fixtures)
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tracker.extensions import db


@pytest.fixture(scope="module")
def world(app, module_database):
    """Standard data: supervising office, three handling units, one user per role (the same as
    tests/conftest.py's `world`, made once for the module)."""
    from tests.factories import build_world

    with app.test_request_context():
        data = build_world()
        db.session.flush()
        ids = SimpleNamespace(**{k: v.id for k, v in data.items()})
        db.session.commit()
        db.session.remove()
    return ids


@pytest.fixture
def database(app, module_database):
    """This test's savepoint in the module's transaction, rolled back after it (whatever the
    test committed included)."""
    savepoint = module_database.begin_nested()
    try:
        yield module_database
    finally:
        with app.app_context():
            db.session.remove()
        if savepoint.is_active:
            savepoint.rollback()
