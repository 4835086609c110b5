"""422 with per-field errors in Chinese; nothing is saved."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.support.api import assignment_of
from tests.support.base import load
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.letters import fields
from tracker.proposals.models import Proposal


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _unprocessable(response) -> dict:
    body = response.get_json()
    assert body["status"] == 422 and body["error"]
    return body["errors"]


def test_missing_title(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "1", "received_on": today().isoformat(),
        "authors": [{"name": "李华"}],
    }, expect=422)
    assert _unprocessable(response) == {"title": ["此项必须填写。"]}
    assert _count(app, Proposal) == 0


def test_several_bad_fields_are_reported_together(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": 999999, "number": "第1号", "title": "标题", "received_on": "2026-02-30",
        "authors": [{"name": "李华", "email": "不是邮箱"}],
    }, expect=422)
    errors = _unprocessable(response)
    assert set(errors) == {"meeting_id", "number", "received_on", "authors-0-email"}
    assert errors["number"] == [fields.ITEM_NUMBER_HELP]
    assert errors["authors-0-email"] == ["电子邮箱格式不正确。"]
    assert errors["received_on"] == ["不是有效的日期值。"]


def test_rules_of_the_operation_come_back_per_field(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "5", "title": "标题",
        "received_on": (today() + timedelta(days=1)).isoformat(), "authors": [],
    }, expect=422)
    errors = _unprocessable(response)
    assert errors == {"received_on": ["收到日期不能晚于今天。"],
                      "authors": ["至少填写一位代表（领衔人）。"]}


def test_duplicate_number_in_the_same_meeting(app, api, tokens, world):
    api.register(tokens.clerk, world.meeting, number="212")
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "212", "title": "另一件建议",
        "received_on": today().isoformat(), "authors": [{"name": "张伟"}],
    }, expect=422)
    assert _unprocessable(response) == {
        "number": ["「省十四届人大三次会议」已有第212号代表建议，编号不能重复。"]}
    assert _count(app, Proposal) == 1
    # The same number in another meeting is fine.
    other = api.register(tokens.clerk, world.cppcc, number="212")
    assert other["kind"] == "proposal" and other["kind_label"] == "委员提案"


def test_assign_deadline_before_today(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = api.act("proposals", item["id"], "assign", tokens.clerk, {
        "lead_unit_id": world.health, "due_on": yesterday}, expect=422)
    assert _unprocessable(response) == {
        "due_on": [f"办理期限不能早于交办日期（{today().isoformat()}）。"]}
    with app.app_context():
        assert load(Proposal, item["id"]).state == "registered"
    assert _count(app, Assignment) == 0


def test_assign_without_units_and_with_unknown_unit(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    errors = _unprocessable(api.act("proposals", item["id"], "assign", tokens.clerk, {},
                                    expect=422))
    assert errors == {"lead_unit_id": ["请至少选择一个承办单位。"]}
    errors = _unprocessable(api.act("proposals", item["id"], "assign", tokens.clerk, {
        "lead_unit_id": world.office}, expect=422))  # not a handling unit
    assert list(errors) == ["lead_unit_id"]


def test_request_return_without_reason(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    lead = assignment_of(item, world.health)
    for body in ({}, {"reason": "   "}):
        response = api.act("assignments", lead["id"], "request_return", tokens.health_clerk,
                           body, expect=422)
        assert _unprocessable(response) == {"reason": ["此项必须填写。"]}
    with app.app_context():
        row = load(Assignment, lead["id"])
        assert (row.state, row.version, row.return_reason) == ("assigned", 1, "")


def test_dispatch_to_another_units_drafter(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    lead = assignment_of(item, world.health)
    api.act("assignments", lead["id"], "accept", tokens.health_clerk)
    response = api.act("assignments", lead["id"], "dispatch", tokens.health_clerk, {
        "section_id": world.hr_section, "drafter_id": world.hr_drafter}, expect=422)
    errors = _unprocessable(response)
    assert set(errors) == {"section_id", "drafter_id"}
    assert all(m == ["不是有效的选择。"] for m in errors.values()), errors


def test_contact_in_the_future(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    lead = assignment_of(item, world.health)
    api.act("assignments", lead["id"], "accept", tokens.health_clerk)
    response = api.act("assignments", lead["id"], "record_contact", tokens.health_clerk, {
        "stage": "before", "method": "carrier-pigeon", "summary": "",
        "contacted_on": (today() + timedelta(days=2)).isoformat()}, expect=422)
    errors = _unprocessable(response)
    assert errors == {"method": ["不是有效的选择。"], "summary": ["此项必须填写。"]}
    response = api.act("assignments", lead["id"], "record_contact", tokens.health_clerk, {
        "stage": "before", "method": "phone", "summary": "电话",
        "contacted_on": (today() + timedelta(days=2)).isoformat()}, expect=422)
    assert _unprocessable(response) == {"contacted_on": ["联系日期不能晚于今天。"]}


def test_attachment_of_the_wrong_type(app, api, tokens, world):
    from io import BytesIO

    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    co = assignment_of(item, world.hr)
    api.act("assignments", co["id"], "accept", tokens.hr_clerk)
    response = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk, data={
        "text": "意见", "attachment": (BytesIO(b"MZ\x90\x00"), "opinion.pdf")},
        content_type="multipart/form-data", expect=422)
    assert _unprocessable(response) == {"attachment": ["文件内容不是有效的 PDF 文件。"]}
    with app.app_context():
        assert load(Assignment, co["id"]).state == "accepted"


def test_characters_that_cannot_be_stored(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "1", "title": "标题\x00",
        "received_on": today().isoformat(), "authors": [{"name": "李\x00华"}],
    }, expect=422)
    assert set(_unprocessable(response)) == {"title", "authors-0-name"}
    assert _count(app, Proposal) == 0
    api.register(tokens.clerk, world.meeting)
    # A search for such characters finds nothing (and does not reach the database).
    found = api.get("/proposals?q=%E5%BB%BA%00", tokens.clerk, expect=200).get_json()
    assert (found["items"], found["total"]) == ([], 0)


def test_body_that_is_not_a_json_object(api, tokens, world):
    for data in ("[1, 2]", "{not json", "null", '"text"'):
        response = api.post("/proposals", tokens.clerk, data=data,
                            content_type="application/json", expect=400)
        assert response.get_json() == {"error": "请求体必须是一个 JSON 对象。", "status": 400}


def test_mass_assignment_is_ignored(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, state="closed", created_by_id=1,
                        lock_version=99)
    assert item["state"] == "registered"
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    lead = assignment_of(item, world.health)
    item = api.act("assignments", lead["id"], "accept", tokens.health_clerk, {
        "state": "opinion_submitted", "unit_id": world.edu, "drafter_id": world.edu_clerk,
        "due_on": "2099-01-01"}).get_json()
    after = assignment_of(item, world.health)
    assert (after["state"], after["unit"]["id"], after["drafter"], after["due_on"]) == (
        "accepted", world.health, None, lead["due_on"])
    with app.app_context():
        row = load(Assignment, lead["id"])
        assert (row.state, row.unit_id, row.drafter_id) == ("accepted", world.health, None)
        assert load(Proposal, item["id"]).created_by_id == world.clerk


def test_json_types_are_checked_against_the_document(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": str(world.meeting), "number": 212, "title": {"text": "标题"},
        "is_key": "yes", "received_on": today().isoformat(),
        "authors": [{"name": "李华"}, "王芳", {"name": ["张伟"]}, None],
    }, expect=422)
    assert _unprocessable(response) == {
        "meeting_id": ["应为整数。"], "number": ["应为字符串。"], "title": ["应为字符串。"],
        "is_key": ["应为 true 或 false。"], "authors-1": ["应为对象。"],
        "authors-2-name": ["应为字符串。"], "authors-3": ["应为对象。"]}
    too_many = [{"name": f"代表{i}"} for i in range(201)]
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "1", "title": "标题",
        "received_on": today().isoformat(), "authors": too_many}, expect=422)
    assert _unprocessable(response) == {"authors": ["最多 200 项。"]}
    assert _count(app, Proposal) == 0


def test_null_means_not_given(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, body=None, category=None, kind=None)
    assert (item["body"], item["category"], item["kind"]) == ("", "", "suggestion")
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "2", "title": None,
        "received_on": today().isoformat(), "authors": [{"name": "李华"}]}, expect=422)
    assert _unprocessable(response) == {"title": ["此项必须填写。"]}


def test_upload_name_that_cannot_be_stored(app, api, tokens, world):
    from io import BytesIO

    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    co = assignment_of(item, world.hr)
    api.act("assignments", co["id"], "accept", tokens.hr_clerk)
    response = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk, data={
        "text": "意见", "attachment": (BytesIO(b"%PDF-1.4"), "a\x00b.pdf")},
        content_type="multipart/form-data", expect=422)
    assert set(_unprocessable(response)) == {"attachment"}
    with app.app_context():
        assert load(Assignment, co["id"]).state == "accepted"


def test_a_received_date_outside_the_meetings_years_is_a_field_error(app, api, tokens, world):
    response = api.post("/proposals", tokens.clerk, json={
        "meeting_id": world.meeting, "number": "6", "title": "标题",
        "received_on": "1901-01-01", "authors": [{"name": "李华"}],
    }, expect=422)
    errors = _unprocessable(response)
    assert list(errors) == ["received_on"]
    assert "前后一年内" in errors["received_on"][0]
    assert _count(app, Proposal) == 0
