"""Ratings through the API: each reply's ratings in the item JSON (all rounds), and a clerk's
entry of a paper 征询意见表 on an author's behalf. Every response is checked against the
OpenAPI document by the Api client."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.ratings.test_staff_ratings import CO, LEAD, PAPER, issue_item, make_issued, world_rows
from tests.support.api import assignment_of
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingChannel
from tracker.ratings.queries import issued_reply

ANSWERS = {"handling": "satisfied", "handling_score": 95, "result": "basic",
           "result_score": 80, "contacted": "yes", "contact_method": "face",
           "comments": "答复认真。"}


def _ratings(app) -> list[Rating]:
    with app.app_context():
        rows = db.session.scalars(select(Rating).order_by(Rating.id)).all()
        db.session.expunge_all()
        return rows


def test_the_clerk_enters_a_paper_form_for_an_author(app, api, tokens, world):
    item = make_issued(app, world, links=True)
    response = api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk, json={
        **ANSWERS, "author_id": item.author_ids[0],
        # Not the caller's to say: ignored.
        "channel": "online", "entered_by_id": world.health_clerk, "request_id": 1,
    }, expect=201)
    assert response.headers["Location"].endswith(f"/api/v1/proposals/{item.proposal_id}")
    body = response.get_json()
    lead = assignment_of(body, world.health)
    [reply] = lead["ratings"]
    assert (reply["reply_id"], reply["round"], reply["round_label"], reply["doc_number"]) == (
        item.reply_id, 1, "第一轮答复", item.doc_number)
    assert (reply["collecting"], reply["rating"], reply["answered"]) == (True, None, 1)
    first, second = reply["authors"]
    assert (first["author_id"], first["name"], first["is_lead"]) == (
        item.author_ids[0], "李华", True)
    answer = first["answer"]
    assert (answer["handling"], answer["handling_score"], answer["result_label"],
            answer["verdict"], answer["verdict_label"], answer["contacted"],
            answer["contact_method_label"], answer["comments"]) == (
        "satisfied", 95, "基本满意", "basic", "基本满意", True, "面商", "答复认真。")
    assert (answer["channel"], answer["channel_label"]) == ("paper", "纸质征询意见表（代录入）")
    assert answer["entered_by"] == {"id": world.clerk, "full_name": "赵交办"}
    assert answer["scan"] is None
    assert second["answer"] is None and second["links_made"] == 1
    assert item.tokens[1] not in response.get_data(as_text=True)
    [row] = _ratings(app)
    assert (row.channel, row.entered_by_id, row.request_id) == (
        RatingChannel.paper, world.clerk, None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "rating_submitted", AuditEvent.actor_id == world.clerk)) == 1

    # The last answer completes the rating: 满意 + 基本满意 → 基本满意, 测评完成.
    body = api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk, json={
        **ANSWERS, "author_id": item.author_ids[1], "handling": "satisfied",
        "result": "satisfied", "result_score": None, "contacted": "no",
        "contact_method": None}, expect=201).get_json()
    assert body["state"] == "rated" and body["allowed_actions"] == ["close"]
    [reply] = assignment_of(body, world.health)["ratings"]
    assert (reply["rating"], reply["rating_label"], reply["collecting"]) == (
        "basic", "基本满意", False)
    assert reply["rated_at"].endswith("Z")
    assert body["rating_rule"]["value"] == "worst" and body["closing"] is None
    # No more answers for this round.
    refused = api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk, json={
        **ANSWERS, "author_id": item.author_ids[0]}, expect=409).get_json()
    assert "不在征询评价阶段" in refused["error"]
    assert len(_ratings(app)) == 2


def test_an_author_of_another_item_is_refused(app, api, tokens, world):
    item = make_issued(app, world)
    other = make_issued(app, world, authors=[{"name": "张伟", "phone": "13800000000"}])
    refused = api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk, json={
        **ANSWERS, "author_id": other.author_ids[0]}, expect=422).get_json()
    assert refused["error"] == "该提出人不是本件建议提案的提出人。"
    assert refused["errors"] == {"author_id": ["该提出人不是本件建议提案的提出人。"]}
    api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk,
             json={**ANSWERS, "author_id": 2**31 - 1}, expect=422)
    assert _ratings(app) == []
    with app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "replied"


def test_bad_bodies_are_refused_field_by_field(app, api, tokens, world):
    item = make_issued(app, world)
    path = f"/replies/{item.reply_id}/ratings"
    errors = api.post(path, tokens.clerk, json={}, expect=422).get_json()["errors"]
    assert {"author_id", "handling", "result", "contacted"} <= set(errors)
    errors = api.post(path, tokens.clerk, json={
        **ANSWERS, "author_id": "1", "handling_score": "95", "contacted": True},
        expect=422).get_json()["errors"]
    assert errors == {"author_id": ["应为整数。"], "handling_score": ["应为整数。"],
                      "contacted": ["应为字符串。"]}
    errors = api.post(path, tokens.clerk, json={
        **ANSWERS, "author_id": item.author_ids[0], "handling": "excellent"},
        expect=422).get_json()["errors"]
    assert set(errors) == {"handling"}
    errors = api.post(path, tokens.clerk, json={
        **ANSWERS, "author_id": item.author_ids[0], "handling_score": 40},
        expect=422).get_json()["errors"]
    assert errors == {"handling_score": ["40 分与“满意”不符（满意为 90 分及以上）。"]}
    api.post(path, tokens.clerk, data=b"[1, 2]", content_type="application/json",
             expect=400)
    assert _ratings(app) == []


def test_only_the_supervising_clerk_may_enter_and_other_units_see_nothing(
        app, api, tokens, world):
    item = make_issued(app, world)
    path = f"/replies/{item.reply_id}/ratings"
    body = {**ANSWERS, "author_id": item.author_ids[0]}
    for token in (tokens.health_clerk, tokens.health_signer):
        assert "只有交办员" in api.post(path, token, json=body, expect=403).get_json()["error"]
    for token in (tokens.edu_clerk, tokens.admin):
        api.post(path, token, json=body, expect=404)
    api.post("/replies/999999/ratings", tokens.clerk, json=body, expect=404)
    api.post(path, None, json=body, expect=401)
    assert _ratings(app) == []


def test_ratings_are_shown_to_the_office_and_the_unit_only(app, api, tokens, world):
    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, [LEAD, CO], co_unit=w.hr)
        reply = issued_reply(assignment)
        ratings.submit_rating(reply, assignment.proposal.authors[0], PAPER,
                              channel=RatingChannel.paper, actor=w.clerk)
        db.session.commit()
        pid, reply_id = assignment.proposal_id, reply.id
    for token in (tokens.clerk, tokens.health_clerk, tokens.health_drafter):
        item = api.get(f"/proposals/{pid}", token, expect=200).get_json()
        [entry] = assignment_of(item, world.health)["ratings"]
        assert entry["reply_id"] == reply_id and entry["answered"] == 1
        assert entry["authors"][0]["answer"]["comments"] == "答复认真，希望尽快落实。"
        assert assignment_of(item, world.hr)["ratings"] == []  # a co-handling unit's
    item = api.get(f"/proposals/{pid}", tokens.hr_clerk, expect=200).get_json()
    assert all(a["ratings"] == [] for a in item["assignments"])
    assert "答复认真，希望尽快落实。" not in str(item)
    assert [a["id"] for a in item["authors"]] == [a["id"] for a in api.get(
        f"/proposals/{pid}", tokens.clerk).get_json()["authors"]]
    api.get(f"/proposals/{pid}", tokens.edu_clerk, expect=404)


def test_fuzzed_paper_ratings_never_fail_the_server(app, api, tokens, world):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.api.test_fuzz import VALUES

    item = make_issued(app, world)
    fields = ["author_id", "handling", "result", "handling_score", "result_score",
              "contacted", "contact_method", "comments"]
    good = {"author_id": item.author_ids[0], "handling": "basic", "result": "basic",
            "contacted": "no"}

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(changes=st.dictionaries(st.sampled_from(fields), VALUES, max_size=4))
    def run(changes):
        response = api.post(f"/replies/{item.reply_id}/ratings", tokens.clerk,
                            json={**good, **changes})  # the client checks the document
        assert response.status_code in (201, 400, 409, 422), response.get_json()
        if response.status_code == 201:  # undone, so the next example starts afresh
            with app.app_context():
                db.session.execute(Rating.__table__.delete())
                db.session.commit()

    run()
