"""Token authentication: 401 without, with a bad, expired or revoked token, and the cookie
session never authenticates the API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.base import load
from tracker.accounts.models import ApiToken, User
from tracker.accounts.operations import issue_token, token_digest
from tracker.core.time import utcnow
from tracker.extensions import db

UNAUTHORISED = {"error": "缺少或无效的访问令牌。", "status": 401}


def _token_row(token: str) -> ApiToken:
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer trk_not-a-real-token"},
    {"Authorization": "Basic Y2xlcms6Q29ycmVjdC1Ib3JzZS05"},
    {"Authorization": "trk_not-a-real-token"},
])
def test_missing_or_bad_token_is_401(api, world, headers):
    for path in ("/proposals", "/meetings", "/units", "/proposals/1"):
        response = api.get(path, headers=headers, expect=401)
        assert response.get_json() == UNAUTHORISED
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_good_token_works_and_lower_case_scheme_too(api, tokens, world):
    assert api.get("/meetings", tokens.clerk, expect=200).get_json()["items"]
    response = api.get("/meetings", headers={"Authorization": f"bearer {tokens.clerk}"})
    assert response.status_code == 200


def test_revoked_token_is_401(app, api, tokens, world):
    api.get("/meetings", tokens.hr_clerk, expect=200)
    with app.app_context():
        _token_row(tokens.hr_clerk).revoked_at = utcnow()
        db.session.commit()
    assert api.get("/meetings", tokens.hr_clerk, expect=401).get_json() == UNAUTHORISED


def test_revoked_through_the_cli_is_401(app, api, tokens, world):
    prefix = tokens.edu_clerk[:10]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "revoke", prefix])
    assert result.exit_code == 0, result.output
    api.get("/meetings", tokens.edu_clerk, expect=401)
    api.get("/meetings", tokens.clerk, expect=200)  # other tokens are untouched


def test_expired_token_is_401(app, api, world):
    with app.test_request_context():
        token = issue_token(db.session.get(User, world.clerk), "short", days=1)
        _token_row(token).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    api.get("/meetings", token, expect=401)


def test_disabled_users_token_is_401(app, api, tokens, world):
    with app.app_context():
        load(User, world.hr_clerk).is_enabled = False
        db.session.commit()
    api.get("/meetings", tokens.hr_clerk, expect=401)


def test_cookie_session_alone_does_not_authenticate(api, client, world):
    response = client.login("clerk")
    assert response.status_code == 302
    assert client.get("/proposals").status_code == 200  # the page session works ...
    api.get("/proposals", expect=401)  # ... the API ignores it
    api.post("/proposals", json={"meeting_id": world.meeting}, expect=401)


def test_cookie_session_does_not_change_who_the_token_is(api, client, tokens, world):
    client.login("clerk")
    # hr_clerk's token with the clerk's cookie: hr_clerk may not register.
    response = api.post("/proposals", tokens.hr_clerk, json={"meeting_id": world.meeting},
                        expect=403)
    assert response.get_json()["error"] == "只有交办员可以登记建议提案。"


def test_openapi_needs_no_token(api):
    assert api.get("/openapi.json", expect=200).get_json()["openapi"].startswith("3.")
