"""The whole handling flow through the API, checked in the responses and in the database."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.api import assignment_of
from tests.support.base import load
from tracker.audit.models import AuditEvent
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment, Contact, CoOpinion
from tracker.proposals.models import Proposal


def test_register_assign_accept_dispatch_contact_opinion(app, api, tokens, world):
    # The clerk registers the item.
    item = api.register(tokens.clerk, world.meeting, number="212")
    pid = item["id"]
    assert item["state"] == "registered" and item["state_label"] == "已登记"
    assert item["meeting"] == {"id": world.meeting, "name": "省十四届人大三次会议"}
    assert [a["name"] for a in item["authors"]] == ["李华", "王芳"]
    assert item["authors"][0]["is_lead"] and item["authors"][0]["email"] == "lihua@example.cn"
    assert item["allowed_actions"] == ["assign"]

    # ... and assigns it to health (lead) and hr (co).
    item = api.assign(tokens.clerk, pid, lead=world.health, co=[world.hr], note="请认真办理")
    assert item["state"] == "assigned"
    lead, co = assignment_of(item, world.health), assignment_of(item, world.hr)
    assert (lead["role"], lead["state"], lead["state_label"]) == ("lead", "assigned", "待签收")
    assert (co["role"], co["state"]) == ("co", "assigned")
    assert lead["assigned_on"] == today().isoformat() and lead["due_on"] > lead["assigned_on"]
    assert lead["allowed_actions"] == []  # the clerk cannot acknowledge for the unit

    # Both units acknowledge; the unit clerk sees what they may do next.
    seen = api.get(f"/proposals/{pid}", tokens.health_clerk, expect=200).get_json()
    assert assignment_of(seen, world.health)["allowed_actions"] == ["accept", "request_return"]
    assert assignment_of(seen, world.hr)["allowed_actions"] == []
    item = api.act("assignments", lead["id"], "accept", tokens.health_clerk,
                   {"version": lead["version"], "note": "已签收"}).get_json()
    assert assignment_of(item, world.health)["state"] == "accepted"
    assert item["state"] == "accepted"  # the lead has; hr (co) not yet does not hold it back
    item = api.act("assignments", co["id"], "accept", tokens.hr_clerk, {}).get_json()
    assert item["state"] == "accepted"

    # Health passes it to a section and a drafter.
    item = api.act("assignments", lead["id"], "dispatch", tokens.health_clerk, {
        "section_id": world.health_section, "drafter_id": world.health_drafter,
        "version": assignment_of(item, world.health)["version"],
    }).get_json()
    lead = assignment_of(item, world.health)
    assert lead["state"] == "drafting" and item["state"] == "drafting"
    assert lead["section"] == {"id": world.health_section, "name": "基层卫生健康处"}
    assert lead["drafter"] == {"id": world.health_drafter, "full_name": "刘承办"}

    # The drafter records a contact with the author.
    item = api.act("assignments", lead["id"], "record_contact", tokens.health_drafter, {
        "stage": "before", "method": "phone", "contacted_on": today().isoformat(),
        "summary": "电话联系李华代表，了解建议的具体情况。",
    }).get_json()
    assert [(c["stage_label"], c["method_label"], c["summary"]) for c in item["contacts"]] == [
        ("办前", "电话", "电话联系李华代表，了解建议的具体情况。")]
    assert item["contacts"][0]["created_by"]["full_name"] == "刘承办"

    # hr sends its co-handling opinion.
    item = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk,
                   {"text": "建议将基层卫生人才纳入职称评审倾斜政策。"}).get_json()
    assert assignment_of(item, world.hr)["state"] == "opinion_pending"
    # The lead unit reads nothing of it before hr's leader approved it.
    waiting = api.get(f"/proposals/{pid}", tokens.health_clerk, expect=200).get_json()
    assert waiting["opinions"] == []
    assert "text" not in [e for e in waiting["timeline"]
                          if e["action"] == "submit_opinion"][0]["details"]
    item = api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader,
                   {"note": "同意"}).get_json()
    assert assignment_of(item, world.hr)["state"] == "opinion_submitted"

    # The lead unit sees states, contacts, the opinion and the whole history, in order.
    item = api.get(f"/proposals/{pid}", tokens.health_clerk, expect=200).get_json()
    assert item["state"] == "drafting"
    assert {a["unit"]["name"]: a["state_label"] for a in item["assignments"]} == {
        "省卫生健康委员会": "办理中", "省人力资源和社会保障厅": "已提交会办意见"}
    assert [(o["unit"]["name"], o["text"], o["submitted_by"]["full_name"], o["status"],
             o["decided_by"]["full_name"], o["doc_number"])
            for o in item["opinions"]] == [
        ("省人力资源和社会保障厅", "建议将基层卫生人才纳入职称评审倾斜政策。", "何联络",
         "approved", "宋厅长", f"吉人社会字〔{today().year}〕1号")]
    timeline = item["timeline"]
    assert [(e["action"], e["actor_name"]) for e in timeline] == [
        ("register", "赵交办"), ("assign", "赵交办"), ("accept", "孙联络"),
        ("accept", "何联络"), ("dispatch", "孙联络"), ("record_contact", "刘承办"),
        ("submit_opinion", "何联络"), ("approve_opinion", "宋厅长")]
    seqs = [e["seq"] for e in timeline]
    assert seqs == sorted(seqs)
    assert all(e["occurred_at"].endswith("Z") for e in timeline)
    assert timeline[1]["details"]["note"] == "请认真办理"
    assert [u["unit"] for u in timeline[1]["details"]["units"]] == [
        "省卫生健康委员会", "省人力资源和社会保障厅"]
    assert timeline[4]["details"]["drafter"] == "刘承办"
    assert timeline[6]["details"]["text"] == "建议将基层卫生人才纳入职称评审倾斜政策。"
    assert "note" not in timeline[7]["details"]  # the leader's comment stays within hr

    # The database holds the same.
    with app.app_context():
        proposal = load(Proposal, pid)
        assert proposal.state == "drafting" and proposal.is_key
        rows = {a.unit_id: a for a in proposal.assignments}
        assert rows[world.health].state == "drafting"
        assert rows[world.health].drafter_id == world.health_drafter
        assert rows[world.health].section_id == world.health_section
        assert rows[world.hr].state == "opinion_submitted"
        contact = db.session.scalars(select(Contact)).one()
        assert contact.assignment_id == lead["id"] and contact.created_by_id == world.health_drafter
        opinion = db.session.scalars(select(CoOpinion)).one()
        assert opinion.assignment_id == co["id"] and opinion.submitted_by_id == world.hr_clerk
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == pid).order_by(AuditEvent.seq)).all()
        assert [e.action for e in events] == [e["action"] for e in timeline]
        assert {e.outcome for e in events} == {"success"}


def test_opinion_with_attachment_as_multipart(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, number="7")
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    co = assignment_of(item, world.hr)
    api.act("assignments", co["id"], "accept", tokens.hr_clerk)
    pdf = b"%PDF-1.4\n% test\n"
    from io import BytesIO

    item = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk, data={
        "text": "同意主办单位意见。", "attachment": (BytesIO(pdf), "会办意见.pdf"),
    }, content_type="multipart/form-data").get_json()
    [opinion] = item["opinions"]  # hr reads its own opinion, waiting for approval
    assert opinion["status"] == "pending" and opinion["status_label"] == "待审批"
    api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader)
    assert opinion["attachment"]["name"] == "会办意见.pdf"
    assert opinion["attachment"]["content_type"] == "application/pdf"
    assert opinion["attachment"]["size"] == len(pdf)
    with app.app_context():
        row = load(Assignment, co["id"])
        assert row.state == "opinion_submitted"
        assert row.opinions[0].attachment.sha256


def test_the_opinion_approval_through_the_api(app, api, tokens, world):
    """Refused to hr's clerk and to another unit's signer; a return needs its comment; the
    revised opinion is approved with the id of the version the leader read."""
    item = api.register(tokens.clerk, world.meeting, number="9")
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    co = assignment_of(item, world.hr)
    api.act("assignments", co["id"], "accept", tokens.hr_clerk)
    item = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk,
                   {"text": "初稿。"}).get_json()
    assert "approve_opinion" not in assignment_of(item, world.hr)["allowed_actions"]
    api.act("assignments", co["id"], "approve_opinion", tokens.hr_clerk, expect=403)
    api.act("assignments", co["id"], "approve_opinion", tokens.health_leader, expect=403)
    errors = api.act("assignments", co["id"], "return_opinion", tokens.hr_leader,
                     {"comment": ""}, expect=422).get_json()["errors"]
    assert set(errors) == {"comment"}
    seen = api.get(f"/proposals/{item['id']}", tokens.hr_leader, expect=200).get_json()
    assert assignment_of(seen, world.hr)["allowed_actions"] == [
        "approve_opinion", "return_opinion"]
    item = api.act("assignments", co["id"], "return_opinion", tokens.hr_leader,
                   {"comment": "请补充。"}).get_json()
    assert assignment_of(item, world.hr)["state"] == "accepted"  # never passed on
    item = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk,
                   {"text": "修改稿。"}).get_json()
    pending = [o for o in item["opinions"] if o["status"] == "pending"]
    assert [o["text"] for o in pending] == ["修改稿。"]
    api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader,
            {"seen_opinion_id": pending[0]["id"] + 1}, expect=409)
    item = api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader,
                   {"seen_opinion_id": pending[0]["id"]}).get_json()
    assert assignment_of(item, world.hr)["state"] == "opinion_submitted"
    lead_view = api.get(f"/proposals/{item['id']}", tokens.health_clerk, expect=200).get_json()
    assert [(o["text"], o["status"]) for o in lead_view["opinions"]] == [("修改稿。", "approved")]


def test_a_deadline_extension_through_the_api(app, api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, number="318")
    item = api.assign(tokens.clerk, item["id"], lead=world.health)
    lead = assignment_of(item, world.health)
    assert lead["extension"] is None
    item = api.act("assignments", lead["id"], "accept", tokens.health_clerk,
                   {"version": lead["version"]}).get_json()
    lead = assignment_of(item, world.health)
    original = lead["due_on"]
    item = api.act("assignments", lead["id"], "request_extension", tokens.health_clerk,
                   {"version": lead["version"], "reason": "需赴基层调研", "one_month": True}
                   ).get_json()
    lead = assignment_of(item, world.health)
    extension = lead["extension"]
    assert (extension["status"], extension["status_label"], extension["reason"]) == (
        "requested", "待审批", "需赴基层调研")
    assert extension["original_due_on"] == original < extension["requested_due_on"]
    assert extension["decided_by"] is None and extension["decided_at"] is None
    assert lead["due_on"] == original
    item = api.act("assignments", lead["id"], "approve_extension", tokens.clerk,
                   {"version": lead["version"], "note": "同意"}).get_json()
    lead = assignment_of(item, world.health)
    assert lead["extension"]["status"] == "approved"
    assert lead["extension"]["decided_by"]["full_name"] == "赵交办"
    assert lead["due_on"] == lead["extension"]["requested_due_on"]
