"""CSRF: every state-changing page request needs the token; GET never changes anything; the
token-authenticated API never accepts the cookie session instead of a token."""
from __future__ import annotations

import pytest

from tests.support.security import UNKNOWN, is_public

CSRF_MESSAGE = "页面已过期或请求来源无法验证"
GET_USERS = (None, "edu_clerk", "health_clerk", "health_drafter", "clerk", "admin")


def _changed(before: dict, after: dict) -> str:
    return ", ".join(name for name in before.keys() | after.keys()
                     if before.get(name) != after.get(name))


def _mutating_page_rows(scenario):
    return [row for row in scenario.routes() if row.mutating and not row.api]


def test_there_are_mutating_pages_to_check(scenario):
    endpoints = {row.rule.endpoint for row in _mutating_page_rows(scenario)}
    assert {"auth.login", "auth.logout", "auth.change_password", "proposals.register",
            "handling.assignment_action", "handling.proposal_action"} <= endpoints


def test_every_mutating_page_refuses_a_request_without_token(scenario):
    """Sent by a user who may make the request: 400 without the token (and nothing changes),
    accepted with it (so the 400 is the token's doing, not a permission or a bad form)."""
    before = scenario.snapshot()
    problems = []
    for row in _mutating_page_rows(scenario):
        user = scenario.entitled_user(row)
        known = user != UNKNOWN  # (unknown ones: test_matrix_covers_every_route)
        if not known:
            user = "health_clerk"
        payload = scenario.payload(row)
        if row.rule.endpoint == "auth.login":
            payload = {"username": "health_clerk", "password": "Correct-Horse-9"}
        elif row.rule.endpoint == "auth.change_password":
            payload = {"current": "Correct-Horse-9", "new": "Another-Horse-42",
                       "confirm": "Another-Horse-42"}
        with scenario.rolled_back():
            client = scenario.fresh_client(user)
            response = scenario.request(row, user, data=payload, csrf=False, client=client)
            changed = _changed(before, scenario.snapshot())
            still_in = user is None or client.get("/").status_code == 200
        text = f"{row.label} as {user or 'anonymous'} without token"
        if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
            problems.append(f"{text}: {response.status_code} (expected 400 with the CSRF message)")
        if changed:
            problems.append(f"{text}: the database changed ({changed})")
        if not still_in:
            problems.append(f"{text}: the session was ended")
        if not known:
            continue
        with scenario.rolled_back():
            client = scenario.fresh_client(user)
            response = scenario.request(row, user, data=payload, csrf=True, client=client)
        if response.status_code in (400, 403, 404):
            problems.append(f"{row.label} as {user or 'anonymous'} WITH the token: "
                            f"{response.status_code} (the positive control failed)")
    if problems:
        pytest.fail("CSRF protection problems:\n  " + "\n  ".join(problems))


def test_get_never_changes_the_database(scenario):
    scenario.login(*GET_USERS)
    before = scenario.fingerprint()
    problems = []
    rows = [row for row in scenario.routes() if row.method == "GET"]
    assert rows
    for row in rows:
        for user in GET_USERS:
            with scenario.rolled_back():
                response = scenario.request(row, user)
                changed = _changed(before, scenario.fingerprint())
            if changed:
                problems.append(f"{row.label} as {user or 'anonymous'} "
                                f"({response.status_code}) changed {changed}")
    if problems:
        pytest.fail("GET requests changed the database:\n  " + "\n  ".join(problems))


def test_api_refuses_the_cookie_session(scenario):
    """A browser that is logged in to the pages gets 401 from the API without a token, so a
    cross-site page cannot use the (CSRF-exempt) API with the user's cookie."""
    scenario.login("admin", "clerk", "health_clerk")
    before = scenario.snapshot()
    rows = [row for row in scenario.routes() if row.api and not is_public(row.rule)]
    if not rows:
        pytest.skip("no /api/v1 routes yet")
    problems = []
    for row in rows:
        for user in ("admin", "clerk", "health_clerk"):
            client = scenario.client(user)
            with scenario.rolled_back():
                payload = scenario.payload(row)
                kwargs = {"json": payload} if row.mutating else {}
                response = client.open(row.url, method=row.method, **kwargs)
                if row.mutating:  # and with the form token too: still no
                    client.open(row.url, method=row.method,
                                data=dict(payload, csrf_token=client.token))
                changed = _changed(before, scenario.snapshot())
            if response.status_code != 401:
                problems.append(f"{row.label} with {user}'s cookie: {response.status_code}")
            if changed:
                problems.append(f"{row.label} with {user}'s cookie changed {changed}")
    if problems:
        pytest.fail("the API accepted the cookie session:\n  " + "\n  ".join(problems))
