"""Dates that cannot be right come back as field errors in the usual 422 shape."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.support.api import assignment_of
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment, Contact


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_api_refuses_a_co_deadline_after_the_leads(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, number="701")
    due, co_due = today() + timedelta(days=30), today() + timedelta(days=31)
    response = api.act("proposals", item["id"], "assign", tokens.clerk, {
        "lead_unit_id": world.health, "co_unit_ids": [world.hr],
        "due_on": due.isoformat(), "co_due_on": co_due.isoformat()}, expect=422)
    body = response.get_json()
    assert body["status"] == 422 and list(body["errors"]) == ["co_due_on"]
    assert _count(app, Assignment) == 0


def test_the_api_refuses_a_contact_before_the_assignment(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, number="702")
    lead = assignment_of(api.assign(tokens.clerk, item["id"], lead=world.health), world.health)
    api.act("assignments", lead["id"], "accept", tokens.health_clerk, {})
    response = api.act("assignments", lead["id"], "record_contact", tokens.health_clerk, {
        "stage": "before", "method": "phone",
        "contacted_on": (today() - timedelta(days=1)).isoformat(), "summary": "电话沟通"},
        expect=422)
    body = response.get_json()
    assert body["status"] == 422
    assert body["errors"] == {"contacted_on": [
        f"联系日期不能早于本单位的交办日期（{today().isoformat()}）。"]}
    assert _count(app, Contact) == 0
