"""The rating code of the paper 征询意见表: printed on one line, from an alphabet without
look-alikes, typed back by hand in any case with or without spaces or hyphens; a wrong or
misread code is refused; the links made before the codes keep working."""
from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select, update

from tests.ratings.test_form_pdf import REASON, form_url, pdf_text, printed_code
from tests.ratings.test_public_rating import LEAD, make_issued, text
from tracker.extensions import db
from tracker.ratings import operations as ratings
from tracker.ratings.models import RatingRequest

LOOK_ALIKES = {"2": "Z", "Z": "2", "5": "S", "S": "5", "8": "B", "B": "8", "6": "G", "G": "6"}


def _printed(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    clerk = make_client()
    clerk.login("clerk")
    response = clerk.post_form(form_url(item), {"with_link": "y", "reason": REASON})
    assert response.status_code == 200
    return item, pdf_text(response.data)[0]


def _typed(make_client, typed: str):
    visitor = make_client()
    visitor.fetch_token("/rate")
    return visitor, visitor.post_form("/rate", {"code": typed})


def test_the_printed_code_typed_back_opens_the_rating_form(app, world, make_client):
    item, printed = _printed(app, world, make_client)
    code = printed_code(printed)
    # The whole code on one line of the page, in groups of four, no look-alike characters.
    line = next(line for line in printed.splitlines() if "评价码：" in line)
    assert code in line and re.fullmatch(r"(\w{4} ){4}\w{4}", code)
    assert not set(code) & set("0O1IL")
    # The page's address, typed by hand from the paper, is whole on a line of its own.
    page_url = app.config["PUBLIC_BASE_URL"] + "/rate"
    assert page_url in printed.splitlines()
    for typed in (code.lower(), code.replace(" ", "-"), code.replace(" ", "").lower(),
                  f"  {code.lower()} "):
        visitor, response = _typed(make_client, typed)
        assert response.status_code == 303, typed
        page = visitor.get(response.headers["Location"])
        assert page.status_code == 200 and 'name="handling"' in text(page), typed
        assert item.title in text(page)


def test_a_misread_or_wrong_code_is_refused(app, world, make_client):
    item, printed = _printed(app, world, make_client)
    code = printed_code(printed).replace(" ", "")
    at = next(i for i, c in enumerate(code) if c in LOOK_ALIKES)
    misread = code[:at] + LOOK_ALIKES[code[at]] + code[at + 1:]
    for typed in (misread, code[:-1], "ABCD EFGH JKMN PQRS TVWX", code.replace(code[0], "O", 1)):
        _, response = _typed(make_client, typed)
        page = text(response)
        assert response.status_code == 422, typed
        assert "评价链接无效" in page and item.title not in page, typed
        assert 'name="code"' in page  # typed again on the same page
    _, empty = _typed(make_client, "")
    assert empty.status_code == 422 and "请输入征询意见表上的评价码" in text(empty)


def test_the_code_page_is_public_and_named(app, world, make_client):
    page = make_client().get("/rate")
    assert page.status_code == 200
    assert "输入征询意见表上的评价码" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_links_made_before_the_codes_keep_working(app, world, make_client):
    item = make_issued(app, world, authors=(LEAD,))
    old = secrets.token_urlsafe(32)  # the 43-character tokens of the links already sent
    with app.app_context():
        db.session.execute(update(RatingRequest).where(
            RatingRequest.reply_id == item.reply_id).values(
            token_hash=hashlib.sha256(old.encode()).hexdigest()))
        db.session.commit()
    page = make_client().get(f"/rate/{old}")
    assert page.status_code == 200 and 'name="handling"' in text(page)


def test_a_new_code_is_stored_hashed_only(app, world):
    item = make_issued(app, world, authors=(LEAD,))
    code = item.tokens[0]
    assert len(code) == ratings.CODE_LENGTH and set(code) <= set(ratings.CODE_ALPHABET)
    with app.app_context():
        stored = db.session.scalar(select(RatingRequest.token_hash).where(
            RatingRequest.reply_id == item.reply_id))
    assert stored == hashlib.sha256(code.encode()).hexdigest()
