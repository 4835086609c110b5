"""A unit's token sees only the items assigned to its unit, and only the opinions it may read."""
from __future__ import annotations

from tests.support.api import assignment_of


def _numbers(response) -> list[str]:
    return sorted(p["number"] for p in response.get_json()["items"])


def _world_of_items(api, tokens, world) -> dict:
    """Four items: health only, hr only, health lead + hr co, unassigned."""
    ids = {}
    for number, lead, co in (("1", world.health, []), ("2", world.hr, []),
                             ("3", world.health, [world.hr]), ("4", None, [])):
        item = api.register(tokens.clerk, world.meeting, number=number)
        if lead:
            item = api.assign(tokens.clerk, item["id"], lead=lead, co=co)
        ids[number] = item
    return ids


def test_hr_lists_only_items_assigned_to_hr(api, tokens, world):
    items = _world_of_items(api, tokens, world)
    response = api.get("/proposals", tokens.hr_clerk, expect=200)
    assert _numbers(response) == ["2", "3"]
    assert response.get_json()["total"] == 2
    assert _numbers(api.get("/proposals", tokens.hr_drafter, expect=200)) == ["2", "3"]
    assert _numbers(api.get("/proposals", tokens.health_clerk, expect=200)) == ["1", "3"]
    assert _numbers(api.get("/proposals", tokens.edu_clerk, expect=200)) == []
    assert _numbers(api.get("/proposals", tokens.clerk, expect=200)) == ["1", "2", "3", "4"]
    # Filtering by another unit does not widen what hr sees.
    assert _numbers(api.get(f"/proposals?unit={world.health}", tokens.hr_clerk)) == ["3"]
    api.get(f"/proposals/{items['1']['id']}", tokens.hr_clerk, expect=404)
    api.get(f"/proposals/{items['4']['id']}", tokens.hr_clerk, expect=404)
    api.get(f"/proposals/{items['2']['id']}", tokens.hr_clerk, expect=200)


def test_list_filters_and_paging(api, tokens, world):
    _world_of_items(api, tokens, world)
    api.register(tokens.clerk, world.cppcc, number="9", title="关于发展乡村旅游的提案",
                 is_key=False)
    get = lambda query: _numbers(api.get("/proposals?" + query, tokens.clerk, expect=200))  # noqa
    assert get(f"meeting={world.cppcc}") == ["9"]
    assert get("kind=proposal") == ["9"]
    assert get("state=registered") == ["4", "9"]
    assert get("key=true") == ["1", "2", "3", "4"]
    assert get("key=true&kind=suggestion&state=assigned") == ["1", "2", "3"]
    assert get("q=乡村旅游") == ["9"]
    assert get("q=3") == ["3"]
    assert get("overdue=true") == []
    first = api.get("/proposals?per_page=2&page=1", tokens.clerk, expect=200).get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (5, 3, 2)
    last = api.get("/proposals?per_page=2&page=3", tokens.clerk, expect=200).get_json()
    assert len(last["items"]) == 1
    beyond = api.get("/proposals?per_page=2&page=9", tokens.clerk, expect=200).get_json()
    assert beyond["items"] == []


def test_bad_filters_are_422(api, tokens, world):
    response = api.get("/proposals?per_page=101&page=0&kind=x&state=finished&overdue=maybe"
                       "&meeting=abc", tokens.clerk, expect=422)
    errors = response.get_json()["errors"]
    assert set(errors) == {"per_page", "page", "kind", "state", "overdue", "meeting"}
    assert errors["per_page"] == ["应为 1 到 100 之间的整数。"]
    api.get("/proposals?q=" + "长" * 101, tokens.clerk, expect=422)
    api.get("/proposals?meeting=99999999999999", tokens.clerk, expect=422)
    # Given but empty is not the same as not given.
    errors = api.get("/proposals?page=&state=&key=&meeting=", tokens.clerk,
                     expect=422).get_json()["errors"]
    assert set(errors) == {"page", "state", "key", "meeting"}
    api.get("/proposals?key=1", tokens.clerk, expect=422)


def test_opinions_are_shown_to_the_lead_and_their_author_only(api, tokens, world):
    item = api.register(tokens.clerk, world.meeting)
    item = api.assign(tokens.clerk, item["id"], lead=world.health, co=[world.hr, world.edu])
    hr = assignment_of(item, world.hr)
    api.act("assignments", hr["id"], "accept", tokens.hr_clerk)
    api.act("assignments", hr["id"], "submit_opinion", tokens.hr_clerk,
            {"text": "人社厅的会办意见"})
    path = f"/proposals/{item['id']}"
    # Waiting for hr's leader: hr reads it, the lead unit and the office do not yet.
    for token, shown in ((tokens.hr_clerk, True), (tokens.hr_leader, True),
                         (tokens.health_clerk, False), (tokens.clerk, False)):
        seen = api.get(path, token, expect=200).get_json()
        assert ("人社厅的会办意见" in str(seen)) is shown
    api.act("assignments", hr["id"], "approve_opinion", tokens.hr_leader)
    for token in (tokens.clerk, tokens.health_clerk, tokens.hr_clerk):
        seen = api.get(path, token, expect=200).get_json()
        assert [o["text"] for o in seen["opinions"]] == ["人社厅的会办意见"]
        [event] = [e for e in seen["timeline"] if e["action"] == "submit_opinion"]
        assert event["details"]["text"] == "人社厅的会办意见"
    # edu is another co-handling unit: it sees the item, not hr's opinion.
    seen = api.get(path, tokens.edu_clerk, expect=200).get_json()
    assert seen["opinions"] == []
    [event] = [e for e in seen["timeline"] if e["action"] == "submit_opinion"]
    assert "text" not in event["details"]
    assert "人社厅的会办意见" not in str(seen)
