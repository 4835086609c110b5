"""Meetings and units through the API."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.base import load
from tracker.accounts.models import Section, Unit
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.proposals.models import Meeting

MEETING = {"level": "city", "body": "cppcc", "region": "白城市", "term": 8, "session": 5,
           "year": 2026, "reply_period_months": 3, "co_period_months": 1}


def test_meetings_list_and_get(api, tokens, world):
    items = api.get("/meetings", tokens.hr_drafter, expect=200).get_json()["items"]
    assert {m["name"] for m in items} == {"省十四届人大三次会议", "省政协十三届三次会议"}
    meeting = api.get(f"/meetings/{world.meeting}", tokens.hr_clerk, expect=200).get_json()
    assert (meeting["body"], meeting["body_label"], meeting["item_kind"]) == (
        "npc", "人大", "suggestion")
    assert meeting["created_at"].endswith("Z")
    api.get("/meetings/999999", tokens.clerk, expect=404)


def test_clerk_creates_a_meeting(app, api, tokens, world):
    response = api.post("/meetings", tokens.clerk, json=MEETING, expect=201)
    meeting = response.get_json()
    assert meeting["name"] == "白城市政协八届五次会议"
    assert response.headers["Location"].endswith(f"/api/v1/meetings/{meeting['id']}")
    with app.app_context():
        row = load(Meeting, meeting["id"])
        assert (row.region, row.term, row.session) == ("白城市", 8, 5)
        assert db.session.scalar(select(AuditEvent.actor_id).where(
            AuditEvent.action == "create_meeting", AuditEvent.object_id == row.id)) == world.clerk
    # The same meeting twice: the name clashes.
    errors = api.post("/meetings", tokens.clerk, json=MEETING, expect=422).get_json()["errors"]
    assert errors == {"name": ["已有名为「白城市政协八届五次会议」的会议。"]}


def test_meeting_input_is_checked(api, tokens, world):
    bad = {**MEETING, "term": 100, "level": "planet", "region": ""}
    errors = api.post("/meetings", tokens.admin, json=bad, expect=422).get_json()["errors"]
    assert errors == {"term": ["届次应在 1 到 99 之间。"], "level": ["不是有效的选择。"],
                      "region": ["此项必须填写。"]}


def test_only_clerks_and_admins_create_meetings(app, api, tokens, world):
    response = api.post("/meetings", tokens.health_clerk, json=MEETING, expect=403)
    assert response.get_json()["error"] == "只有交办员或系统管理员可以新建会议。"
    with app.app_context():
        assert db.session.scalar(select(Meeting).where(Meeting.region == "白城市")) is None


def test_units_list_without_users_for_unit_users(api, tokens, world):
    units = api.get("/units", tokens.hr_clerk, expect=200).get_json()["items"]
    assert {u["name"] for u in units} >= {"省政府办公厅", "省卫生健康委员会", "省人力资源和社会保障厅"}
    assert all("users" not in u for u in units)
    health = next(u for u in units if u["id"] == world.health)
    assert [s["name"] for s in health["sections"]] == ["医政医管处", "基层卫生健康处"]
    # Another unit: no users; one's own unit: its users (to choose a drafter).
    assert "users" not in api.get(f"/units/{world.health}", tokens.hr_clerk).get_json()
    own = api.get(f"/units/{world.hr}", tokens.hr_clerk, expect=200).get_json()
    assert {u["username"]: u["roles"] for u in own["users"]} == {
        "hr_clerk": ["unit_clerk"], "hr_drafter": ["drafter"], "hr_leader": ["leader"]}
    api.get("/units/999999", tokens.hr_clerk, expect=404)


def test_admin_sees_users_and_creates_units(app, api, tokens, world):
    units = api.get("/units", tokens.admin, expect=200).get_json()["items"]
    assert all("users" in u for u in units)
    response = api.post("/units", tokens.admin, json={
        "name": "省交通运输厅", "short_name": "交通厅", "is_supervising": False,
        "sections": ["综合规划处", "公路管理处"]}, expect=201)
    unit = response.get_json()
    assert (unit["name"], unit["short_name"], unit["is_supervising"]) == (
        "省交通运输厅", "交通厅", False)
    assert [s["name"] for s in unit["sections"]] == ["公路管理处", "综合规划处"]
    assert unit["users"] == []
    with app.app_context():
        row = load(Unit, unit["id"])
        assert sorted(s.name for s in row.sections) == ["公路管理处", "综合规划处"]


def test_unit_input_is_checked(app, api, tokens, world):
    errors = api.post("/units", tokens.admin, json={
        "name": "", "short_name": "长" * 41, "sections": ["处", "处"]},
        expect=422).get_json()["errors"]
    assert set(errors) == {"name", "short_name", "sections"}
    assert errors["sections"] == ["处室名称不能重复。"]
    errors = api.post("/units", tokens.admin, json={"name": "省卫生健康委员会"},
                      expect=422).get_json()["errors"]
    assert errors == {"name": ["已有名为「省卫生健康委员会」的单位。"]}
    with app.app_context():
        assert db.session.scalar(select(Section).where(Section.name == "处")) is None


def test_only_admins_create_units(app, api, tokens, world):
    for token in (tokens.clerk, tokens.health_clerk):
        api.post("/units", token, json={"name": "省审计厅"}, expect=403)
    with app.app_context():
        assert db.session.scalar(select(Unit).where(Unit.name == "省审计厅")) is None
