"""Pages whose cost does not grow with the backlog: the to-do list, the item list, the search
page, the dashboard and the API list ask the same number of queries with 10 items as with 300,
and none of them loads a relationship lazily (one query per row) while it renders."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from tests import factories
from tests.factories import PASSWORD
from tests.support.handling import bring_to, world_rows, write_draft
from tracker.accounts.models import User
from tracker.accounts.operations import issue_token
from tracker.core.time import today
from tracker.demo_bulk import generate
from tracker.desk.queries import todo_for
from tracker.extensions import db
from tracker.handling.models import Assignment, ContactMethod, ContactStage
from tracker.handling.operations import (
    accept_assignment,
    dispatch_assignment,
    record_contact,
    request_extension,
)
from tracker.proposals.models import Proposal

# Who opens what: every kind of to-do list (unit clerk, drafter, reviewers, signer, the
# supervising clerk), the item list plain, filtered and searched, the dashboard, the API list.
PAGES = [
    ("health_clerk", "/"),
    ("health_drafter", "/"),
    ("health_first", "/"),
    ("health_final", "/"),
    ("health_signer", "/"),
    ("clerk", "/"),
    ("clerk", "/proposals"),
    ("health_clerk", "/proposals"),
    ("clerk", "/proposals?state=drafting&key=0"),
    ("clerk", "/proposals?q=建议"),
    ("clerk", "/search?q=办理"),
    ("clerk", "/supervision/"),
    ("health_clerk", "/supervision/"),
]
API_PAGES = [("clerk", "/api/v1/proposals"), ("health_clerk", "/api/v1/proposals?per_page=100")]


class LazyLoad(AssertionError):
    pass


class Counter:
    """Statements sent while a page is served; a lazy relationship load fails the page."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def _statement(self, *_args):
        self.count += 1

    def _orm(self, state):
        if state.is_select and state.lazy_loaded_from is not None:
            raise LazyLoad(f"lazy load of {state.lazy_loaded_from.class_.__name__}: "
                           f"{state.statement}")

    def measure(self, send) -> int:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(db.session, "do_orm_execute", self._orm)
        try:
            response = send()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._statement)
            event.remove(db.session, "do_orm_execute", self._orm)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return self.count


# A few rows on every to-do list before the bulk items come: each page is measured with rows.
FIRST_ROWS = ("assigned", "accepted", "drafting", "first_review", "final_review",
              "awaiting_signature", "signed")


def _first_rows(app, world) -> None:
    with app.test_request_context():
        w = world_rows(world)
        for state in FIRST_ROWS:
            bring_to(w, state)
        # A lead unit's saved draft with its co-handling unit's opinion still out: the 送审
        # guard asks which opinions are missing (a question of its own, once per page).
        lead, _co = factories.assign(factories.make_proposal(w.clerk, w.meeting), w.clerk,
                                     lead=w.health, co=[w.hr])
        accept_assignment(lead, w.health_clerk)
        dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                            drafter_id=w.health_drafter.id)
        write_draft(lead, w.health_drafter)
        db.session.commit()


def _grow(app, count: int, seed: int) -> None:
    with app.test_request_context():
        generate(count, seed=seed)
        db.session.commit()


def _items(app) -> int:
    with app.app_context():
        return db.session.query(Proposal).count()


@pytest.fixture
def clients(app, world, make_client):
    made = {}

    def client_for(username: str):
        if username not in made:
            made[username] = make_client()
            assert made[username].login(username, PASSWORD).status_code == 302
        return made[username]
    return client_for


def _counts(app, clients, tokens) -> dict:
    counter = Counter(app)
    counts = {}
    for username, path in PAGES:
        c = clients(username)
        c.get(path)  # warm: first-use caches (jieba, calendars) are not the page's cost
        counts[username, path] = counter.measure(lambda c=c, path=path: c.get(path))
    for username, path in API_PAGES:
        c = clients(username)
        headers = {"Authorization": f"Bearer {tokens[username]}"}
        c.get(path, headers=headers)
        counts[username, path] = counter.measure(
            lambda c=c, path=path, headers=headers: c.get(path, headers=headers))
    return counts


def test_pages_ask_the_same_queries_for_10_and_300_items(app, world, clients):
    with app.test_request_context():
        tokens = {name: issue_token(db.session.get(User, getattr(world, name)), "t")
                  for name in ("clerk", "health_clerk")}
        db.session.commit()
    _first_rows(app, world)
    _grow(app, 10 - len(FIRST_ROWS), seed=1)
    few = _counts(app, clients, tokens)
    _grow(app, 290, seed=2)
    assert _items(app) >= 300
    many = _counts(app, clients, tokens)
    assert many == few


DETAIL_STATES = ("assigned", "drafting", "first_review", "signed", "replied", "rated")


@pytest.mark.parametrize("username", ["clerk", "health_clerk", "health_drafter"])
def test_an_item_page_loads_nothing_lazily(app, world, clients, username):
    with app.test_request_context():
        w = world_rows(world)
        ids = [bring_to(w, state).proposal_id for state in DETAIL_STATES]
        ids.append(bring_to(w, "opinion_pending", role="co").proposal_id)
        db.session.commit()
    counter = Counter(app)
    c = clients(username)
    for proposal_id in ids:
        c.get(f"/proposals/{proposal_id}")
        counter.measure(lambda path=f"/proposals/{proposal_id}": c.get(path))


def _contacts(app, assignment_id: int, user_id: int, first: int, count: int) -> None:
    with app.test_request_context():
        assignment = db.session.get(Assignment, assignment_id)
        actor = db.session.get(User, user_id)
        for n in range(first, first + count):
            record_contact(assignment, actor, stage=ContactStage.during,
                           method=ContactMethod.phone, contacted_on=today(),
                           summary=f"电话联系代表，沟通办理进展（第{n + 1}次）。")
        db.session.commit()


def test_an_item_page_asks_the_same_queries_for_10_and_300_contacts(app, world, clients):
    with app.test_request_context():
        w = world_rows(world)
        lead = bring_to(w, "drafting")
        co = [a for a in lead.proposal.assignments if a.id != lead.id]
        ids = (lead.id, lead.proposal_id)
        db.session.commit()
    assert co == []
    counter = Counter(app)
    pages = {name: clients(name) for name in ("clerk", "health_clerk")}
    counts = []
    for first, more in ((0, 10), (10, 290)):
        _contacts(app, ids[0], world.health_clerk, first, more)
        row = {}
        for name, c in pages.items():
            c.get(f"/proposals/{ids[1]}")
            row[name] = counter.measure(lambda c=c: c.get(f"/proposals/{ids[1]}"))
        counts.append(row)
    page = pages["health_clerk"].get(f"/proposals/{ids[1]}").get_data(as_text=True)
    assert "第1次" in page and "第300次" in page
    assert counts[0] == counts[1]


def _rows_shown(client, path: str) -> list[tuple[int, str]]:
    """(item, what waits) of each row of a to-do page, as the table shows them."""
    html = client.get(path).get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [(int(item), what.strip()) for item, what in re.findall(
        r'<a href="/proposals/(\d+)">.*?</td>\s*<td>([^<]*)', body, re.S)]


@pytest.mark.parametrize("username", ["clerk", "health_clerk"])
def test_the_todo_pages_show_the_whole_list_in_order(app, world, clients, username,
                                                     monkeypatch):
    """The database orders and cuts each source of rows (items to assign or close, requests
    to return or extend, the unit's work, instructions): page after page, the to-do list shows
    the rows of the whole list in its order, each once, and counts them all."""
    _first_rows(app, world)
    with app.test_request_context():
        w = world_rows(world)
        bring_to(w, "return_requested")
        extended = bring_to(w, "accepted")
        request_extension(extended, w.health_clerk, reason="需要协调多个部门", one_month=True)
        for n in range(14):
            # deadlines out of the items' order, so that the list's order is not the ids'
            bring_to(w, "assigned").due_on -= timedelta(days=n * 7 % 11)
            factories.make_proposal(w.clerk, w.meeting)  # 待交办
        db.session.commit()
    _grow(app, 40, seed=3)
    with app.test_request_context():
        user = db.session.get(User, getattr(world, username))
        expected = [(e.proposal.id, e.what) for e in todo_for(user)]
    kinds = {what for _, what in expected}
    assert len(expected) > 21 and len(kinds) >= 3, kinds
    monkeypatch.setitem(app.config, "TODO_PAGE_SIZES", (7, 30))
    c = clients(username)
    shown = []
    for page in range(1, len(expected) // 7 + 2):
        shown += _rows_shown(c, f"/?page={page}")
    assert shown == expected
    assert f'<span class="badge text-bg-secondary ms-2">{len(expected)}</span>' in \
        c.get("/?page=2").get_data(as_text=True)


def test_the_todo_page_shows_15_rows_and_the_size_its_user_chooses(app, world, clients):
    """15 rows a page unless the user picks 30 or 50 (kept for the session); other sizes are
    refused quietly."""
    with app.test_request_context():
        w = world_rows(world)
        for _ in range(32):
            bring_to(w, "assigned")
        db.session.commit()
    c = clients("health_clerk")
    assert len(_rows_shown(c, "/")) == 15
    page = c.get("/").get_data(as_text=True)
    assert '每页 <strong>15</strong> <a href="/?per=30">30</a> <a href="/?per=50">50</a> 项' in page
    assert len(_rows_shown(c, "/?per=30")) == 30
    assert len(_rows_shown(c, "/")) == 30  # remembered
    assert len(_rows_shown(c, "/?page=2")) == 2
    assert len(_rows_shown(c, "/?per=50")) == 32
    assert len(_rows_shown(c, "/?per=1000")) == 32  # refused: the remembered size stays


def test_the_todo_page_sizes_come_from_the_environment(monkeypatch):
    from tracker.config import load
    monkeypatch.setenv("TRACKER_TODO_PAGE_SIZES", "20,40")
    assert load()["TODO_PAGE_SIZES"] == (20, 40)
