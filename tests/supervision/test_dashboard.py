"""The dashboard's figures against hand-computed ones (tests/supervision/conftest.py), the
page, its filters, who sees what, and the agreement with the item list."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from tests.supervision.helpers import html_tables, pct, rows_by_first_cell
from tests.support.supervision import EXPECTED, OVERDUE_ITEMS, STATES, TOTAL, E, H, R
from tracker.extensions import db
from tracker.supervision import stats

FIGURES = list(EXPECTED[H])


def expected_row(name: str, f: dict) -> list[str]:
    """A row of 办理情况统计表 as the page shows it."""
    return [name, *map(str, (f["received"], f["main"], f["co"], f["accepted_on_time"])),
            pct(f["accepted_on_time"], f["received"]), str(f["replied"]),
            str(f["replied_on_time"]), str(f["due"]), pct(f["replied_on_time"], f["due"]),
            str(f["overdue"]),
            str(f["contacted"]), pct(f["contacted"], f["main"]), str(f["face"]),
            pct(f["face"], f["main"]), str(f["rated"]), str(f["satisfied"]), str(f["basic"]),
            str(f["unsatisfied"]), pct(f["satisfied"] + f["basic"], f["rated"]),
            str(f["class_a"]), str(f["class_b"]), str(f["class_c"]), str(f["rehandled"]),
            str(f["co_on_time"]), str(f["urged"])]


def _figures(rows) -> dict[str, dict]:
    return {r.unit_name: {k: getattr(r, k) for k in FIGURES} for r in rows}


def test_figures_per_unit_are_the_hand_computed_ones(figures):
    with figures.app.test_request_context():
        board = stats.dashboard(stats.Scope())
        assert _figures(board.units) == EXPECTED
        # The facts kept by the operations are those a recomputation gives.
        from tracker.supervision import facts

        assert facts.mismatches() == []
        assert {k: getattr(board.total, k) for k in FIGURES} == TOTAL
        assert {s.value: n for s, n in board.states if n} == STATES
        assert board.items == 9 and board.overdue_items == OVERDUE_ITEMS
        # The rates follow from the counts: 满意 + 基本满意 over the rated ones, etc.
        health = next(u for u in board.units if u.unit_name == H)
        assert health.satisfaction_rate == 0.5 and health.accepted_rate == 0.6
        assert health.contact_rate == 0.75 and health.face_rate == 0.5
        assert health.replied_rate == 0.5


def test_the_timeline_counts_every_first_reply_once(figures):
    with figures.app.test_request_context():
        board = stats.dashboard(stats.Scope())
    weeks = board.weeks
    assert sum(w.first for w in weeks) == TOTAL["replied"] == 4
    assert sum(w.again for w in weeks) == 0
    assert weeks[-1].first_total == 4 and weeks[-1].progress == 4 / TOTAL["main"]
    # Week by week, no gaps: Mondays seven days apart; item 4 went out in an earlier week.
    assert all(w.start.weekday() == 0 for w in weeks)
    assert all((b.start - a.start).days == 7 for a, b in zip(weeks, weeks[1:]))
    assert weeks[0].first == 1 and weeks[-1].first == 3


def test_the_page_shows_the_same_numbers_as_tables(figures, login):
    client = login("clerk")
    response = client.get("/supervision/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    tables = html_tables(html)
    units = tables["tbl-units"]
    assert units["head"][0][:6] == ["承办单位", "收到件数", "主办（分办）", "会办", "按时签收",
                                    "按时签收率"]
    rows = rows_by_first_cell(units["body"])
    for name in (H, R, E):
        assert rows[name] == expected_row(name, EXPECTED[name]), name
    assert units["foot"][0] == expected_row("合计", TOTAL)
    states = rows_by_first_cell(tables["tbl-states"]["body"])
    assert {k: v[1] for k, v in states.items()} == {
        "已登记": "1", "已交办": "2", "办理中": "3", "已评价": "2", "重新办理": "1"}
    ratings = rows_by_first_cell(tables["tbl-ratings"]["body"])
    assert [ratings[k][1] for k in ("满意", "基本满意", "不满意", "已答复未测评")] == \
        ["1", "1", "1", "1"]
    classes = tables["tbl-classes"]["body"]
    assert [row[1] for row in classes] == ["2", "1", "1"]
    assert classes[0][2] == "50.0%"
    # The definitions are on the page, in Chinese.
    assert "统计口径" in html and "满意率" in html and "面商" in html


def test_the_charts_carry_the_table_numbers(figures, login):
    html = login("clerk").get("/supervision/").get_data(as_text=True)
    charts = {name: json.loads(unescape(data)) for name, data in
              re.findall(r'id="chart-(\w+)" data-chart="([^"]+)"', html)}
    assert set(charts) == {"units", "ratings", "timeline", "classes", "states"}
    units = charts["units"]
    assert units["labels"] == [H, R, E]
    by_label = {d["label"]: d["data"] for d in units["datasets"]}
    assert by_label["收到件数"] == [EXPECTED[u]["received"] for u in (H, R, E)]
    assert by_label["按时答复"] == [EXPECTED[u]["replied_on_time"] for u in (H, R, E)]
    assert by_label["超期未办"] == [EXPECTED[u]["overdue"] for u in (H, R, E)]
    assert charts["ratings"]["datasets"][0]["data"] == [1, 1, 1, 1]
    assert charts["classes"]["datasets"][0]["data"] == [2, 1, 1]
    # No inline script: the page loads the vendored library and dashboard.js from /static.
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html) is None
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/js/dashboard.js" in html


def test_a_single_unit_chart_shows_its_figures_side_by_side(figures, login):
    html = login("edu_clerk").get("/supervision/").get_data(as_text=True)
    data = re.search(r'id="chart-units" data-chart="([^"]+)"', html).group(1)
    chart = json.loads(unescape(data))
    assert chart["labels"] == ["收到件数", "按时签收", "已答复", "按时答复", "超期未办", "已联系",
                               "已面商", "重新办理"]
    assert chart["datasets"] == [{"label": E, "data": [2, 2, 1, 0, 1, 1, 0, 0]}]


def test_the_vendored_chart_library_is_served(figures, login):
    client = login("clerk")
    for path in ("/static/vendor/chartjs/chart.umd.min.js", "/static/js/dashboard.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert len(response.data) > 1000
        response.close()


@pytest.mark.parametrize("query,expected", [
    # Only the proposal (item 6): H and E as 分办 units; R has nothing of that kind.
    ("kind=proposal", {H: 1, R: 0, E: 1}),
    ("kind=suggestion", {H: 4, R: 4, E: 1}),
])
def test_filters_by_kind(figures, login, query, expected):
    html = login("clerk").get(f"/supervision/?{query}").get_data(as_text=True)
    rows = rows_by_first_cell(html_tables(html)["tbl-units"]["body"])
    assert {name: int(row[1]) for name, row in rows.items()} == expected


def test_filters_by_meeting_and_unit(figures, login):
    client = login("clerk")
    html = client.get(f"/supervision/?meeting={figures.ids.cppcc}").get_data(as_text=True)
    rows = rows_by_first_cell(html_tables(html)["tbl-units"]["body"])
    assert rows[H][1:4] == ["1", "1", "0"] and rows[H][22] == "1"  # class C
    html = client.get(f"/supervision/?unit={figures.ids.hr}").get_data(as_text=True)
    units = html_tables(html)["tbl-units"]
    assert [row[0] for row in units["body"]] == [R] and units["foot"] == []
    assert units["body"][0] == expected_row(R, EXPECTED[R])


def test_a_unit_sees_only_itself(figures, login):
    client = login("edu_clerk")
    html = client.get("/supervision/").get_data(as_text=True)
    units = html_tables(html)["tbl-units"]
    assert [row[0] for row in units["body"]] == [E]
    assert units["body"][0] == expected_row(E, EXPECTED[E])
    assert H not in html and R not in html
    # Its item counts are its own items (4, 6): as on its item list.
    states = rows_by_first_cell(html_tables(html)["tbl-states"]["body"])
    assert {k: v[1] for k, v in states.items()} == {"办理中": "1", "已评价": "1"}
    # Asking for another unit's figures: not found, on the page and in the exports.
    for path in ("/supervision/", "/supervision/export.xlsx", "/supervision/export.csv"):
        response = client.get(f"{path}?unit={figures.ids.health}")
        assert response.status_code == 404, path
        assert H not in response.get_data(as_text=True)
    # Its own unit, asked for explicitly, is fine.
    assert client.get(f"/supervision/?unit={figures.ids.edu}").status_code == 200


def test_drafters_see_their_unit_too(figures, login):
    html = login("health_drafter").get("/supervision/").get_data(as_text=True)
    assert [r[0] for r in html_tables(html)["tbl-units"]["body"]] == [H]


def test_the_supervising_office_without_the_clerk_role_is_refused(figures, login):
    response = login("admin").get("/supervision/")
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/supervision/", "/supervision/export.xlsx",
                                  "/supervision/export.csv?table=units",
                                  "/proposals/export.xlsx", "/proposals/export.csv"])
def test_anonymous_users_are_sent_to_login(figures, login, path):
    response = login(None).get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def _list_total(client, query: str) -> int:
    html = client.get(f"/proposals?{query}").get_data(as_text=True)
    match = re.search(r"共 (\d+) 件", html)
    assert match, query
    return int(match.group(1))


@pytest.mark.parametrize("user,scope", [("clerk", ""), ("clerk", "unit={health}"),
                                        ("clerk", "kind=suggestion"), ("hr_clerk", "")])
def test_item_counts_match_the_item_list(figures, login, user, scope):
    """Every state count, the total and the overdue count are what the item list shows
    with the same filters (the dashboard links there)."""
    client = login(user)
    scope = scope.format(health=figures.ids.health)
    html = client.get(f"/supervision/?{scope}").get_data(as_text=True)
    tables = html_tables(html)
    states = tables["tbl-states"]
    from tracker.handling.workflow import ProposalState

    label_to_state = {s.label: s.value for s in ProposalState}
    for row in states["body"]:
        assert _list_total(client, f"{scope}&state={label_to_state[row[0]]}") == int(row[1])
    total = int(states["foot"][0][1])
    assert _list_total(client, scope) == total
    overdue = re.search(r'data-kpi="overdue-items">(\d+)<', html).group(1)
    assert _list_total(client, f"{scope}&overdue=1") == int(overdue)
    # The unit rows link to the unit's list, whose count is the unit's 收到件数.
    if user == "clerk" and not scope:
        for unit, key in ((H, "health"), (R, "hr"), (E, "edu")):
            unit_id = getattr(figures.ids, key)
            assert _list_total(client, f"unit={unit_id}") == EXPECTED[unit]["received"]


def test_returned_assignments_are_left_out(figures):
    """Item 7 was returned by E: only R's new assignment counts."""
    from sqlalchemy import select

    from tracker.handling.models import Assignment

    with figures.app.test_request_context():
        states = dict(db.session.execute(select(Assignment.unit_id, Assignment.state).where(
            Assignment.proposal_id == figures.ids.p7)).all())
        assert states == {figures.ids.edu: "returned", figures.ids.hr: "assigned"}
        board = stats.dashboard(stats.Scope(unit_id=figures.ids.edu))
        assert board.total.received == EXPECTED[E]["received"] == 2


@pytest.mark.parametrize("user, shown", [("clerk", True), ("edu_clerk", True),
                                         ("health_drafter", True), ("admin", False)])
def test_the_menu_links_the_dashboard_for_those_who_may_see_it(figures, login, user, shown):
    html = login(user).get("/proposals").get_data(as_text=True)
    assert ('href="/supervision/"' in html and "督办统计" in html) is shown
