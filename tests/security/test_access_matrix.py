"""The access matrix: every route of app.url_map × method × kind of user.

The rows come from the URL map itself, so a new route is in the matrix as soon as it exists;
a route whose URL arguments the matrix cannot fill makes every test here fail with the list of
arguments to add, and a new workflow action fails test_matrix_covers_every_route until the
scenario and ACTION_ALLOWED say where and by whom it may be taken (tests/security/conftest.py).
Every refused request must also leave the database as it was (rows of every table and the
successful audit events).
"""
from __future__ import annotations

import pytest

from tests.support.security import (
    ACTION_ALLOWED,
    SECRET,
    SELF_SERVICE_ENDPOINTS,
    SUPERVISOR_ONLY,
    Row,
    is_public,
    redirects_to_login,
)

OTHER_UNIT_USERS = ("edu_clerk", "edu_drafter")

# Every action is tried by each of these (and by the users entitled to it); GET pages, which
# run the same check as the POST, by the entitled users and two others.
ROLE_USERS = ("clerk", "health_clerk", "health_drafter", "health_drafter2", "health_first",
              "health_signer", "admin")
GET_ROLE_USERS = ("health_drafter2", "admin")
ALL_ROLE_USERS = ROLE_USERS + ("health_second", "health_final", "health_leader")
# Users who can see health's items: a refusal for them must be 403, not a vague 404.
SEES_HEALTH_ITEMS = {"clerk", "health_clerk", "health_drafter", "health_drafter2",
                     "health_first", "health_second", "health_final", "health_signer",
                     "health_leader"}
NON_ADMINS = ("clerk", "health_clerk", "health_drafter", "edu_clerk")


def _describe(row: Row, user: str | None, response) -> str:
    location = response.headers.get("Location")
    return (f"{row.label} as {user or 'anonymous'}: {response.status_code}"
            + (f" -> {location}" if location else ""))


def _changed(before: dict, after: dict) -> str:
    diffs = [name for name in before if before[name] != after.get(name)]
    diffs += [name for name in after if name not in before]
    return ", ".join(diffs)


def _report(problems: list[str], what: str) -> None:
    if problems:
        pytest.fail(f"{len(problems)} {what}:\n  " + "\n  ".join(problems))


def test_matrix_covers_every_route(scenario):
    """Every rule except static is in the matrix (unknown URL arguments fail here first)."""
    rows = scenario.routes()
    covered = {row.rule.rule for row in rows}
    rules = {r.rule for r in scenario.app.url_map.iter_rules() if r.endpoint != "static"}
    assert covered == rules
    # The handling routes are expanded over every action of the workflow tables.
    actions = {row.action for row in rows if row.action}
    assert {k if isinstance(k, str) else k[0] for k in ACTION_ALLOWED} <= actions
    # New actions and routes need data and expectations here before they are fully checked.
    _report(scenario.coverage_problems(), "rows the security scenario does not cover yet")


def test_anonymous_requests_are_sent_to_login(scenario):
    scenario.login(None)
    before = scenario.snapshot()
    problems = []
    for row in scenario.routes():
        if is_public(row.rule):
            continue
        response = scenario.request(row, None, data=scenario.payload(row))
        if row.api:
            if response.status_code != 401:
                problems.append(_describe(row, None, response) + " (expected 401)")
        elif not redirects_to_login(response):
            problems.append(_describe(row, None, response) + " (expected a redirect to /login)")
    _report(problems, "routes let anonymous users in")
    assert scenario.snapshot() == before, "anonymous requests changed the database"


def _other_unit_rows(scenario) -> list[Row]:
    rows = []
    for row in scenario.routes():
        if is_public(row.rule) or row.rule.endpoint in SELF_SERVICE_ENDPOINTS:
            continue
        rows.append(row)
        if not row.mutating and not row.rule.arguments:
            # Lists: filters naming health's objects must not widen what is shown (q=事项
            # matches health's titles without echoing the marker in the search box).
            ids = scenario.ids
            query = (f"?unit={ids.health}&unit_id={ids.health}&meeting={ids.meeting}"
                     f"&q=%E4%BA%8B%E9%A1%B9&proposal_id={ids.p_drafting}&state=assigned")
            rows.append(Row(row.rule, row.method, row.values, row.url + query, row.action))
    return rows


@pytest.mark.parametrize("user", OTHER_UNIT_USERS)
def test_other_unit_cannot_reach_health_objects(scenario, user):
    scenario.login(user)
    before = scenario.snapshot()
    problems = []
    for row in _other_unit_rows(scenario):
        with scenario.rolled_back():
            response = scenario.request(row, user, data=scenario.payload(row))
            changed = _changed(before, scenario.snapshot())
        status = response.status_code
        text = _describe(row, user, response)
        if changed:
            problems.append(f"{text}: the database changed ({changed})")
        if status >= 500:
            problems.append(f"{text}: server error")
        elif row.owned or row.mutating:
            if status not in (403, 404):
                problems.append(f"{text} (expected 403 or 404)")
        elif status not in (200, 403, 404):
            problems.append(f"{text} (expected 200, 403 or 404)")
        elif status == 200 and SECRET in response.get_data(as_text=True):
            problems.append(f"{text}: the page shows health's items")
    _report(problems, "requests by another unit's user were not refused")


def test_matrix_ids_point_at_reachable_objects(scenario):
    """Positive control: someone entitled opens every GET row, so the 403/404s above mean
    something (a wrong id would give 404 to everybody)."""
    scenario.login(*ALL_ROLE_USERS)
    problems = []
    for row in scenario.routes():
        if row.mutating or not row.rule.arguments or not row.ready:
            continue  # (rows that are not ready: test_matrix_covers_every_route)
        candidates = ("admin",) if row.admin else ("health_clerk", "clerk", "health_drafter")
        if row.action is not None:
            candidates = tuple(sorted(scenario.allowed_users(row) or ())) + candidates
        statuses = {}
        for user in candidates:
            response = scenario.request(row, user)
            statuses[user] = response.status_code
            if response.status_code == 200:
                break
        if 200 not in statuses.values():
            problems.append(f"{row.label}: {statuses}")
    _report(problems, "matrix rows point at objects nobody can open; fix the scenario ids")


def _expected_denial(user: str) -> set[int]:
    return {403} if user in SEES_HEALTH_ITEMS else {403, 404}


def test_workflow_actions_need_the_right_role(scenario):
    """Each action on health's items: the entitled user succeeds, every other role is refused."""
    scenario.login(*ALL_ROLE_USERS)
    before = scenario.fingerprint()
    problems = []
    rows = [row for row in scenario.routes() if row.action]
    assert rows, "no workflow action routes found"
    for row in rows:
        entitled = scenario.allowed_users(row)
        if entitled is None or not row.ready:
            continue  # reported by test_matrix_covers_every_route
        payload = scenario.payload(row)
        others = ROLE_USERS if row.mutating else GET_ROLE_USERS
        for user in sorted(entitled) + [u for u in others if u not in entitled]:
            allowed = user in entitled
            if not row.mutating:  # (that GET changes nothing is test_csrf's business)
                response, changed = scenario.request(row, user), ""
            else:
                with scenario.rolled_back():
                    response = scenario.request(row, user, data=payload)
                    changed = _changed(before, scenario.fingerprint())
            text = _describe(row, user, response)
            if not allowed:
                if response.status_code not in _expected_denial(user):
                    problems.append(f"{text} (expected {sorted(_expected_denial(user))})")
                if changed:
                    problems.append(f"{text}: the database changed ({changed})")
            elif not row.mutating:
                if response.status_code != 200:
                    problems.append(f"{text} (entitled user, expected 200)")
            else:
                ok = response.status_code in (200, 201, 204) if row.api else \
                    response.status_code == 302
                if not ok or not changed:
                    problems.append(f"{text} (entitled user: expected success, "
                                    f"changed: {changed or 'nothing'})")
    _report(problems, "workflow role checks failed")


def test_admin_pages_are_for_administrators_only(scenario):
    scenario.login(*NON_ADMINS, "admin")
    before = scenario.fingerprint()
    problems = []
    rows = [row for row in scenario.routes() if row.admin]
    for row in rows:
        for user in NON_ADMINS:
            with scenario.rolled_back():
                response = scenario.request(row, user, data=scenario.payload(row))
                changed = _changed(before, scenario.fingerprint())
            if response.status_code != 403:
                problems.append(_describe(row, user, response) + " (expected 403)")
            if changed:
                problems.append(_describe(row, user, response) + f": changed {changed}")
        if not row.mutating:
            response = scenario.request(row, "admin")
            if response.status_code != 200:
                problems.append(_describe(row, "admin", response) + " (expected 200)")
    _report(problems, "admin routes were not limited to administrators")


def test_registration_and_meetings_are_for_supervisors(scenario):
    scenario.login("clerk", "admin", "health_clerk", "health_drafter", "edu_clerk")
    before = scenario.snapshot()
    problems = []
    rows = [row for row in scenario.routes() if row.rule.endpoint in SUPERVISOR_ONLY]
    assert {row.rule.endpoint for row in rows} == set(SUPERVISOR_ONLY)
    for row in rows:
        for user in ("clerk", "admin", "health_clerk", "health_drafter", "edu_clerk"):
            allowed = user in SUPERVISOR_ONLY[row.rule.endpoint]
            with scenario.rolled_back():
                response = scenario.request(row, user, data=scenario.payload(row))
                changed = _changed(before, scenario.snapshot())
            text = _describe(row, user, response)
            # Users who cannot see health's items may get 404 for one of them.
            denial = _expected_denial(user) if row.owned else {403}
            if not allowed and (response.status_code not in denial or changed):
                problems.append(f"{text} (expected {sorted(denial)} and no change; "
                                f"changed: {changed or 'nothing'})")
            if allowed and row.mutating and (response.status_code != 302 or not changed):
                problems.append(f"{text} (entitled user: expected success)")
            if allowed and not row.mutating and response.status_code != 200:
                problems.append(f"{text} (entitled user: expected 200)")
    _report(problems, "supervisor-only pages were not limited")


def test_lists_show_other_units_nothing(scenario):
    """The to-do list and the item list of another unit's user are empty of health's items,
    while health's own clerk sees them (so the marker really is on those pages)."""
    for path in ("/", "/proposals", "/proposals?q=%E4%BA%8B%E9%A1%B9"):
        own = scenario.client("health_clerk").get(path)
        assert own.status_code == 200 and SECRET in own.get_data(as_text=True), path
        for user in OTHER_UNIT_USERS:
            other = scenario.client(user).get(path)
            assert other.status_code == 200, (path, user)
            assert SECRET not in other.get_data(as_text=True), (path, user)
