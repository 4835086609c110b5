"""办结 and re-handling: the supervising clerk closes a rated item (or one whose rating period
lapsed) with a grade; a closed item is read-only; the whole "done when" scenario through the
pages and through the API: 不满意 sends the item back, a second reply is drafted, reviewed,
signed and issued with a new number, the authors rate it again, the clerk closes it."""
from __future__ import annotations

import html as htmllib
import json
import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.api.conftest import api, spec, tokens  # noqa: F401 (fixtures)
from tests.ratings.test_staff_ratings import PAPER, make_issued, world_rows
from tests.support.api import assignment_of
from tracker.audit.log import verify_chain
from tracker.audit.models import AuditEvent
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Author, Proposal
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingChannel
from tracker.replies.models import Reply

AUTHORS = [{"name": "李华", "phone": "13912345678", "organisation": "长春代表团"},
           {"name": "王芳", "phone": "13887654321", "organisation": "吉林代表团"}]
SATISFIED = {"handling": "satisfied", "handling_score": "96", "result": "satisfied",
             "result_score": "92", "contacted": "yes", "contact_method": "face",
             "comments": "满意。"}
UNSATISFIED = {"handling": "basic", "handling_score": "70", "result": "unsatisfied",
               "result_score": "40", "contacted": "yes", "contact_method": "phone",
               "comments": "答复没有解决实际问题，希望重新研究。"}
BODY_2 = ("一、基本情况\n我委重新研究了您提出的问题。\n二、具体措施\n"
          "（一）2026年起增加定向培养名额300名。")


# -- helpers ----------------------------------------------------------------------------------


def rate_online(app, reply_id: int, author_id: int, answers: dict) -> None:
    """The author answers through a real personal link on the public page."""
    with app.test_request_context():
        reply = db.session.get(Reply, reply_id)
        token = ratings.new_link(reply, db.session.get(Author, author_id))
        db.session.commit()
    visitor = app.test_client()
    page = visitor.get(f"/rate/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = visitor.post(f"/rate/{token}", data={**answers, "csrf_token": csrf.group(1)})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "感谢" in response.get_data(as_text=True)


def rated_item(app, world, verdicts=("satisfied", "satisfied")):
    item = make_issued(app, world, authors=AUTHORS)
    with app.test_request_context():
        w = world_rows(world)
        reply = db.session.get(Reply, item.reply_id)
        for author_id, verdict in zip(item.author_ids, verdicts):
            ratings.submit_rating(reply, db.session.get(Author, author_id),
                                  {**PAPER, "handling": verdict, "result": verdict,
                                   "handling_score": "", "result_score": ""},
                                  channel=RatingChannel.paper, actor=w.clerk)
        db.session.commit()
    return item


def hidden_fields(page: str) -> dict:
    """The hidden inputs of a page's form (version, base_number, seen_version_id, csrf)."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            values[name.group(1)] = htmllib.unescape(value.group(1)) if value else ""
    return values


def act(client, path: str, expect: int = 302, **fields):
    """Open an action's page and post its form with the hidden values it was shown with."""
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    data = {**hidden_fields(page.get_data(as_text=True)), **fields}
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == expect, (path, response.get_data(as_text=True)[:3000])
    return response


def action_links(page: str) -> list[str]:
    return re.findall(r'href="(/(?:proposals|assignments)/\d+/actions/[a-z_]+)"', page)


def events_of(app, proposal_id: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(
            AuditEvent.proposal_id == proposal_id).order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return rows


# -- closing ----------------------------------------------------------------------------------


def test_the_supervising_clerk_closes_and_grades_a_rated_item(app, world, make_client):
    item = rated_item(app, world)
    unit = make_client()
    unit.login("health_clerk")
    page = unit.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert f"/proposals/{item.proposal_id}/actions/close" not in page
    assert unit.post_form(f"/proposals/{item.proposal_id}/actions/close",
                          {"grade": "good"}).status_code == 403
    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert f'href="/proposals/{item.proposal_id}/actions/close">办结</a>' in page
    form = clerk.get(f"/proposals/{item.proposal_id}/actions/close").get_data(as_text=True)
    assert all(f'value="{g}"' in form for g in ("good", "fair", "poor"))
    assert "办理工作评定" in form and ">好<" in form and ">差<" in form
    # Bad input: a clear message, nothing changed.
    response = clerk.post_form(f"/proposals/{item.proposal_id}/actions/close", {})
    assert response.status_code == 422 and "请评定办理工作等次" in response.get_data(as_text=True)
    response = clerk.post_form(f"/proposals/{item.proposal_id}/actions/close",
                               {"grade": "poor", "comment": "  "})
    assert response.status_code == 422
    assert "评定为“差”时请填写理由" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Proposal, item.proposal_id).state == "rated"
    response = clerk.post_form(f"/proposals/{item.proposal_id}/actions/close",
                               {"grade": "good", "comment": "联系及时，答复认真。",
                                "state": "registered", "closed_by_id": str(world.health_clerk)})
    assert response.status_code == 302
    with app.app_context():
        proposal = db.session.get(Proposal, item.proposal_id)
        assert (proposal.state, proposal.handling_grade, proposal.grade_comment,
                proposal.closed_by_id) == ("closed", "good", "联系及时，答复认真。", world.clerk)
        assert proposal.closed_at is not None
    [close] = [e for e in events_of(app, item.proposal_id) if e.action == "close"]
    assert close.actor_id == world.clerk and json.loads(close.details)["grade"] == "good"

    # Shown on the item page; no actions left for anybody.
    for client in (clerk, unit):
        page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
        assert "已办结" in page and '<strong class="grade">好</strong>' in page
        assert "联系及时，答复认真。" in page
        assert action_links(page) == []
        assert "修改登记信息" not in page and "录入纸质征询意见表" not in page
        assert "打印征询意见表" not in page
    assert clerk.post_form(f"/proposals/{item.proposal_id}/actions/close",
                           {"grade": "fair"}).status_code == 409
    contact = {"stage": "after", "method": "phone", "contacted_on": today().isoformat(),
               "summary": "回访"}
    assert unit.post_form(f"/assignments/{item.assignment_id}/actions/record_contact",
                          contact).status_code == 409
    text = clerk.get(f"/replies/{item.reply_id}/ratings/new").get_data(as_text=True)
    assert "不在征询评价阶段" in text
    with app.app_context():
        assert db.session.get(Proposal, item.proposal_id).handling_grade == "good"
        assert db.session.get(Assignment, item.assignment_id).contacts == []


def test_an_item_can_be_closed_once_the_rating_period_lapsed(app, world, client):
    item = make_issued(app, world, authors=AUTHORS)
    client.login("clerk")
    assert client.post(f"/replies/{item.reply_id}/ratings/new", data={
        **PAPER, "author_id": item.author_ids[0], "csrf_token": client.token},
        content_type="multipart/form-data").status_code == 302
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert f"/proposals/{item.proposal_id}/actions/close" not in page
    response = client.post_form(f"/proposals/{item.proposal_id}/actions/close",
                                {"grade": "fair"})
    assert response.status_code == 409 and "评价期限未满" in response.get_data(as_text=True)
    with app.app_context():
        days = app.config["RATING_DAYS"]
        db.session.execute(update(Reply).where(Reply.id == item.reply_id).values(
            issued_at=utcnow() - timedelta(days=days + 1)))
        db.session.commit()
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert f"/proposals/{item.proposal_id}/actions/close" in page
    assert "提出人仍未全部评价：可以办结" in page
    act(client, f"/proposals/{item.proposal_id}/actions/close", grade="fair",
        comment="评价期满，一位提出人未反馈。")
    with app.app_context():
        proposal = db.session.get(Proposal, item.proposal_id)
        assert (proposal.state, proposal.handling_grade) == ("closed", "fair")
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert "未完成（已收到 1/2）" in page and "征询中" not in page
    assert "打印征询意见表" not in page and "录入纸质征询意见表" not in page
    # The missing answer can no longer be entered.
    response = client.post(f"/replies/{item.reply_id}/ratings/new", data={
        **PAPER, "author_id": item.author_ids[1], "csrf_token": client.token},
        content_type="multipart/form-data")
    assert response.status_code == 409 and "已办结" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Rating)).all()) == 1


def test_a_closed_items_open_co_assignment_takes_no_more_actions(app, world, make_client):
    from tests.support.handling import rate_all, replied_without_co_opinion

    with app.test_request_context():
        w = world_rows(world)
        proposal, lead, co = replied_without_co_opinion(w)
        rate_all(w, lead, "satisfied")
        ratings.close_item(proposal, w.clerk, grade="good")
        db.session.commit()
        co_id = co.id
    hr = make_client()
    hr.login("hr_clerk")
    assert hr.post_form(f"/assignments/{co_id}/actions/record_contact", {
        "stage": "after", "method": "phone", "contacted_on": today().isoformat(),
        "summary": "回访"}).status_code == 409


# -- the whole scenario -----------------------------------------------------------------------


def test_rehandling_and_closing_through_the_pages(app, world, make_client):
    item = make_issued(app, world, authors=AUTHORS, letter=True)
    first_number = item.doc_number
    # Both authors rate online through their personal links: 满意 and 不满意.
    rate_online(app, item.reply_id, item.author_ids[0], SATISFIED)
    rate_online(app, item.reply_id, item.author_ids[1], UNSATISFIED)
    with app.app_context():
        assignment = db.session.get(Assignment, item.assignment_id)
        proposal = db.session.get(Proposal, item.proposal_id)
        assert (proposal.state, assignment.state, assignment.round) == (
            "rehandling", "drafting", 2)
        assert assignment.due_on > today() and "重新办理" in assignment.due_basis
        assert db.session.get(Reply, item.reply_id).rating == "unsatisfied"
        due_on = assignment.due_on
    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert "重新办理" in page and f"重新办理期限 {due_on.isoformat()}" in page
    assert "答复没有解决实际问题，希望重新研究。" in page and "网上评价" in page

    # The lead unit drafts again; 初审, 复审, 终审, 签发 and 发文 through the pages.
    drafter = make_client()
    drafter.login("health_drafter")
    base = f"/assignments/{item.assignment_id}/actions"
    act(drafter, f"{base}/save_draft", body=BODY_2, result_class="A", reply_form="written",
        disclosure="public", contact_name="刘洋", contact_phone="0431-88900000",
        note="根据提出人意见重新办理")
    act(drafter, f"{base}/submit_review", note="重新办理稿，请审核")
    for username in ("health_first", "health_second", "health_final"):
        reviewer = make_client()
        reviewer.login(username)
        act(reviewer, f"{base}/approve", comment="同意")
    signer = make_client()
    signer.login("health_signer")
    act(signer, f"{base}/sign", comment="同意发出")
    unit = make_client()
    unit.login("health_clerk")
    act(unit, f"{base}/issue")
    with app.app_context():
        replies_ = db.session.scalars(select(Reply).where(
            Reply.assignment_id == item.assignment_id).order_by(Reply.round)).all()
        assert [r.round for r in replies_] == [1, 2]
        first, second = replies_
        assert first.doc_number == first_number
        assert second.doc_number != first_number and second.doc_number.endswith("〕2号")
        assert first.pdf_name and second.pdf_name and first.pdf_sha256 != second.pdf_sha256
        second_id, second_number = second.id, second.doc_number
        assert db.session.get(Proposal, item.proposal_id).state == "replied"
    letters = [unit.get(f"/assignments/{item.assignment_id}/letter.pdf?round={n}")
               for n in (1, 2)]
    assert all(r.status_code == 200 and r.mimetype == "application/pdf" for r in letters)
    assert letters[0].data != letters[1].data

    # Both rounds stay visible; the authors rate the second reply 满意.
    page = clerk.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    panel = page.split('id="ratings"')[1]
    assert "第一轮答复" in panel and "第二轮答复" in panel
    assert first_number in panel and second_number in panel
    assert "已收到 0/2 位提出人的评价" in panel and "verdict-unsatisfied" in panel
    for author_id in item.author_ids:
        rate_online(app, second_id, author_id, SATISFIED)
    with app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "rated"
        assert db.session.get(Proposal, item.proposal_id).state == "rated"
        assert db.session.get(Reply, second_id).rating == "satisfied"

    # The clerk closes it with the grade 好; the item is read-only.
    act(clerk, f"/proposals/{item.proposal_id}/actions/close", grade="good",
        comment="重新办理认真，提出人满意。")
    page = clerk.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert "已办结" in page and "重新办理认真，提出人满意。" in page
    assert action_links(page) == []
    assert action_links(unit.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)) == []
    with app.app_context():
        proposal = db.session.get(Proposal, item.proposal_id)
        assert (proposal.state, proposal.handling_grade) == ("closed", "good")
        assert verify_chain().ok

    # Every step is in the event log.
    actions = [e.action for e in events_of(app, item.proposal_id)]
    round_one = ["register", "assign", "accept", "dispatch", "save_draft", "submit_review",
                 "approve", "approve", "approve", "sign", "issue"]
    round_two = ["save_draft", "submit_review", "approve", "approve", "approve", "sign",
                 "issue"]
    # Each author's link is made (and audited) just before the answer through it.
    online = ["rating_link_minted", "rating_submitted"] * 2
    assert actions == (round_one + online + ["rehandle"] + round_two + online
                       + ["rate", "close"])


def test_rehandling_and_closing_through_the_api(app, api, tokens, world):
    def act_api(target, object_id, action, token, body=None):
        return api.act(target, object_id, action, token, body or {}).get_json()

    item = api.register(tokens.clerk, world.meeting, number="212", is_key=False, authors=[
        {"name": "李华", "organisation": "长春代表团"},
        {"name": "王芳", "organisation": "吉林代表团"}])
    pid = item["id"]
    author_ids = [a["id"] for a in item["authors"]]
    lead = assignment_of(api.assign(tokens.clerk, pid, lead=world.health), world.health)
    aid = lead["id"]
    act_api("assignments", aid, "accept", tokens.health_clerk)
    act_api("assignments", aid, "dispatch", tokens.health_clerk,
            {"section_id": world.health_section, "drafter_id": world.health_drafter})

    def reply_round(body: str) -> dict:
        latest = assignment_of(api.get(f"/proposals/{pid}", tokens.health_drafter).get_json(),
                               world.health)
        base = latest["draft"]["number"] if latest["draft"] else 0
        act_api("assignments", aid, "save_draft", tokens.health_drafter, {
            "base_number": base, "body": body, "result_class": "A", "reply_form": "written",
            "disclosure": "public", "contact_name": "刘洋"})
        act_api("assignments", aid, "submit_review", tokens.health_drafter)
        for token in (tokens.health_first, tokens.health_second, tokens.health_final):
            seen = assignment_of(api.get(f"/proposals/{pid}", token).get_json(),
                                 world.health)["draft"]["id"]
            act_api("assignments", aid, "approve", token, {"seen_version_id": seen})
        seen = assignment_of(api.get(f"/proposals/{pid}", tokens.health_signer).get_json(),
                             world.health)["draft"]["id"]
        act_api("assignments", aid, "sign", tokens.health_signer, {"seen_version_id": seen})
        result = act_api("assignments", aid, "issue", tokens.health_clerk)
        return assignment_of(result, world.health)

    lead = reply_round("一、基本情况\n我委高度重视。")
    [first] = lead["ratings"]
    assert (first["round"], first["collecting"], first["rating"], first["answered"]) == (
        1, True, None, 0)
    first_number = first["doc_number"]
    # The clerk enters both paper forms: 满意 and 不满意.
    item = api.post(f"/replies/{first['reply_id']}/ratings", tokens.clerk,
                    json={**SATISFIED, "author_id": author_ids[0], "handling_score": 96,
                          "result_score": 92}, expect=201).get_json()
    item = api.post(f"/replies/{first['reply_id']}/ratings", tokens.clerk,
                    json={**UNSATISFIED, "author_id": author_ids[1], "handling_score": 70,
                          "result_score": 40}, expect=201).get_json()
    lead = assignment_of(item, world.health)
    assert item["state"] == "rehandling"
    assert (lead["state"], lead["round"]) == ("drafting", 2)
    assert lead["due_on"] > today().isoformat()
    [first] = lead["ratings"]
    assert (first["rating"], first["rating_label"], first["collecting"]) == (
        "unsatisfied", "不满意", False)
    assert [a["answer"]["verdict"] for a in first["authors"]] == ["satisfied", "unsatisfied"]
    assert {a["answer"]["channel"] for a in first["authors"]} == {"paper"}

    lead = reply_round(BODY_2)
    first, second = lead["ratings"]
    assert (second["round"], second["round_label"], second["collecting"]) == (2, "第二轮答复", True)
    assert second["doc_number"] != first_number and second["doc_number"].endswith("〕2号")
    for author_id in author_ids:
        item = api.post(f"/replies/{second['reply_id']}/ratings", tokens.clerk,
                        json={**SATISFIED, "author_id": author_id, "handling_score": None,
                              "result_score": 95}, expect=201).get_json()
    assert item["state"] == "rated" and item["allowed_actions"] == ["close"]
    assert assignment_of(item, world.health)["ratings"][1]["rating"] == "satisfied"
    refused = api.act("proposals", pid, "close", tokens.health_clerk, {"grade": "good"},
                      expect=403)
    assert refused.get_json()["error"]
    api.act("proposals", pid, "close", tokens.clerk, {}, expect=422)
    item = act_api("proposals", pid, "close", tokens.clerk,
                   {"grade": "good", "comment": "重新办理认真。"})
    assert item["state"] == "closed" and item["allowed_actions"] == []
    assert item["closing"]["grade"] == "good" and item["closing"]["grade_label"] == "好"
    assert item["closing"]["comment"] == "重新办理认真。"
    assert item["closing"]["closed_by"]["full_name"] == "赵交办"
    assert all(a["allowed_actions"] == [] for a in item["assignments"])
    api.act("assignments", aid, "record_contact", tokens.health_clerk, {
        "stage": "after", "method": "phone", "contacted_on": today().isoformat(),
        "summary": "回访"}, expect=409)
    api.act("proposals", pid, "close", tokens.clerk, {"grade": "fair"}, expect=409)
    actions = [e["action"] for e in item["timeline"]]
    assert actions.count("issue") == 2 and actions.count("rating_submitted") == 4
    assert actions[-1] == "close" and "rehandle" in actions and "rate" in actions
    with app.app_context():
        assert verify_chain().ok
