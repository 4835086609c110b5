"""The API's search: GET /api/v1/proposals?q= ranks the matching items the caller may see,
each with its matching passages (escaped, matches in <mark>), and takes the new filters."""
from __future__ import annotations

import pytest

from tests.api.conftest import api, spec, tokens  # noqa: F401
from tests.search.test_search import _build


@pytest.fixture
def items(app, world):
    """tests/search/test_search.py's items (there made once for its module)."""
    with app.test_request_context():
        return _build(world)


def _found(api, token, query: str) -> list[dict]:
    return api.get("/proposals?" + query, token, expect=200).get_json()["items"]


def test_the_api_searches_with_passages(api, tokens, items):
    found = _found(api, tokens.clerk, "q=慢特病")
    assert [i["id"] for i in found] == [items.item]
    (match,) = [m for m in found[0]["matches"] if m["source"] == "reply"]
    assert match["source_label"] == "答复"
    assert "门诊<mark>慢特病</mark>费用" in match["snippet"]
    (found,) = _found(api, tokens.clerk, "q=冰雪")
    assert found["id"] == items.waiting and found["matches"] == []  # (only the title matched)
    assert _found(api, tokens.edu_clerk, "q=慢特病") == []
    assert [i["id"] for i in _found(api, tokens.clerk, "q=医保&class=A")] == [items.item]
    assert _found(api, tokens.clerk, "q=医保&rating=unsatisfied") == []
    errors = api.get("/proposals?q=医保&year=0&rating=bad", tokens.clerk,
                     expect=422).get_json()["errors"]
    assert set(errors) == {"year", "rating"}
