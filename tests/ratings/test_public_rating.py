"""The public rating page: what an author sees through a personal link (no account), what is
stored when they answer, and every way a link or an answer is refused."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.support.handling import _model_for, latest_id, write_draft
from tracker.audit.models import AuditEvent
from tracker.core.errors import ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.proposals.models import Author
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingRequest
from tracker.ratings.queries import issued_reply
from tracker.replies import operations as replies

LEAD = {"name": "李华", "phone": "13912345678", "email": "", "organisation": "长春代表团"}
CO = {"name": "王芳", "phone": "13887654321", "email": "", "organisation": "吉林代表团"}
BODY = ("一、基本情况\n（一）人才队伍现状\n我委高度重视基层卫生人才队伍建设。\n"
        "二、下一步工作\n继续加大培养力度。")
ANSWERS = {"handling": "satisfied", "handling_score": "95", "result": "basic",
           "result_score": "80", "contacted": "yes", "contact_method": "phone",
           "comments": "答复认真，希望尽快落实。"}


def issue_item(w, authors, *, title="关于加强基层卫生人才队伍建设的建议") -> Assignment:
    """An item with these authors, handled by health up to an issued reply (replied)."""
    proposal = factories.make_proposal(w.clerk, w.meeting, title=title, authors=authors)
    (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
    handling.accept_assignment(assignment, w.health_clerk)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter, body=BODY)
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    replies.issue_reply(assignment, w.health_clerk)
    assert assignment.state == "replied"
    return assignment


def world_rows(world) -> SimpleNamespace:
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})


def make_issued(app, world, authors=(LEAD, CO), **kw) -> SimpleNamespace:
    """Commit an issued item and one link per author; ids and raw tokens for the client."""
    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, list(authors), **kw)
        reply = issued_reply(assignment)
        proposal = assignment.proposal
        tokens = [ratings.new_link(reply, a, actor=w.clerk) for a in proposal.authors]
        db.session.commit()
        return SimpleNamespace(
            assignment_id=assignment.id, reply_id=reply.id, proposal_id=proposal.id,
            author_ids=[a.id for a in proposal.authors], tokens=tokens,
            number=proposal.number, title=proposal.title, doc_number=reply.doc_number,
            meeting=proposal.meeting.name)


def ratings_of(app, reply_id: int) -> list[Rating]:
    with app.app_context():
        rows = db.session.scalars(select(Rating).where(Rating.reply_id == reply_id)
                                  .order_by(Rating.id)).all()
        db.session.expunge_all()
        return rows


def rating_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Rating))


def anonymous(make_client, token: str):
    """A visitor without an account who opened the link (and so holds a CSRF token)."""
    client = make_client()
    client.fetch_token(f"/rate/{token}")
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


# -- what the page shows -----------------------------------------------------------------------

def test_the_link_shows_the_item_and_the_reply_to_its_own_author_only(app, world, make_client):
    item = make_issued(app, world)
    client = make_client()
    response = client.get(f"/rate/{item.tokens[0]}")
    assert response.status_code == 200
    page = text(response)
    for shown in (item.meeting, f"第{item.number}号代表建议", item.title, "省卫生健康委员会",
                  item.doc_number, "我委高度重视基层卫生人才队伍建设。", "继续加大培养力度。",
                  "李华代表：您好", "满意（90 分及以上）", "基本满意（60–89 分）",
                  "不满意（60 分以下）", "面商", "提交评价"):
        assert shown in page, shown
    # Not the co-author, nobody's phone, and not the salutation that names the authors.
    for hidden in ("王芳", CO["phone"], LEAD["phone"], "吉林代表团", "等代表"):
        assert hidden not in page, hidden
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert '<meta name="referrer" content="no-referrer">' in page

    other = text(client.get(f"/rate/{item.tokens[1]}"))
    assert "王芳代表：您好" in other
    assert "李华" not in other and LEAD["phone"] not in other and CO["phone"] not in other


def test_viewing_the_page_changes_nothing(app, world, make_client):
    item = make_issued(app, world)
    make_client().get(f"/rate/{item.tokens[0]}")
    assert ratings_of(app, item.reply_id) == []


# -- answering -------------------------------------------------------------------------------

def test_answers_are_stored_once_and_the_link_is_then_used_up(app, world, make_client):
    item = make_issued(app, world)
    token = item.tokens[0]
    client = anonymous(make_client, token)
    response = client.post_form(f"/rate/{token}", ANSWERS)
    assert response.status_code == 200
    page = text(response)
    assert "感谢您的评价" in page and item.doc_number in page and "王芳" not in page
    assert 'name="handling"' not in page  # no way back to the form
    (rating,) = ratings_of(app, item.reply_id)
    with app.app_context():
        link = db.session.scalar(select(RatingRequest).where(
            RatingRequest.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        assert rating.request_id == link.id
    assert rating.author_id == item.author_ids[0]
    assert rating.channel.value == "online" and rating.entered_by_id is None
    assert (rating.handling.value, rating.handling_score) == ("satisfied", 95)
    assert (rating.result.value, rating.result_score) == ("basic", 80)
    assert rating.contacted is True and rating.contact_method == "phone"
    assert rating.comments == "答复认真，希望尽快落实。"

    # The same link again: refused with a clear message, nothing new saved.
    again = client.post_form(f"/rate/{token}", dict(ANSWERS, handling="unsatisfied"))
    assert again.status_code == 404
    assert "您已提交过对该答复的评价" in text(again)
    reopened = client.get(f"/rate/{token}")
    assert reopened.status_code == 404 and "您已提交过对该答复的评价" in text(reopened)
    assert [r.id for r in ratings_of(app, item.reply_id)] == [rating.id]
    # One author answered: the item still waits for the other.
    with app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "replied"


def test_a_new_link_of_an_author_who_answered_is_refused_too(app, world, make_client):
    item = make_issued(app, world)
    client = anonymous(make_client, item.tokens[0])
    assert client.post_form(f"/rate/{item.tokens[0]}", ANSWERS).status_code == 200
    with app.test_request_context():
        reply = issued_reply(db.session.get(Assignment, item.assignment_id))
        author = db.session.get(Author, item.author_ids[0])
        with pytest.raises(ValidationFailed, match="已提交评价"):
            ratings.new_link(reply, author)
    assert len(ratings_of(app, item.reply_id)) == 1


def test_an_expired_link_is_refused(app, world, make_client):
    item = make_issued(app, world)
    token = item.tokens[0]
    client = anonymous(make_client, token)
    with app.app_context():
        link = db.session.scalar(select(RatingRequest).where(
            RatingRequest.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        link.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page = client.get(f"/rate/{token}")
    assert page.status_code == 404 and "已于" in text(page) and "过期" in text(page)
    assert 'name="handling"' not in text(page) and item.title not in text(page)
    posted = client.post_form(f"/rate/{token}", ANSWERS)
    assert posted.status_code == 404 and "过期" in text(posted)
    assert ratings_of(app, item.reply_id) == []


# Named ids: a random token as its own id would differ between xdist workers.
@pytest.mark.parametrize("forged", [
    "forged", secrets.token_urlsafe(32), "x" * 500, "%E6%9D%8E%E5%8D%8E", "%00%27%3Cscript%3E"],
    ids=["forged", "random", "long", "utf8-escaped", "nul-quote-script"])
def test_a_forged_token_is_refused(app, world, make_client, forged):
    item = make_issued(app, world, authors=(LEAD,))
    client = make_client()
    response = client.get(f"/rate/{forged}")
    assert response.status_code == 404
    assert "评价链接无效" in text(response) and item.title not in text(response)
    # A POST with a valid CSRF token (taken from a real link) is refused the same way.
    client.fetch_token(f"/rate/{item.tokens[0]}")
    posted = client.post_form(f"/rate/{forged}", ANSWERS)
    assert posted.status_code == 404 and "评价链接无效" in text(posted)
    assert rating_count(app) == 0


def test_the_stored_hash_is_not_a_token(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    with app.app_context():
        stored = db.session.scalar(select(RatingRequest.token_hash).where(
            RatingRequest.reply_id == item.reply_id))
    assert stored == hashlib.sha256(item.tokens[0].encode()).hexdigest()
    assert make_client().get(f"/rate/{stored}").status_code == 404


def test_a_token_rates_only_its_own_reply_and_author(app, world, make_client):
    """Fields that name another reply, author, channel or clerk are ignored: the link decides."""
    first = make_issued(app, world, authors=(LEAD,))
    second = make_issued(app, world, authors=({"name": "赵敏", "phone": "13700000000"},),
                         title="关于改善农村学校办学条件的建议")
    token = second.tokens[0]
    client = anonymous(make_client, token)
    page = text(client.get(f"/rate/{token}"))
    assert second.title in page and first.title not in page
    response = client.post_form(f"/rate/{token}", dict(
        ANSWERS, reply_id=first.reply_id, author_id=first.author_ids[0],
        request_id=999, channel="paper", entered_by_id=world.clerk, scan_id=1,
        token=first.tokens[0]))
    assert response.status_code == 200
    assert ratings_of(app, first.reply_id) == []
    (rating,) = ratings_of(app, second.reply_id)
    assert rating.author_id == second.author_ids[0]
    assert rating.channel.value == "online" and rating.entered_by_id is None
    assert rating.scan_id is None and rating.request_id != 999
    # The first item's link still works for its own author.
    assert client.get(f"/rate/{first.tokens[0]}").status_code == 200


def test_missing_answers_show_the_form_again_with_messages(app, world, make_client):
    item = make_issued(app, world)
    token = item.tokens[0]
    client = anonymous(make_client, token)
    response = client.post_form(f"/rate/{token}", {"comments": "只写了意见"})
    assert response.status_code == 422
    page = text(response)
    for message in ("评价未提交", "请选择对办理工作的评价。", "请选择对办理结果的评价。",
                    "请选择承办单位是否与您联系过。"):
        assert message in page, message
    assert "只写了意见" in page  # what was typed is kept
    assert 'name="handling"' in page and "王芳" not in page

    no_method = client.post_form(f"/rate/{token}", dict(ANSWERS, contact_method=""))
    assert no_method.status_code == 422 and "请选择联系方式。" in text(no_method)
    unknown = client.post_form(f"/rate/{token}", dict(ANSWERS, handling="excellent"))
    assert unknown.status_code == 422 and "对办理工作的评价" in text(unknown)
    assert rating_count(app) == 0


@pytest.mark.parametrize("field, value, message", [
    ("handling_score", "70", "70 分与“满意”不符（满意为 90 分及以上）"),
    ("result_score", "95", "95 分与“基本满意”不符（基本满意为 60–89 分）"),
    ("handling_score", "150", "分数应为 0–100"),
    ("result_score", "八十", "不是有效的整数"),
])
def test_a_score_outside_its_band_is_refused(app, world, make_client, field, value, message):
    item = make_issued(app, world, authors=(LEAD,))
    token = item.tokens[0]
    client = anonymous(make_client, token)
    response = client.post_form(f"/rate/{token}", dict(ANSWERS, **{field: value}))
    assert response.status_code == 422
    assert message in text(response)
    assert rating_count(app) == 0
    with app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "replied"


def test_without_the_csrf_token_nothing_is_saved(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    client = make_client()
    response = client.post(f"/rate/{item.tokens[0]}", data=ANSWERS)
    assert response.status_code == 400
    assert rating_count(app) == 0


# -- the last answer moves the item on -------------------------------------------------------

def _answer_all(app, make_client, item, verdict: str) -> None:
    for token in item.tokens:
        client = anonymous(make_client, token)
        response = client.post_form(f"/rate/{token}", {
            "handling": verdict, "result": verdict, "contacted": "no"})
        assert response.status_code == 200, text(response)[:400]


def test_when_the_last_author_is_satisfied_the_assignment_is_rated(app, world, make_client):
    item = make_issued(app, world)
    _answer_all(app, make_client, item, "satisfied")
    with app.app_context():
        assignment = db.session.get(Assignment, item.assignment_id)
        assert assignment.state == "rated"
        assert issued_reply(assignment).rating == "satisfied"
    assert len(ratings_of(app, item.reply_id)) == 2


def test_when_an_author_is_unsatisfied_the_item_is_handled_again(app, world, make_client):
    item = make_issued(app, world)
    first = anonymous(make_client, item.tokens[0])
    assert first.post_form(f"/rate/{item.tokens[0]}", {
        "handling": "satisfied", "result": "satisfied", "contacted": "no"}).status_code == 200
    second = anonymous(make_client, item.tokens[1])
    assert second.post_form(f"/rate/{item.tokens[1]}", {
        "handling": "basic", "result": "unsatisfied", "contacted": "yes",
        "contact_method": "face", "comments": "问题没有解决"}).status_code == 200
    with app.app_context():
        assignment = db.session.get(Assignment, item.assignment_id)
        assert assignment.state == "drafting" and assignment.round == 2
    # The reply is no longer being rated: its links are used up or void.
    page = first.get(f"/rate/{item.tokens[0]}")
    assert page.status_code == 404


# -- the token stays out of the records -------------------------------------------------------

def test_the_token_is_not_written_to_the_audit_log(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    token = item.tokens[0]
    client = anonymous(make_client, token)
    client.post_form(f"/rate/{token}", {"comments": "缺少评价"})
    client.post_form(f"/rate/{token}", ANSWERS)
    client.post_form(f"/rate/{token}", ANSWERS)  # refused: used
    client.get(f"/rate/{token}x")  # refused: unknown
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        assert any(e.action == "rating_submitted" for e in events)
        for event in events:
            assert token not in repr(event.details) and token[:20] not in repr(event.details)
