"""The pages: the registration panel's endpoint (HTML and JSON), the item page's section,
the draft editor's past replies with their 插入 buttons."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import func, select

from tests.similar.conftest import handled
from tracker.extensions import db
from tracker.proposals.models import Proposal


def _query(**args) -> str:
    return "/similar/items?" + urlencode(args)


def test_the_endpoint_answers_html_and_json(client, w):
    old = handled(w, "关于加快推进异地就医直接结算的建议", "rated", meeting=w.cppcc)
    same = handled(w, "关于加快推进跨省异地就医费用直接结算的建议", meeting=w.meeting)
    db.session.commit()
    assert client.get(_query(title="异地就医")).status_code == 302  # to the login page
    client.login("clerk")
    html = client.get(_query(title="建议加快落实跨省就医费用直接结算", meeting=w.meeting.id))
    assert html.status_code == 200 and html.mimetype == "text/html"
    page = html.get_data(as_text=True)
    assert "关于加快推进异地就医直接结算的建议" in page and "已评价" in page and "满意" in page
    assert f"可能与第{same.number}号重复，或可并案" in page
    assert f"/assignments/{old.assignments[0].id}/letter.pdf?round=1" in page
    data = client.get(_query(title="建议加快落实跨省就医费用直接结算", meeting=w.meeting.id,
                             format="json")).get_json()
    by_id = {item["id"]: item for item in data["items"]}
    assert by_id[same.id]["duplicate"] and not by_id[old.id]["duplicate"]
    assert by_id[old.id]["units"] == [{"unit": "省卫生健康委员会", "role": "主办", "state": "已评价"}]
    (reply,) = by_id[old.id]["replies"]
    assert reply["rating"] == "satisfied" and reply["doc_number"].startswith("吉卫复")
    assert by_id[old.id]["state_label"] == "已评价" and by_id[old.id]["year"] == w.cppcc.year
    # Nothing typed: nothing found.
    assert client.get(_query(title="")).get_data(as_text=True).count("similar-item") == 0


def test_a_unit_gets_only_its_own_items(client, w):
    handled(w, "关于加快推进异地就医直接结算的建议", "replied")
    db.session.commit()
    client.login("edu_clerk")
    assert client.get(_query(title="异地就医", format="json")).get_json() == {"items": []}


def test_the_registration_page_has_the_panel(client, w):
    client.login("clerk")
    page = client.get("/proposals/new").get_data(as_text=True)
    assert 'data-similar-url="/similar/items"' in page and "js/similar.js" in page


def _item_page_section(client, w, username):
    mine = handled(w, "关于提高乡村医生待遇的建议", "replied")
    other = handled(w, "关于提高乡村医生补助标准的建议", "assigned", unit="edu")
    again = handled(w, "关于提高乡村医生待遇的提案", "assigned", meeting=w.cppcc)
    db.session.commit()
    client.login(username)
    page = client.get(f"/proposals/{again.id}").get_data(as_text=True)
    return mine, other, page[page.index("相似建议提案"):]


def test_the_item_page_lists_similar_items(client, w):
    mine, other, section = _item_page_section(client, w, "clerk")
    assert mine.title in section and other.title in section
    assert section.index(mine.title) < section.index(other.title)


def test_the_item_page_lists_only_visible_similar_items(client, w):
    mine, other, section = _item_page_section(client, w, "health_clerk")
    assert mine.title in section and other.title not in section


def test_the_draft_editor_offers_past_paragraphs(client, w):
    handled(w, "关于提高乡村医生待遇的建议", "rated", meeting=w.cppcc,
            reply="一、基本情况\n我委高度重视乡村医生队伍建设。")
    new = handled(w, "关于解决乡村医生养老保障问题的建议", "assigned")
    (assignment,) = new.assignments
    from tracker.handling import operations
    operations.accept_assignment(assignment, w.health_clerk)
    operations.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    db.session.commit()
    client.login("health_drafter")
    page = client.get(f"/assignments/{assignment.id}/actions/save_draft").get_data(as_text=True)
    panel = page[page.index("本单位以往答复"):]
    assert "关于提高乡村医生待遇的建议" in panel and "满意" in panel
    assert panel.count('data-insert-into="body"') == 2
    assert '<span class="past-paragraph">我委高度重视乡村医生队伍建设。</span>' in panel


def _panel_queries(client, title: str) -> int:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    client.get(_query(title="乡村医生"))  # the user and the session loaded again first
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        page = client.get(_query(title=title)).get_data(as_text=True)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return len(statements), page.count('class="small similar-reply"')


def test_the_panel_costs_the_same_queries_for_one_reply_or_three(client, w):
    handled(w, "关于提高乡村医生待遇的建议", "rated")
    db.session.commit()
    client.login("clerk")
    one = _panel_queries(client, "关于提高乡村医生待遇的建议")
    handled(w, "关于提高乡村医生补助标准的建议", "rated")
    handled(w, "关于提高乡村医生养老待遇的提案", "replied", meeting=w.cppcc)
    db.session.commit()
    three = _panel_queries(client, "关于提高乡村医生待遇的建议")
    assert (one[1], three[1]) == (1, 3)
    assert three[0] == one[0]


class _IndexQueries:
    """The statements that ask the full-text index, while in the with block."""

    def __enter__(self):
        from sqlalchemy import event

        self.statements = []
        self.engine = db.session.get_bind().engine
        event.listen(self.engine, "before_cursor_execute", self.count)
        return self.statements

    def count(self, _conn, _cursor, statement, *_args):
        if "search_documents" in statement or "search_fts" in statement:
            self.statements.append(statement)

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self.count)


def _stored(proposal_id: int) -> dict[int, float]:
    from sqlalchemy import select

    from tracker.similar.models import SimilarLink
    return dict(db.session.execute(select(SimilarLink.other_id, SimilarLink.score).where(
        SimilarLink.proposal_id == proposal_id)).all())


def test_the_item_page_ranks_an_unstored_list_itself_and_never_writes(app, client, w):
    """An item without a stored list: its page ranks the list for itself, writes nothing
    (a GET never changes the database) and queues the job that stores it; the job stores it
    both ways; a later view, by another user, asks the index nothing and still decides who
    sees what afresh: the unit's view left out another unit's item, the supervising clerk's
    has it."""
    from tests.support.jobs import queued, run_jobs
    from tracker.similar import queries

    mine, other, section = _item_page_section(client, w, "health_clerk")
    assert mine.title in section and other.title not in section
    item = db.session.get(Proposal, _item_id(w))
    assert _stored(item.id) == {}
    assert ("tracker.similar.jobs.refresh_lists", ([item.id],)) in queued(upkeep=True)
    run_jobs(app)
    assert set(_stored(item.id)) == {mine.id, other.id}
    assert item.id in _stored(mine.id) and item.id in _stored(other.id)  # the other way
    with _IndexQueries() as asked:
        found = [s.proposal.title for s in queries.similar_to(item, w.clerk)]
    assert mine.title in found and other.title in found
    assert asked == []


def test_an_item_registered_later_joins_the_stored_lists(app, client, w):
    """An item registered after a list was stored is ranked by its own job, which puts it in
    the older item's list: that item's page lists it without asking the index; its own page
    lists the older one."""
    from tests.support.jobs import run_jobs
    from tracker.similar import queries

    mine, _other, _section = _item_page_section(client, w, "clerk")
    run_jobs(app)
    item = db.session.get(Proposal, _item_id(w))
    later = handled(w, "关于提高乡村医生待遇保障水平的建议", "assigned")
    unrelated = handled(w, "关于加快城市轨道交通建设的建议", "assigned")
    db.session.commit()
    run_jobs(app)
    with _IndexQueries() as asked:
        found = [s.proposal.title for s in queries.similar_to(item, w.clerk)]
    assert asked == []
    assert later.title in found and unrelated.title not in found
    assert mine.title in found
    back = [s.proposal.title for s in queries.similar_to(later, w.clerk)]
    assert item.title in back and mine.title in back


def test_a_changed_title_ranks_the_list_again(app, client, w):
    """Editing the item's title ranks its list again from the index, and its old scores in
    the other items' lists go: the page shows what the new title is like."""
    from tests.support.jobs import run_jobs
    from tracker.similar import queries

    mine, _other, _section = _item_page_section(client, w, "clerk")
    roads = handled(w, "关于加快城市轨道交通建设的建议", "assigned")
    db.session.commit()
    run_jobs(app)
    item = db.session.get(Proposal, _item_id(w))
    assert roads.title not in [s.proposal.title for s in queries.similar_to(item, w.clerk)]
    item.title = "关于加快城市轨道交通线网建设的提案"
    db.session.commit()
    with _IndexQueries() as asked:  # before its job: ranked for the page
        found = [s.proposal.title for s in queries.similar_to(item, w.clerk)]
    assert asked != []
    assert found[0] == roads.title and mine.title not in found
    run_jobs(app)
    assert item.id not in _stored(mine.id) and item.id in _stored(roads.id)
    with _IndexQueries() as asked:
        assert [s.proposal.title for s in queries.similar_to(item, w.clerk)][0] == roads.title
    assert asked == []


def _item_id(w) -> int:
    from sqlalchemy import select

    return db.session.scalar(select(Proposal.id).where(Proposal.title == "关于提高乡村医生待遇的提案"))


def test_the_job_stores_the_list_for_the_next_request(live_app):
    """On a database where requests really commit: the item page stores nothing, its job
    does, and the next request reads what the job stored."""
    from tests import factories
    from tests.support.jobs import run_jobs
    from tracker.similar.models import SimilarLink, SimilarList

    with live_app.test_request_context():
        world = factories.build_world()
        first = factories.make_proposal(world["clerk"], world["meeting"],
                                        title="关于提高乡村医生待遇的建议")
        second = factories.make_proposal(world["clerk"], world["meeting"],
                                         title="关于提高乡村医生补助标准的建议")
        db.session.commit()
        first_id, second_id = first.id, second.id
        db.session.remove()
    client = live_app.test_client()
    client.login("clerk")

    def section() -> str:
        page = client.get(f"/proposals/{first_id}").get_data(as_text=True)
        return page[page.index("相似建议提案"):]

    assert "关于提高乡村医生补助标准的建议" in section()
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SimilarList)) == 0
        db.session.remove()
    run_jobs(live_app)  # the registrations' and the page's jobs
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SimilarList)) == 2
        assert db.session.execute(select(SimilarLink.proposal_id, SimilarLink.other_id)
                                  .order_by(SimilarLink.proposal_id)).all() == [
            (first_id, second_id), (second_id, first_id)]
        db.session.remove()
    assert "关于提高乡村医生补助标准的建议" in section()
