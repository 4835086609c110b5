"""409 for illegal or stale moves, 403 for the wrong person, 404 for other units' items,
and JSON for the generic HTTP errors. Refusals are logged with the token's user."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.api import assignment_of
from tests.support.base import load
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling.models import Assignment


@pytest.fixture
def item(api, tokens, world) -> dict:
    """An item assigned to health (lead) and hr (co)."""
    created = api.register(tokens.clerk, world.meeting)
    return api.assign(tokens.clerk, created["id"], lead=world.health, co=[world.hr])


def _refusals(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def test_accept_twice_is_409(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    api.act("assignments", lead["id"], "accept", tokens.health_clerk)
    response = api.act("assignments", lead["id"], "accept", tokens.health_clerk, expect=409)
    assert response.get_json() == {
        "error": "该交办当前状态为「已签收」，不能执行「签收」。", "status": 409}
    with app.app_context():
        assert load(Assignment, lead["id"]).version == 2  # one accept, not two
    [event] = _refusals(app, "transition_refused")
    assert (event.actor_id, event.outcome) == (world.health_clerk, "rejected")
    assert f"/api/v1/assignments/{lead['id']}/actions/accept" in event.details


def test_approve_return_without_a_request_is_409(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    response = api.act("assignments", lead["id"], "approve_return", tokens.clerk, expect=409)
    assert response.get_json()["error"] == "该交办当前状态为「待签收」，不能执行「同意退回」。"
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "assigned"


def test_return_request_and_approval(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    api.act("assignments", lead["id"], "request_return", tokens.health_clerk,
            {"reason": "不属于本单位职责"})
    item = api.act("assignments", lead["id"], "approve_return", tokens.clerk,
                   {"reassign_unit_id": world.edu}).get_json()
    assert assignment_of(item, world.health)["state"] == "returned"
    assert assignment_of(item, world.edu)["role"] == "lead"
    # Health no longer sees the item.
    api.get(f"/proposals/{item['id']}", tokens.health_clerk, expect=404)
    api.get(f"/proposals/{item['id']}", tokens.edu_clerk, expect=200)


def test_stale_version_is_409_and_changes_nothing(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    seen_version = lead["version"]
    api.act("assignments", lead["id"], "accept", tokens.health_clerk,
            {"version": seen_version})
    response = api.act("assignments", lead["id"], "dispatch", tokens.health_clerk, {
        "section_id": world.health_section, "drafter_id": world.health_drafter,
        "version": seen_version}, expect=409)
    assert response.get_json()["error"] == "该交办已被他人更新，页面内容已过期，请刷新后重试。"
    with app.app_context():
        row = load(Assignment, lead["id"])
        assert (row.state, row.drafter_id, row.version) == ("accepted", None, seen_version + 1)


def test_drafter_cannot_accept_403(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    response = api.act("assignments", lead["id"], "accept", tokens.health_drafter,
                       expect=403)
    assert response.get_json() == {"error": "只有本单位联络员可以执行「签收」。", "status": 403}
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "assigned"
    [event] = _refusals(app, "access_denied")
    assert (event.actor_id, event.outcome) == (world.health_drafter, "denied")


def test_other_units_clerk_on_a_visible_item_is_403(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    # hr can see the item (it is co-handling) but may not acknowledge for health.
    api.get(f"/proposals/{item['id']}", tokens.hr_clerk, expect=200)
    api.act("assignments", lead["id"], "accept", tokens.hr_clerk, expect=403)
    # Nor assign, which is the supervising clerk's.
    response = api.act("proposals", item["id"], "assign", tokens.hr_clerk,
                       {"lead_unit_id": world.edu}, expect=403)
    assert response.get_json()["error"] == "只有交办员可以执行「交办」。"
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "assigned"


def test_check_comes_before_validation(api, tokens, world, item):
    lead = assignment_of(item, world.health)
    # An empty dispatch on a not yet acknowledged assignment: the move is refused first.
    api.act("assignments", lead["id"], "dispatch", tokens.health_clerk, {}, expect=409)
    api.act("assignments", lead["id"], "request_return", tokens.health_drafter, {},
            expect=403)


def test_other_units_item_and_assignment_are_404(app, api, tokens, world, item):
    lead = assignment_of(item, world.health)
    missing = {"error": "找不到该建议提案。", "status": 404}
    assert api.get(f"/proposals/{item['id']}", tokens.edu_clerk, expect=404).get_json() == missing
    assert api.get("/proposals/999999", tokens.edu_clerk, expect=404).get_json() == missing
    api.act("assignments", lead["id"], "accept", tokens.edu_clerk, expect=404)
    api.act("proposals", item["id"], "assign", tokens.edu_clerk, {"lead_unit_id": world.edu},
            expect=404)
    api.act("assignments", 999999, "accept", tokens.clerk, expect=404)
    api.get("/proposals/99999999999999999999", tokens.clerk, expect=404)
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "assigned"
    # Hidden objects are logged as denials; objects that do not exist are not.
    denials = _refusals(app, "access_denied")
    assert [e.actor_id for e in denials] == [world.edu_clerk] * 3
    assert {e.outcome for e in denials} == {"denied"}


def test_unknown_action_is_404(api, tokens, world, item):
    lead = assignment_of(item, world.health)
    for target, object_id, name in (("assignments", lead["id"], "fly_to_moon"),
                                    ("assignments", lead["id"], "assign"),
                                    ("proposals", item["id"], "accept")):
        response = api.act(target, object_id, name, tokens.clerk, expect=404)
        assert response.get_json() == {"error": "没有这个操作。", "status": 404}


def test_unknown_path_and_wrong_method_are_json(api, tokens, world, item):
    response = api.get("/no-such-thing", tokens.clerk, expect=404)
    assert response.get_json() == {"error": "找不到该页面或记录。", "status": 404}
    response = api.get(f"/proposals/{item['id']}/actions/assign", tokens.clerk, expect=405)
    assert response.get_json() == {"error": "不支持该请求方法。", "status": 405}
    api.call("DELETE", f"/proposals/{item['id']}", tokens.clerk, expect=405)


def test_body_too_large_is_413(app, api, tokens, world, item, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    lead = assignment_of(item, world.health)
    response = api.act("assignments", lead["id"], "accept", tokens.health_clerk,
                       {"note": "长" * 2000}, expect=413)
    assert response.get_json()["status"] == 413
    assert "过大" in response.get_json()["error"]
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "assigned"
