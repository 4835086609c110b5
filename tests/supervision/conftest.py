"""Fixtures of the supervision tests: the small world with hand-computed figures described in
tests/support/supervision.py, built once per test module, each test in a savepoint."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.base import Client, outer_transaction
from tests.support.supervision import build_figures_world
from tracker.extensions import db


@pytest.fixture(scope="module")
def _module_figures(app):
    """The world and the nine items, once per module, in an outer transaction."""
    from tests.factories import build_world

    with outer_transaction(app) as connection:
        with app.test_request_context():
            world = SimpleNamespace(**{k: v.id for k, v in build_world().items()})
            db.session.commit()
            items = build_figures_world(world)
            db.session.commit()
            db.session.remove()
        yield SimpleNamespace(app=app, connection=connection,
                              ids=SimpleNamespace(**vars(world), **items))


@pytest.fixture
def figures(_module_figures):
    """The module's world; whatever a test changes is rolled back after it."""
    savepoint = _module_figures.connection.begin_nested()
    try:
        yield _module_figures
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        with _module_figures.app.app_context():
            db.session.remove()


@pytest.fixture
def login(figures):
    """A test client signed in as a user of the world (the session /login would write)."""
    from tests.support.security import sign_in

    def make(username: str | None = None) -> Client:
        figures.app.test_client_class = Client
        client = figures.app.test_client()
        if username is not None:
            sign_in(figures.app, client, username)
        return client
    return make
