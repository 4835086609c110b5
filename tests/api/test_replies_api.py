"""Drafting, 会签, three-level review, sign-off and issue through the API.

Every response is checked against the OpenAPI document by the Api client; the database is
checked too, and every refusal leaves the data as it was.
"""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.support.api import assignment_of
from tests.support.base import load
from tracker.audit.models import AuditEvent
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.replies.models import DocSeries, DraftVersion, Reply, ReviewDecision

YEAR = today().year
BODY_1 = "一、基本情况\n我委高度重视基层卫生人才队伍建设。"
BODY_2 = BODY_1 + "\n二、下一步工作\n（一）扩大订单定向培养规模。"
BODY_3 = BODY_2 + "\n1．2026年招收定向医学生500名。"


def draft_body(body: str, base: int, **extra) -> dict:
    fields = {"base_number": base, "body": body, "result_class": "A", "reply_form": "written",
              "disclosure": "public", "contact_name": "刘洋", "contact_phone": "0431-88900000",
              "cc": "省人大人代选委\n省政府办公厅", "closing": "感谢您对卫生健康工作的关心和支持。"}
    fields.update(extra)
    return fields


def lead_of(api, token, pid, world) -> dict:
    return assignment_of(api.get(f"/proposals/{pid}", token, expect=200).get_json(), world.health)


def _drafting_item(api, tokens, world, *, co=True, is_key=False, number="212") -> tuple[int, dict]:
    """An item assigned to health (lead, drafting by health_drafter) and hr (co, accepted)."""
    item = api.register(tokens.clerk, world.meeting, number=number, is_key=is_key)
    pid = item["id"]
    item = api.assign(tokens.clerk, pid, lead=world.health, co=[world.hr] if co else [])
    lead = assignment_of(item, world.health)
    api.act("assignments", lead["id"], "accept", tokens.health_clerk)
    if co:
        api.act("assignments", assignment_of(item, world.hr)["id"], "accept", tokens.hr_clerk)
    item = api.act("assignments", lead["id"], "dispatch", tokens.health_clerk, {
        "section_id": world.health_section, "drafter_id": world.health_drafter}).get_json()
    return pid, assignment_of(item, world.health)


def _in_review(api, tokens, world, **kw) -> tuple[int, dict]:
    """An item whose lead draft (one version) is at 初审; no co-handling unit."""
    pid, lead = _drafting_item(api, tokens, world, co=False, **kw)
    api.act("assignments", lead["id"], "save_draft", tokens.health_drafter, draft_body(BODY_1, 0))
    item = api.act("assignments", lead["id"], "submit_review", tokens.health_drafter).get_json()
    return pid, assignment_of(item, world.health)


def test_the_whole_reply_flow(app, api, tokens, world):
    pid, lead = _drafting_item(api, tokens, world)
    aid = lead["id"]
    co = assignment_of(api.get(f"/proposals/{pid}", tokens.clerk).get_json(), world.hr)
    assert lead["draft"] is None and lead["versions"] == [] and lead["reply"] is None
    assert lead["missing_co_opinions"] == ["省人力资源和社会保障厅"]
    assert lead["cosign_override_reason"] == ""
    mine = lead_of(api, tokens.health_drafter, pid, world)
    assert mine["allowed_actions"] == ["record_contact", "save_draft"]

    # The drafter writes the first version, then revises it.
    item = api.act("assignments", aid, "save_draft", tokens.health_drafter,
                   draft_body(BODY_1, 0, note="初稿")).get_json()
    lead = assignment_of(item, world.health)
    assert lead["draft"]["number"] == 1 and lead["draft"]["body"] == BODY_1
    assert lead["draft"]["cc"] == ["省人大人代选委", "省政府办公厅"]
    assert lead["draft"]["created_by"]["full_name"] == "刘承办"
    item = api.act("assignments", aid, "save_draft", tokens.health_drafter,
                   draft_body(BODY_2, 1, result_class="B", reply_form="face",
                              salutation="李华代表：")).get_json()
    lead = assignment_of(item, world.health)
    draft = lead["draft"]
    assert (draft["number"], draft["body"], draft["result_class"], draft["reply_form"],
            draft["reply_form_label"], draft["disclosure"], draft["contact_name"],
            draft["contact_phone"], draft["closing"], draft["salutation"], draft["opening"]) == (
        2, BODY_2, "B", "face", "面见答复", "public", "刘洋", "0431-88900000",
        "感谢您对卫生健康工作的关心和支持。", "李华代表：", "")
    assert [(v["number"], v["created_by"]["full_name"], v["source"]) for v in lead["versions"]] \
        == [(1, "刘承办", "api"), (2, "刘承办", "api")]

    # 会签: without hr's opinion the draft cannot go to 初审.
    assert "submit_review" not in lead["allowed_actions"]
    refused = api.act("assignments", aid, "submit_review", tokens.health_drafter, expect=409)
    assert "省人力资源和社会保障厅" in refused.get_json()["error"]
    # The co-handling unit reads the lead's draft before sending its opinion.
    seen_by_hr = lead_of(api, tokens.hr_clerk, pid, world)
    assert seen_by_hr["draft"]["body"] == BODY_2
    item = api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk,
                   {"text": "同意主办单位意见。"}).get_json()
    assert assignment_of(item, world.health)["missing_co_opinions"] == ["省人力资源和社会保障厅"]
    item = api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader).get_json()
    [opinion] = item["opinions"]
    assert opinion["doc_number"] == f"吉人社会字〔{YEAR}〕1号"
    lead = assignment_of(item, world.health)
    assert lead["missing_co_opinions"] == []

    # 送审, 初审 returns it with a comment, the drafter fixes it and sends it again.
    item = api.act("assignments", aid, "submit_review", tokens.health_drafter,
                   {"version": lead["version"], "note": "请审核"}).get_json()
    lead = assignment_of(item, world.health)
    assert (lead["state"], lead["state_label"], lead["waiting_days"]) == (
        "first_review", "初审中", 0)
    assert item["state"] == "first_review"
    first_view = lead_of(api, tokens.health_first, pid, world)
    assert first_view["allowed_actions"] == ["approve", "return_draft"]
    item = api.act("assignments", aid, "return_draft", tokens.health_first, {
        "seen_version_id": first_view["draft"]["id"], "comment": "请补充具体数据。"}).get_json()
    lead = assignment_of(item, world.health)
    assert lead["state"] == "drafting"
    assert [(r["level"], r["decision"], r["comment"], r["reviewer_name"], r["version"])
            for r in lead["reviews"]] == [("first", "return", "请补充具体数据。", "陈初审", 2)]
    item = api.act("assignments", aid, "save_draft", tokens.health_drafter,
                   draft_body(BODY_3, 2, result_class="B", note="按初审意见补充数据")).get_json()
    lead = assignment_of(item, world.health)
    assert lead["draft"]["number"] == 3
    item = api.act("assignments", aid, "submit_review", tokens.health_drafter).get_json()
    assert assignment_of(item, world.health)["state"] == "first_review"

    # Three approvals, each by a reviewer of that level, on the version they saw.
    for token, next_state in ((tokens.health_first, "second_review"),
                              (tokens.health_second, "final_review"),
                              (tokens.health_final, "awaiting_signature")):
        seen = lead_of(api, token, pid, world)
        assert "approve" in seen["allowed_actions"]
        item = api.act("assignments", aid, "approve", token, {
            "seen_version_id": seen["draft"]["id"], "comment": "同意"}).get_json()
        assert assignment_of(item, world.health)["state"] == next_state

    # The signer signs; the clerk issues with the next number of the 建议 series.
    seen = lead_of(api, tokens.health_signer, pid, world)
    assert seen["allowed_actions"] == ["return_draft", "sign"]
    item = api.act("assignments", aid, "sign", tokens.health_signer,
                   {"seen_version_id": seen["draft"]["id"]}).get_json()
    lead = assignment_of(item, world.health)
    assert lead["state"] == "signed"
    assert lead["reply"]["doc_number"] is None and lead["reply"]["issued_at"] is None
    assert api.get(f"/proposals/{pid}", tokens.health_clerk).get_json()["assignments"][0][
        "allowed_actions"] == ["return_draft", "issue"]
    item = api.act("assignments", aid, "issue", tokens.health_clerk,
                   {"version": lead["version"]}).get_json()
    assert item["state"] == "replied"

    final = api.get(f"/proposals/{pid}", tokens.health_clerk, expect=200).get_json()
    lead = assignment_of(final, world.health)
    reply = lead["reply"]
    assert lead["state"] == "replied"
    assert reply["doc_number"] == f"吉卫复议字〔{YEAR}〕1号"
    assert (reply["first_reviewer"], reply["second_reviewer"], reply["final_reviewer"],
            reply["signer_name"], reply["version"]) == ("陈初审", "周复审", "吴终审", "郑签发", 3)
    assert reply["issued_at"].endswith("Z")
    assert [(r["level"], r["decision"], r["version"]) for r in lead["reviews"]] == [
        ("first", "return", 2), ("first", "approve", 3), ("second", "approve", 3),
        ("final", "approve", 3), ("sign", "approve", 3)]
    assert [e["action"] for e in final["timeline"] if e["object_id"] == aid
            and e["object_type"] == "assignment"] == [
        "accept", "dispatch", "save_draft", "save_draft", "submit_review", "return_draft",
        "save_draft", "submit_review", "approve", "approve", "approve", "sign", "issue"]
    issued = [e for e in final["timeline"] if e["action"] == "issue"]
    assert issued[0]["details"]["doc_number"] == f"吉卫复议字〔{YEAR}〕1号"

    with app.app_context():
        row = db.session.scalars(select(Reply).where(Reply.assignment_id == aid)).one()
        assert (row.doc_number, row.series_number, row.signer_id) == (
            f"吉卫复议字〔{YEAR}〕1号", 1, world.health_signer)
        assert row.draft_version.number == 3 and row.draft_version.body == BODY_3
        series = db.session.get(DocSeries, row.series_id)
        assert (series.unit_id, series.kind.value, series.year, series.last_number) == (
            world.health, "suggestion", YEAR, 1)
        assert db.session.scalar(select(func.count()).select_from(DraftVersion).where(
            DraftVersion.assignment_id == aid)) == 3
        assert load(Assignment, aid).review_cycle == 2


def test_the_next_reply_takes_the_next_number(api, tokens, world):
    numbers = []
    for number in ("301", "302"):
        pid, lead = _in_review(api, tokens, world, number=number)
        for token in (tokens.health_first, tokens.health_second, tokens.health_final,
                      tokens.health_signer):
            action = "sign" if token == tokens.health_signer else "approve"
            api.act("assignments", lead["id"], action, token,
                    {"seen_version_id": lead["draft"]["id"]})
        item = api.act("assignments", lead["id"], "issue", tokens.health_clerk).get_json()
        numbers.append(assignment_of(item, world.health)["reply"]["doc_number"])
    assert numbers == [f"吉卫复议字〔{YEAR}〕1号", f"吉卫复议字〔{YEAR}〕2号"]


def test_stale_base_number_is_409_with_the_latest_version(app, api, tokens, world):
    pid, lead = _drafting_item(api, tokens, world, co=False)
    api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
            draft_body(BODY_1, 0))
    # The unit clerk opened the editor on the blank draft as well, and saves later.
    response = api.act("assignments", lead["id"], "save_draft", tokens.health_clerk,
                       draft_body("联络员写的另一稿。", 0), expect=409)
    body = response.get_json()
    assert body["status"] == 409 and body["latest_version"] == 1
    assert "刘承办" in body["error"] and "未保存" in body["error"]
    assert body["latest_draft"]["body"] == BODY_1  # the other's changes, to compare
    with app.app_context():
        rows = db.session.scalars(select(DraftVersion).where(
            DraftVersion.assignment_id == lead["id"])).all()
        assert [(r.number, r.body) for r in rows] == [(1, BODY_1)]
        assert load(Assignment, lead["id"]).version == lead["version"] + 1
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "transition_refused")).all()
        assert [(e.actor_id, e.outcome) for e in refused] == [(world.health_clerk, "rejected")]
    # Saving on top of the latest version works.
    item = api.act("assignments", lead["id"], "save_draft", tokens.health_clerk,
                   draft_body("联络员写的另一稿。", body["latest_version"])).get_json()
    assert assignment_of(item, world.health)["draft"]["number"] == 2


def test_a_base_number_beyond_the_latest_is_refused_not_a_crash(app, api, tokens, world):
    # Defect (see tests/replies/test_operations.py): no draft yet and base_number 3 -> 500.
    pid, lead = _drafting_item(api, tokens, world, co=False)
    response = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
                       draft_body(BODY_1, 3), expect=None)
    assert response.status_code in (409, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 0


def test_approving_an_outdated_version_is_409(app, api, tokens, world):
    pid, lead = _in_review(api, tokens, world)
    first_seen = lead["draft"]["id"]
    api.act("assignments", lead["id"], "return_draft", tokens.health_first,
            {"seen_version_id": first_seen, "comment": "请修改第二段。"})
    api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
            draft_body(BODY_2, 1))
    api.act("assignments", lead["id"], "submit_review", tokens.health_drafter)
    # The reviewer approves from the page they opened on the first version.
    response = api.act("assignments", lead["id"], "approve", tokens.health_first,
                       {"seen_version_id": first_seen}, expect=409)
    assert response.get_json()["error"] == \
        "送审稿在您打开之后已被修改，请重新查看最新的答复稿后再审核。"
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "first_review"
        assert db.session.scalar(select(func.count()).select_from(ReviewDecision).where(
            ReviewDecision.decision == "approve")) == 0


def test_a_second_approval_of_the_same_submission_is_409(app, api, tokens, world):
    # Defect: the review form carries no assignment version, so the reviewer who comes
    # second is told the 复审 step is not theirs (403) instead of "someone acted first" (409).
    from tests.factories import make_user
    from tracker.accounts.models import Role, Unit
    from tracker.accounts.operations import issue_token

    with app.test_request_context():
        other = make_user("health_first2", db.session.get(Unit, world.health),
                          Role.reviewer_first, full_name="蒋初审")
        other_token = issue_token(other, "t")
        db.session.commit()
    pid, lead = _in_review(api, tokens, world)
    seen = {token: lead_of(api, token, pid, world) for token in (tokens.health_first,
                                                                 other_token)}
    assert all("approve" in s["allowed_actions"] for s in seen.values())
    api.act("assignments", lead["id"], "approve", tokens.health_first, {
        "seen_version_id": seen[tokens.health_first]["draft"]["id"],
        "version": seen[tokens.health_first]["version"]})
    response = api.act("assignments", lead["id"], "approve", other_token, {
        "seen_version_id": seen[other_token]["draft"]["id"],
        "version": seen[other_token]["version"]}, expect=None)
    assert response.status_code == 409, response.get_json()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReviewDecision)) == 1


def test_reviewer_without_that_level_is_403(app, api, tokens, world):
    pid, lead = _in_review(api, tokens, world)
    for token in (tokens.health_second, tokens.health_drafter, tokens.health_signer):
        response = api.act("assignments", lead["id"], "approve", token,
                           {"seen_version_id": lead["draft"]["id"]}, expect=403)
        assert response.get_json()["error"] == "只有本单位初审人可以执行「审核通过」。"
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "first_review"


def test_key_item_is_signed_by_the_principal_leader_only(api, tokens, world):
    pid, lead = _in_review(api, tokens, world, is_key=True)
    seen = lead["draft"]["id"]
    for token in (tokens.health_first, tokens.health_second, tokens.health_final):
        api.act("assignments", lead["id"], "approve", token, {"seen_version_id": seen})
    assert "sign" not in lead_of(api, tokens.health_signer, pid, world)["allowed_actions"]
    response = api.act("assignments", lead["id"], "sign", tokens.health_signer,
                       {"seen_version_id": seen}, expect=403)
    assert "主要负责人" in response.get_json()["error"]
    item = api.act("assignments", lead["id"], "sign", tokens.health_leader,
                   {"seen_version_id": seen}).get_json()
    assert assignment_of(item, world.health)["reply"]["signer_name"] == "冯主任"


def test_empty_input_is_422(app, api, tokens, world):
    pid, lead = _drafting_item(api, tokens, world, co=False)
    for body in ("", "   \n\u3000 \n\t"):
        response = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
                           draft_body(body, 0), expect=422)
        assert response.get_json()["errors"] == {"body": ["答复正文不能为空。"]}
    response = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
                       {"base_number": 0, "body": "正文", "result_class": "Z",
                        "disclosure": "public"}, expect=422)
    assert set(response.get_json()["errors"]) == {"result_class"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 0
    api.act("assignments", lead["id"], "save_draft", tokens.health_drafter, draft_body(BODY_1, 0))
    api.act("assignments", lead["id"], "submit_review", tokens.health_drafter)
    response = api.act("assignments", lead["id"], "approve", tokens.health_first, {}, expect=422)
    assert response.get_json()["errors"] == {"seen_version_id": ["此项必须填写。"]}
    response = api.act("assignments", lead["id"], "return_draft", tokens.health_first,
                       {"seen_version_id": lead_of(api, tokens.health_first, pid, world)[
                           "draft"]["id"], "comment": "  "}, expect=422)
    assert set(response.get_json()["errors"]) == {"comment"}
    with app.app_context():
        assert load(Assignment, lead["id"]).state == "first_review"


def _docx(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_upload_as_multipart(app, api, tokens, world):
    pid, lead = _drafting_item(api, tokens, world, co=False)
    form = {"base_number": "0", "result_class": "A", "reply_form": "written",
            "disclosure": "public"}
    item = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter, data={
        **form, "docx": (io.BytesIO(_docx("一、基本情况", "", "我委高度重视。")), "答复.docx"),
    }, content_type="multipart/form-data").get_json()
    draft = assignment_of(item, world.health)["draft"]
    assert (draft["body"], draft["source"]) == ("一、基本情况\n我委高度重视。", "docx")

    response = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter, data={
        **form, "base_number": "1", "docx": (io.BytesIO(b"plain text"), "fake.docx"),
    }, content_type="multipart/form-data", expect=422)
    assert list(response.get_json()["errors"]) == ["docx"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 1


def _accept_and_dispatch(api, tokens, world, assignment: dict, unit: str) -> None:
    clerk = getattr(tokens, f"{unit}_clerk")
    api.act("assignments", assignment["id"], "accept", clerk)
    if assignment["role"] != "co":
        api.act("assignments", assignment["id"], "dispatch", clerk, {
            "section_id": getattr(world, f"{unit}_section"),
            "drafter_id": getattr(world, f"{unit}_drafter")})


@pytest.fixture
def lead_item(api, tokens, world) -> int:
    """health leads (its draft returned once by 初审), hr co-handles."""
    item = api.register(tokens.clerk, world.meeting, number="88", is_key=False)
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    lead, co = assignment_of(item, world.health), assignment_of(item, world.hr)
    _accept_and_dispatch(api, tokens, world, lead, "health")
    _accept_and_dispatch(api, tokens, world, co, "hr")
    api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
            draft_body("卫健委的答复稿。", 0, note="卫健委内部说明"))
    api.act("assignments", co["id"], "submit_opinion", tokens.hr_clerk, {"text": "同意。"})
    api.act("assignments", co["id"], "approve_opinion", tokens.hr_leader)
    api.act("assignments", lead["id"], "submit_review", tokens.health_drafter)
    api.act("assignments", lead["id"], "return_draft", tokens.health_first, {
        "seen_version_id": lead_of(api, tokens.health_first, item["id"], world)["draft"]["id"],
        "comment": "卫健委初审意见"})
    return item["id"]


@pytest.fixture
def separate_item(api, tokens, world) -> int:
    """health and edu each reply on their own part (分办); both have a draft."""
    item = api.register(tokens.clerk, world.meeting, number="89", is_key=False)
    item = api.act("proposals", item["id"], "assign", tokens.clerk, {
        "lead_unit_id": 0, "separate_unit_ids": [world.health, world.edu]}).get_json()
    for unit in ("health", "edu"):
        part = assignment_of(item, getattr(world, unit))
        _accept_and_dispatch(api, tokens, world, part, unit)
        api.act("assignments", part["id"], "save_draft", getattr(tokens, f"{unit}_drafter"),
                draft_body(f"{unit} 的分办答复稿。", 0, note=f"{unit} 内部说明"))
    return item["id"]


def _drafts_seen(api, token, pid) -> dict:
    item = api.get(f"/proposals/{pid}", token, expect=200).get_json()
    return {a["unit"]["name"]: (a["draft"]["body"] if a["draft"] else None,
                                len(a["versions"]), len(a["reviews"]))
            for a in item["assignments"] if a["role"] != "co"}


def _quoted(api, token, pid) -> set[str]:
    """The drafters' notes and reviewers' comments the timeline shows this caller."""
    item = api.get(f"/proposals/{pid}", token).get_json()
    return {str(v) for e in item["timeline"] for k, v in e["details"].items()
            if k in {"comment", "note"}}


def test_lead_draft_is_read_by_the_co_unit_and_supervisors(api, tokens, world, lead_item):
    lead = {"省卫生健康委员会": ("卫健委的答复稿。", 1, 1)}
    for token in (tokens.clerk, tokens.health_clerk, tokens.hr_clerk, tokens.hr_drafter):
        assert _drafts_seen(api, token, lead_item) == lead
        assert _quoted(api, token, lead_item) == {"卫健委内部说明", "卫健委初审意见"}


def test_separate_draft_is_read_by_its_unit_and_supervisors(api, tokens, world, separate_item):
    both = {"省卫生健康委员会": ("health 的分办答复稿。", 1, 0),
            "省教育厅": ("edu 的分办答复稿。", 1, 0)}
    assert _drafts_seen(api, tokens.clerk, separate_item) == both
    assert _drafts_seen(api, tokens.health_clerk, separate_item) == {
        **both, "省教育厅": (None, 0, 0)}
    assert _drafts_seen(api, tokens.edu_drafter, separate_item) == {
        **both, "省卫生健康委员会": (None, 0, 0)}
    assert _quoted(api, tokens.clerk, separate_item) == {"health 内部说明", "edu 内部说明"}
    assert _quoted(api, tokens.health_clerk, separate_item) == {"health 内部说明"}
    assert _quoted(api, tokens.edu_clerk, separate_item) == {"edu 内部说明"}


def test_overdue_in_review_is_listed(app, api, tokens, world):
    from datetime import timedelta

    from sqlalchemy import update

    from tracker.core.time import utcnow

    pid, lead = _in_review(api, tokens, world)
    other = api.register(tokens.clerk, world.meeting, number="999")
    with app.app_context():
        db.session.execute(update(Assignment).where(Assignment.id == lead["id"]).values(
            due_on=today() - timedelta(days=1), assigned_on=today() - timedelta(days=90)))
        db.session.commit()
    with app.app_context():
        db.session.execute(update(Assignment).where(Assignment.id == lead["id"]).values(
            state_since=utcnow() - timedelta(days=3, hours=2)))
        db.session.commit()
    seen = lead_of(api, tokens.health_first, pid, world)
    assert seen["state"] == "first_review" and seen["is_overdue"]
    assert seen["waiting_days"] == 3
    page = api.get("/proposals?overdue=true", tokens.clerk, expect=200).get_json()
    assert [p["id"] for p in page["items"]] == [pid]
    assert other["id"] not in [p["id"] for p in page["items"]]


def test_document_describes_drafts_and_the_draft_conflict(spec):
    schemas = spec["components"]["schemas"]
    assignment = schemas["Assignment"]["properties"]
    for name in ("draft", "versions", "reviews", "reply", "waiting_days",
                 "cosign_override_reason"):
        assert name in assignment, name
    assert assignment["draft"]["nullable"] and "body" in assignment["draft"]["properties"]
    assert set(schemas["Reply"]["properties"]) >= {
        "doc_number", "issued_at", "signer_name", "first_reviewer", "second_reviewer",
        "final_reviewer"}
    assert "doc_number" in schemas["Opinion"]["properties"]
    conflict = schemas["ConflictError"]
    assert conflict["required"] == ["error", "status"]
    assert conflict["properties"]["latest_version"]["type"] == "integer"
    operation = spec["paths"]["/assignments/{assignment_id}/actions/{action}"]["post"]
    assert operation["responses"]["409"] == {"$ref": "#/components/responses/ActionConflict"}
    multipart = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/SaveDraftMultipart"} in multipart
    assert schemas["SaveDraftMultipart"]["properties"]["docx"]["format"] == "binary"
    assert "docx" not in schemas["SaveDraftBody"]["properties"]
    assert schemas["ApproveBody"]["required"] == ["seen_version_id"]
    assert schemas["ReturnDraftBody"]["required"] == ["seen_version_id", "comment"]
    assert schemas["SaveDraftBody"]["properties"]["result_class"]["enum"] == ["A", "B", "C"]


def test_unstorable_text_in_a_draft_is_422(app, api, tokens, world):
    pid, lead = _drafting_item(api, tokens, world, co=False)
    for body in ("正文\x00", "正文\ud800"):
        response = api.act("assignments", lead["id"], "save_draft", tokens.health_drafter,
                           {**draft_body(body, 0), "\ud800": "\udfff"}, expect=422)
        assert list(response.get_json()["errors"]) == ["body"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DraftVersion)) == 0


def test_the_publication_decision_through_the_api(app, api, tokens, world):
    """办理结果公开 with the draft and the reply: proposed, implied by the 公开属性 when left
    out, refused with its field when it contradicts the letter, changed in review and kept
    by the reply."""
    pid, lead = _drafting_item(api, tokens, world, co=False)
    aid = lead["id"]
    draft = assignment_of(api.act("assignments", aid, "save_draft", tokens.health_drafter,
                                  draft_body(BODY_1, 0, disclosure="on_request")).get_json(),
                          world.health)["draft"]
    assert (draft["publication"], draft["publication_label"], draft["withhold_reason"]) == (
        "withheld", "不予公开（属依申请公开信息）", "on_request")
    refused = api.act("assignments", aid, "save_draft", tokens.health_drafter,
                      draft_body(BODY_1, 1, publication="withheld",
                                 withhold_reason="privacy"), expect=422)
    assert set(refused.get_json()["errors"]) == {"publication"}
    draft = assignment_of(api.act("assignments", aid, "save_draft", tokens.health_drafter,
                                  draft_body(BODY_1, 1, publication="full")).get_json(),
                          world.health)["draft"]
    assert (draft["publication"], draft["withhold_reason"], draft["public_summary"]) == (
        "full", "", "")
    api.act("assignments", aid, "submit_review", tokens.health_drafter)
    for token in (tokens.health_first, tokens.health_second, tokens.health_final):
        seen = lead_of(api, token, pid, world)["draft"]["id"]
        extra = {"publication": "summary", "public_summary": "摘要：扩大定向培养。"} \
            if token == tokens.health_first else {}
        api.act("assignments", aid, "approve", token, {"seen_version_id": seen, **extra})
    seen = lead_of(api, tokens.health_signer, pid, world)["draft"]["id"]
    item = api.act("assignments", aid, "sign", tokens.health_signer,
                   {"seen_version_id": seen}).get_json()
    reply = assignment_of(item, world.health)["reply"]
    assert (reply["publication"], reply["publication_label"], reply["public_summary"]) == (
        "summary", "摘要公开", "摘要：扩大定向培养。")
