"""The authors' 0–100 scores: given on the public page and on the clerk's paper entry, refused
when they contradict the chosen answer, and shown with their band where ratings are shown."""
from __future__ import annotations

import re
from html import unescape

from tests.ratings.test_public_rating import ANSWERS, anonymous
from tests.ratings.test_public_rating import make_issued as make_linked
from tests.ratings.test_staff_ratings import count, make_issued, paper_form
from tracker.ratings.models import Rating


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def test_both_pages_take_a_score_and_refuse_one_that_contradicts_the_answer(
        app, world, client, make_client):
    # The clerk's paper entry: 95 with 不满意.
    item = make_issued(app, world)
    client.login("clerk")
    entry = client.get(f"/replies/{item.reply_id}/ratings/new").get_data(as_text=True)
    assert 'name="handling_score"' in entry and 'name="result_score"' in entry
    response = paper_form(client, item.reply_id, item.author_ids[0], handling="unsatisfied",
                          handling_score="95")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "95 分与“不满意”不符（不满意为 60 分以下）"
    field = page.index('name="handling_score"')
    assert field < page.index(message, field) < page.index('name="result"', field)
    assert count(app, Rating) == 0

    # The author's online page: the same rule, next to the field.
    linked = make_linked(app, world)
    token = linked.tokens[0]
    visitor = anonymous(make_client, token)
    online = visitor.get(f"/rate/{token}").get_data(as_text=True)
    assert 'name="handling_score"' in online and 'name="result_score"' in online
    response = visitor.post_form(f"/rate/{token}", dict(ANSWERS, handling="unsatisfied",
                                                        handling_score="95"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field = page.index('name="handling_score"')
    assert field < page.index(message, field) < page.index('name="result"', field)
    assert count(app, Rating) == 0


def test_the_ratings_panel_shows_each_score_with_its_band(app, world, client, make_client):
    item = make_issued(app, world)
    client.login("clerk")
    assert paper_form(client, item.reply_id, item.author_ids[0], handling="satisfied",
                      handling_score="95", result="basic", result_score="65").status_code == 302
    linked = make_linked(app, world)
    token = linked.tokens[0]
    visitor = anonymous(make_client, token)
    assert visitor.post_form(f"/rate/{token}", dict(
        ANSWERS, handling="unsatisfied", handling_score="30", result="basic",
        result_score="")).status_code == 200
    paper = _text(client.get(f"/proposals/{item.proposal_id}"))
    assert "办理工作：满意（评分 95 分，满意（90 分及以上））" in paper
    assert "办理结果：基本满意（评分 65 分，基本满意（60–89 分））" in paper
    online = _text(client.get(f"/proposals/{linked.proposal_id}"))
    assert "办理工作：不满意（评分 30 分，不满意（60 分以下））" in online
    assert re.search(r"办理结果：基本满意(?!（评分)", online)  # no score given, none shown
