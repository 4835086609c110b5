"""Leaders' instructions through the API: entered, asked and given; in the item's detail (only
where the caller may read them); refusals with their status codes and field errors."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.factories import make_user
from tests.support.api import PREFIX, Api, SchemaChecker
from tracker.accounts.models import Role, Unit, User
from tracker.accounts.operations import issue_token
from tracker.core.time import today
from tracker.extensions import db
from tracker.instructions import operations


@pytest.fixture
def api(client) -> Api:
    spec = client.get(PREFIX + "/openapi.json").get_json()
    return Api(client, SchemaChecker(spec))


@pytest.fixture
def people(app, world) -> SimpleNamespace:
    with app.test_request_context():
        office = db.session.get(Unit, world.office)
        leader = make_user("office_leader", office, Role.leader, full_name="吴昱")
        hr_leader = db.session.get(User, world.hr_leader)
        names = ("clerk", "health_clerk", "hr_clerk", "health_leader", "edu_clerk")
        tokens = {n: issue_token(db.session.get(User, getattr(world, n)), "t") for n in names}
        tokens["office_leader"] = issue_token(leader, "t")
        tokens["hr_leader"] = issue_token(hr_leader, "t")
        ids = {"office_leader": leader.id, "hr_leader": hr_leader.id}
        db.session.commit()
    return SimpleNamespace(**tokens, ids=SimpleNamespace(**ids))


def _item(api, people, world):
    pid = api.register(people.clerk, world.meeting, number="0040")["id"]
    item = api.assign(people.clerk, pid, lead=world.health, co=[world.hr])
    lead = next(a for a in item["assignments"] if a["unit"]["id"] == world.health)
    co = next(a for a in item["assignments"] if a["unit"]["id"] == world.hr)
    return pid, lead["id"], co["id"]


def test_instructions_entered_asked_and_given_through_the_api(app, api, people, world):
    pid, lead, co = _item(api, people, world)
    day = today().isoformat()
    item = api.post(f"/proposals/{pid}/instructions", people.clerk, expect=201, json={
        "kind": "transfer", "text": "拟转省卫健委办理。", "given_on": day, "source": "paper",
        "leader_name": "省政府办公厅"}).get_json()
    (transfer,) = item["instructions"]
    assert (transfer["kind"], transfer["kind_label"], transfer["source_label"]) == (
        "transfer", "转办意见", "据纸质批示录入")
    assert transfer["entered_by"]["full_name"] == "赵交办" and transfer["unit"] is None

    # The office asks its leader (on the page's operation), who answers through the API.
    with app.test_request_context():
        from tracker.proposals.models import Proposal
        asked = operations.request_instruction(
            db.session.get(Proposal, pid), db.session.get(User, world.clerk), kind="sign_off",
            leader_id=people.ids.office_leader)
        asked_id = asked.id
        db.session.commit()
    item = api.post(f"/instructions/{asked_id}/give", people.office_leader, expect=200, json={
        "text": "同意。", "given_on": day}).get_json()
    given = next(i for i in item["instructions"] if i["id"] == asked_id)
    assert (given["status"], given["leader_name"], given["source"], given["leader_id"]) == (
        "given", "吴昱", "typed", people.ids.office_leader)
    again = api.post(f"/instructions/{asked_id}/give", people.office_leader, expect=409,
                     json={"text": "再批", "given_on": day})
    assert "已作出" in again.get_json()["error"]

    # A unit leader's own instruction: the unit and the office read it, the lead unit does not.
    api.post(f"/proposals/{pid}/instructions", people.hr_leader, expect=201, json={
        "kind": "unit_principal", "assignment_id": co, "text": "同意会办。", "given_on": day})
    def kinds(token):
        body = api.get(f"/proposals/{pid}", token, expect=200).get_json()
        return sorted(i["kind"] for i in body["instructions"])
    assert kinds(people.hr_clerk) == ["sign_off", "transfer", "unit_principal"]
    assert kinds(people.clerk) == ["sign_off", "transfer", "unit_principal"]
    assert kinds(people.health_clerk) == ["sign_off", "transfer"]
    timeline = api.get(f"/proposals/{pid}", people.health_clerk, expect=200).get_json()["timeline"]
    assert "同意会办。" not in str(timeline)


def test_refusals(api, people, world):
    pid, lead, co = _item(api, people, world)
    day = today().isoformat()
    # Another unit cannot see the item at all; a unit clerk cannot enter the office's kinds.
    api.post(f"/proposals/{pid}/instructions", people.edu_clerk, expect=404, json={
        "kind": "transfer", "text": "x", "given_on": day, "source": "paper", "leader_name": "某"})
    api.post(f"/proposals/{pid}/instructions", people.health_clerk, expect=403, json={
        "kind": "transfer", "text": "x", "given_on": day, "source": "paper", "leader_name": "某"})
    bad = api.post(f"/proposals/{pid}/instructions", people.health_clerk, expect=422, json={
        "kind": "unit_principal", "assignment_id": lead, "text": "请办理。", "given_on": day,
        "source": "paper"}).get_json()
    assert "leader_name" in bad["errors"]
    future = api.post(f"/proposals/{pid}/instructions", people.health_leader, expect=422, json={
        "kind": "unit_principal", "assignment_id": lead, "text": "请办理。",
        "given_on": "2999-01-01"}).get_json()
    assert "given_on" in future["errors"]
    missing = api.post(f"/proposals/{pid}/instructions", people.health_clerk, expect=422,
                       json={"kind": "unit_principal", "text": "请办理。", "given_on": day,
                             "source": "paper", "leader_name": "冯主任"}).get_json()
    assert "assignment_id" in missing["errors"]
