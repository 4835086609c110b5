"""Fuzzed JSON bodies and query strings: never a server error, always a documented answer."""
from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import assignment_of

# Any JSON, including NUL bytes, lone surrogates and integers too large for a column.
TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
FIELDS = ["meeting_id", "number", "title", "body", "category", "is_key", "disclosure", "kind",
          "received_on", "authors", "lead_unit_id", "co_unit_ids", "separate_unit_ids",
          "due_on", "co_due_on", "note", "reason", "reassign_unit_id", "section_id",
          "drafter_id", "stage", "method", "contacted_on", "summary", "text", "version",
          "name", "short_name", "is_supervising", "sections", "level", "region", "term",
          "session", "year", "reply_period_months", "co_period_months", "state"]
BODIES = st.dictionaries(st.sampled_from(FIELDS) | TEXT, VALUES, max_size=8)
RAW = st.binary(max_size=40) | st.sampled_from([b"[]", b"null", b"1", b'{"a": [[[[]]]]}'])
QUERY_KEYS = ["meeting", "kind", "unit", "state", "overdue", "key", "q", "page", "per_page"]
# A URL carries no lone surrogates (they cannot be percent-encoded); NUL bytes it can.
QUERIES = st.dictionaries(st.sampled_from(QUERY_KEYS),
                          st.text(max_size=30) | st.integers().map(str), max_size=5)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
EXPECTED = {200, 201, 400, 403, 404, 409, 422}


def _targets(api, tokens, world):
    item = api.register(tokens.clerk, world.meeting, number="1")
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr])
    lead, co = assignment_of(item, world.health), assignment_of(item, world.hr)
    registered = api.register(tokens.clerk, world.meeting, number="2")
    return [
        ("/proposals", tokens.clerk),
        ("/meetings", tokens.clerk),
        ("/units", tokens.admin),
        (f"/proposals/{registered['id']}/actions/assign", tokens.clerk),
        (f"/assignments/{lead['id']}/actions/accept", tokens.health_clerk),
        (f"/assignments/{lead['id']}/actions/request_return", tokens.health_clerk),
        (f"/assignments/{lead['id']}/actions/approve_return", tokens.clerk),
        (f"/assignments/{lead['id']}/actions/dispatch", tokens.health_clerk),
        (f"/assignments/{lead['id']}/actions/record_contact", tokens.health_clerk),
        (f"/assignments/{co['id']}/actions/submit_opinion", tokens.hr_clerk),
    ]


def test_fuzzed_json_bodies(api, tokens, world):
    targets = _targets(api, tokens, world)

    @FUZZ
    @given(index=st.integers(0, len(targets) - 1), body=BODIES)
    def run(index, body):
        path, token = targets[index]
        response = api.post(path, token, json=body)  # the client checks the document
        assert response.status_code in EXPECTED, (path, body, response.get_json())

    run()


def test_fuzzed_raw_bodies(api, tokens, world):
    targets = _targets(api, tokens, world)

    @FUZZ
    @given(index=st.integers(0, len(targets) - 1), data=RAW)
    def run(index, data):
        path, token = targets[index]
        response = api.post(path, token, data=data, content_type="application/json")
        assert response.status_code in EXPECTED, (path, data, response.get_json())

    run()


def test_fuzzed_list_queries(api, tokens, world):
    _targets(api, tokens, world)

    @FUZZ
    @given(query=QUERIES)
    def run(query):
        response = api.get("/proposals?" + urlencode(query), tokens.hr_clerk)
        assert response.status_code in {200, 422}, (query, response.get_json())

    run()
