"""The printed 征询意见表: one author's form, printed by the supervising clerk or the reply's
unit clerk; a fresh personal link (only its hash kept) only when the supervising clerk makes
one, with a reason (see test_link_minting for who may make links)."""
from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import unquote

import pdfplumber
from sqlalchemy import func, select

from tests.ratings.test_public_rating import ANSWERS, CO, LEAD, anonymous, make_issued
from tracker.extensions import db
from tracker.ratings.models import RatingRequest

TITLE = "建议提案办理情况征询意见表"


def pdf_text(pdf: bytes) -> tuple[str, int]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages), len(doc.pages)


CODE = re.compile(r"评价码：\s*((?:[2-9A-HJKMNP-TV-Z]{4} ){4}[2-9A-HJKMNP-TV-Z]{4})")


def printed_code(text: str) -> str:
    """The rating code as printed on the form, in its groups (on one line of the text)."""
    found = CODE.search(text)
    assert found, "no rating code on the form"
    return found.group(1)


def printed_token(text: str) -> str:
    """The token of the link printed on the form: its rating code without the spaces."""
    return printed_code(text).replace(" ", "")


def form_url(item, index: int = 0) -> str:
    return f"/replies/{item.reply_id}/authors/{item.author_ids[index]}/rating-form.pdf"


def link_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RatingRequest))


REASON = "提出人未收到邮件，重新发送"


def test_the_form_shows_the_item_and_this_author_with_a_new_link(app, world, make_client):
    item = make_issued(app, world)
    before = link_count(app)
    clerk = make_client()
    clerk.login("clerk")
    response = clerk.post_form(form_url(item), {"with_link": "y", "reason": REASON})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "征询意见表-李华.pdf"
    text, pages = pdf_text(response.data)
    assert pages == 1
    flat = re.sub(r"\s+", "", text)
    for shown in (TITLE, item.title, f"第{item.number}号代表建议", item.meeting, "省卫生健康委员会",
                  item.doc_number, "李华", LEAD["organisation"], "满意（90分及以上）",
                  "基本满意（60–89分）", "不满意（60分以下）", "分数", "面商", "实地调研",
                  "意见和建议", "提出人签名", "只能提交一次"):
        assert shown in flat, shown
    for hidden in ("王芳", CO["phone"], LEAD["phone"], CO["organisation"], "另行发送"):
        assert hidden not in flat, hidden
    assert "http://127.0.0.1:5000/rate" in flat  # the code page, on PUBLIC_BASE_URL of the tests

    # Only the SHA-256 of the printed token is stored, on a new print link by this clerk.
    token = printed_token(text)
    assert link_count(app) == before + 1
    with app.app_context():
        link = db.session.scalars(select(RatingRequest).order_by(RatingRequest.id.desc())).first()
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (link.reply_id, link.author_id) == (item.reply_id, item.author_ids[0])
        assert link.channel == "print" and link.created_by_id == world.clerk
        assert link.minted_reason == REASON and link.revoked_at is None
        stored = db.session.execute(select(RatingRequest.__table__)).all()
        assert not any(token in repr(row) for row in stored)
        expires = link.expires_at
    assert f"{expires.year}年{expires.month}月" in flat

    # The printed link is the author's own working link.
    visitor = anonymous(make_client, token)
    page = visitor.get(f"/rate/{token}").get_data(as_text=True)
    assert "李华代表：您好" in page
    assert visitor.post_form(f"/rate/{token}", ANSWERS).status_code == 200


def test_the_unit_clerk_prints_the_paper_form_without_a_link(app, world, make_client):
    item = make_issued(app, world)
    before = link_count(app)
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.post_form(form_url(item))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    text, pages = pdf_text(response.data)
    assert pages == 1
    flat = re.sub(r"\s+", "", text)
    # Still the whole paper form: the item, this author, the questions, the signature.
    for shown in (TITLE, item.title, item.doc_number, "李华", "满意（90分及以上）",
                  "基本满意（60–89分）", "不满意（60分以下）", "面商", "意见和建议",
                  "提出人签名", "评价链接由督办单位另行发送"):
        assert shown in flat, shown
    assert "/rate/" not in flat and "http" not in flat
    assert link_count(app) == before  # no link behind the page either (nor a QR code)


def test_the_supervising_clerk_prints_it_too(app, world, make_client):
    item = make_issued(app, world)
    clerk = make_client()
    clerk.login("clerk")
    response = clerk.post_form(form_url(item, 1))
    assert response.status_code == 200
    text, _ = pdf_text(response.data)
    assert "王芳" in text and "李华" not in text


def test_others_cannot_print_it(app, world, make_client):
    item = make_issued(app, world)
    before = link_count(app)
    other_unit = make_client()
    other_unit.login("edu_clerk")
    assert other_unit.post_form(form_url(item)).status_code == 404
    drafter = make_client()  # sees the item, but printing is the clerks' job
    drafter.login("health_drafter")
    refused = drafter.post_form(form_url(item))
    assert refused.status_code == 403 and "联络员" in refused.get_data(as_text=True)
    nobody = make_client()
    nobody.fetch_token(f"/rate/{item.tokens[0]}")
    response = nobody.post_form(form_url(item))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert link_count(app) == before


def test_an_author_of_another_item_or_an_unknown_reply_is_not_found(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    other = make_issued(app, world, authors=(CO,), title="关于改善农村学校办学条件的建议")
    before = link_count(app)
    clerk = make_client()
    clerk.login("health_clerk")
    url = f"/replies/{item.reply_id}/authors/{other.author_ids[0]}/rating-form.pdf"
    assert clerk.post_form(url).status_code == 404
    assert clerk.post_form(f"/replies/999999/authors/{item.author_ids[0]}/rating-form.pdf"
                           ).status_code == 404
    assert clerk.post_form(f"/replies/{item.reply_id}/authors/999999/rating-form.pdf"
                           ).status_code == 404
    assert clerk.get(form_url(item)).status_code == 405  # printing makes a link: POST only
    assert link_count(app) == before


def test_an_author_who_answered_gets_a_message_instead(app, world, make_client):
    item = make_issued(app, world)
    visitor = anonymous(make_client, item.tokens[0])
    assert visitor.post_form(f"/rate/{item.tokens[0]}", ANSWERS).status_code == 200
    before = link_count(app)
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.post_form(form_url(item))
    assert response.status_code == 422
    assert "李华已提交评价" in response.get_data(as_text=True)
    assert link_count(app) == before


def test_no_form_once_the_reply_is_no_longer_being_rated(app, world, make_client):
    item = make_issued(app, world)
    for token in item.tokens:
        visitor = anonymous(make_client, token)
        assert visitor.post_form(f"/rate/{token}", dict(
            ANSWERS, handling="unsatisfied", handling_score="", result="unsatisfied",
            result_score="")).status_code == 200
    clerk = make_client()
    clerk.login("clerk")
    response = clerk.post_form(form_url(item))
    assert response.status_code == 422
    assert "不在征询评价阶段" in response.get_data(as_text=True)


def test_hostile_text_is_printed_as_text_and_nothing_is_fetched(app, world, make_client,
                                                                 monkeypatch):
    from tracker.letters.fetcher import LetterFetcher

    asked: list[str] = []
    original = LetterFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(LetterFetcher, "fetch", spy)
    hostile = '<img src="http://127.0.0.1:9/x"><link rel="attachment" href="file:///etc/passwd">'
    item = make_issued(app, world, authors=({"name": "李华", "organisation": hostile},))
    clerk = make_client()
    clerk.login("health_clerk")
    response = clerk.post_form(form_url(item))
    assert response.status_code == 200
    text, _ = pdf_text(response.data)
    assert '<img src="http://127.0.0.1:9/x">' in text.replace("\n", "")
    assert all(url.startswith("tracker-asset:font/") for url in asked), asked
    with pdfplumber.open(io.BytesIO(response.data)) as doc:
        assert b"/EmbeddedFile" not in response.data and not doc.annots
