"""Search edge cases: the item numbered as typed, odd query input (FTS5 and tsquery syntax,
escapes, long and empty text), pages beyond the end, quoted phrases.

The tests only search: the world, the items and the API tokens are built once for the module,
and each test runs in a savepoint rolled back after it (tests/support/shared.py)."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests import factories
from tests.api.conftest import api, fetch_spec, issue_tokens  # noqa: F401 (fixture: api)
from tests.search.test_search import _build
from tests.support.base import Client
from tests.support.shared import database, world  # noqa: F401 (fixtures)
from tracker.extensions import db
from tracker.search.query import CAP


@pytest.fixture(scope="module")
def items(app, world):
    """tests/search/test_search.py's items, made once for the module."""
    with app.test_request_context():
        return _build(world)


@pytest.fixture(scope="module")
def tokens(app, world):
    return issue_tokens(app, world)


@pytest.fixture(scope="module")
def spec(app, module_database) -> dict:
    """The OpenAPI document (the same for every test)."""
    app.test_client_class = Client
    return fetch_spec(app.test_client())


def found(client, q, path="/search", **args) -> list[str]:
    response = client.get(path, query_string={"q": q, **args})
    assert response.status_code == 200, (q, response.status_code)
    return re.findall(r'href="/proposals/(\d+)"', response.get_data(as_text=True))


def test_the_item_numbered_as_typed_is_found_when_many_newer_texts_hold_the_number(
        app, world, client):
    """The exact number is put first only among the CAP most recent matching rows: an older
    item whose number is the query disappears once more than CAP newer rows hold a word
    starting with it (dates like 12月, 120急救 ...)."""
    from tests.support.handling import world_rows
    with app.test_request_context():
        w = world_rows(world)
        target = factories.make_proposal(w.clerk, w.meeting, number="12",
                                         title="关于加强黑土地保护的建议")
        for i in range(CAP + 1):
            p = factories.make_proposal(w.clerk, w.meeting, number=str(5000 + i),
                                        title=f"关于完善养老服务体系的建议{i}")
            p.body = "截至去年12月，全省养老机构床位仍然不足。"
        db.session.commit()
        target_id = target.id
    client.login("clerk")
    ids = found(client, "12")
    assert ids and ids[0] == str(target_id)


ODD = ['"', '""', '"异地', '异地"', '*', '医*', '(', '医)', 'NEAR(医 保)', 'or', 'OR', 'AND',
       'NOT', '-医保', '医:保', 'uni:医', '^医', '\\', '\\\\', "'", "''", "a'b", '&', '|', '!',
       '<->', ':*', "医 & 保 | !药 <-> x:*", '<script>', '&amp;', '%', '_', '%医%',
       'ＡＢＣ', '０４０', '😀', '😀医保', '！？。，', '   ', '\u3000', '医\u3000保',
       '\ufeff', '\u200b', 'zz', '丨', '〇', '医' * 100, 'a' * 100, '0' * 100,
       'ab' * 60, '医 ' * 50, 'x\u0301', 'İ', 'ß', 'ﬁ', '①', '㈱', '\U00020000',
       '"就医结算', '"就医" "结算"', '“赵菁”', '「赵菁', "'); DROP TABLE proposals;--",
       'NULL', 'select', 'null:*', '0040"', '0040*']


@pytest.mark.parametrize("q", ODD)
def test_odd_queries_give_a_page(items, client, q):
    client.login("clerk")
    for path in ("/search", "/proposals"):
        response = client.get(path, query_string={"q": q})
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        assert "<script>" not in html
    response = client.get("/proposals/export.csv", query_string={"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize("q", ODD)
def test_odd_queries_through_the_api(api, tokens, items, q):
    response = api.get("/proposals?q=" + quote(q), tokens.clerk)
    assert response.status_code in (200, 422), response.status_code


def test_pages_beyond_the_end(items, client, api, tokens):
    client.login("clerk")
    for path in ("/search", "/proposals"):
        for page in ("999", "0", "-1", "abc", "99999999999999999999"):
            r = client.get(path, query_string={"q": "医保", "page": page})
            assert r.status_code in (200, 404), (path, page, r.status_code)
    body = api.get("/proposals?q=医保&page=999", tokens.clerk, expect=200).get_json()
    assert body["items"] == [] and body["total"] == 2
    body = api.get("/proposals?q=医保&per_page=1", tokens.clerk, expect=200).get_json()
    assert len(body["items"]) == 1 and body["pages"] == 2 and body["total"] == 2
    body = api.get("/proposals?q=医保&per_page=1&page=2", tokens.clerk, expect=200).get_json()
    assert len(body["items"]) == 1


def test_quoted_phrase_needs_the_exact_string(items, client):
    client.login("clerk")
    assert found(client, '"异地就医直接结算"') == [str(items.item)]
    assert found(client, '"直接结算异地就医"') == []
