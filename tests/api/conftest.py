"""Fixtures for the API: tokens for the standard world, and a client that checks every
response against the OpenAPI document (strictly: undocumented fields fail the test)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.support.api import PREFIX, Api, SchemaChecker
from tracker.accounts.models import User
from tracker.accounts.operations import issue_token
from tracker.extensions import db

TOKEN_USERS = ("clerk", "admin", "health_clerk", "health_drafter", "hr_clerk", "hr_drafter",
               "edu_clerk", "edu_drafter", "health_drafter2", "health_first", "health_second",
               "health_final", "health_signer", "health_leader", "hr_leader")


def fetch_spec(client) -> dict:
    response = client.get(PREFIX + "/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def spec(client) -> dict:
    return fetch_spec(client)


@pytest.fixture
def api(client, spec) -> Api:
    return Api(client, SchemaChecker(spec))


@pytest.fixture
def tokens(app, world) -> SimpleNamespace:
    """One API token per user of the standard world."""
    return issue_tokens(app, world)


def issue_tokens(app, world) -> SimpleNamespace:
    with app.test_request_context():
        issued = {name: issue_token(db.session.get(User, getattr(world, name)), "t")
                  for name in TOKEN_USERS}
        db.session.commit()
    return SimpleNamespace(**issued)
