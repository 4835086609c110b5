"""Full-text search: every field is found, only where the user may read it, highlighted and
escaped; the index follows edits and deletions; the rebuild gives the same index.

The world and the items are built once for the module; each test runs in a savepoint rolled
back after it (tests/support/shared.py), so the edits, deletions and rebuilds of one test are
gone before the next."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from tests import factories
from tests.support.handling import latest_id, world_rows, write_draft
from tests.support.shared import database, world  # noqa: F401 (fixtures)
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations
from tracker.handling.choices import ContactMethod, ContactStage
from tracker.handling.models import Assignment
from tracker.instructions import operations as instructions
from tracker.instructions.choices import InstructionKind
from tracker.proposals import operations as proposals
from tracker.proposals.models import Proposal
from tracker.replies import operations as replies
from tracker.search import index
from tracker.search.models import SearchDocument


def _issue(w, assignment, body):
    operations.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter, body=body)
    if any(a.role.value == "co" for a in assignment.proposal.assignments):
        replies.override_cosign(assignment, w.clerk, reason="会办单位逾期未复")
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    replies.issue_reply(assignment, w.health_clerk)


@pytest.fixture(scope="module")
def items(app, world):
    """An item of health's (hr co-handling) with a text in every searchable field, one of
    edu's, and one not yet assigned: their ids. (Built in a context of its own: a client's
    requests inside a test's context would share its g, and its signed-in user.)"""
    with app.test_request_context():
        return _build(world)


def _build(world):
    w = world_rows(world)
    item = factories.make_proposal(w.clerk, w.meeting, number="0040",
                                   title="关于推进异地就医直接结算的建议")
    item.body = "当前参保群众跨省看病报销周转难，建议扩大联网定点医药机构范围。"
    item.category = "医疗卫生"
    item.authors[0].name = "赵菁"
    item.authors[0].organisation = "白城市代表团"
    lead, co = factories.assign(item, w.clerk, lead=w.health, co=[w.hr])
    operations.accept_assignment(co, w.hr_clerk)
    operations.submit_opinion(co, w.hr_clerk, text="建议同步完善工伤保险协议机构管理。")
    operations.approve_opinion(co, w.hr_leader)
    operations.accept_assignment(lead, w.health_clerk)
    operations.record_contact(lead, w.health_clerk, stage=ContactStage.before,
                              method=ContactMethod.phone, contacted_on=today(),
                              summary="电话联系赵菁代表，了解长白山景区就医难情况。")
    instructions.record_instruction(
        item, w.clerk, kind=InstructionKind.transfer, text="请省卫生健康委牵头研究落实报销事宜。",
        given_on=today(), leader_name="吴昱", source="paper")
    _issue(w, lead, "一、基本情况\n我委会同医保部门推行门诊慢特病费用跨省直接结算。")
    other = factories.make_proposal(w.clerk, w.meeting, number="0041",
                                    title="关于加强乡村教师队伍建设的建议")
    other.body = "乡村学校教师编制紧张，医保待遇偏低。"
    factories.assign(other, w.clerk, lead=w.edu)
    waiting = factories.make_proposal(w.clerk, w.meeting, number="0042",
                                      title="关于<script>alert(1)</script>冰雪旅游的建议")
    db.session.commit()
    return SimpleNamespace(item=item.id, other=other.id, waiting=waiting.id)


def found(client, q, path="/search", **filters) -> list[str]:
    html = client.get(path, query_string={"q": q, **filters}).get_data(as_text=True)
    return re.findall(r'href="/proposals/(\d+)"', html)


def switch(client, username: str) -> None:
    """Sign the client's user out and another in."""
    client.post_form("/logout")
    assert client.login(username).status_code == 302, username


def ids(*items) -> list[str]:
    return [str(i) for i in items]


@pytest.mark.parametrize("q", [
    "0040",              # the number
    "异地就医",           # the title, four characters
    "联网定点",           # the body
    "医疗卫生",           # the category
    "赵菁",               # an author's name
    "白城市代表团",        # an author's organisation
    "慢特病",             # the issued reply
    "工伤保险协议",        # the co-handling opinion
    "长白山",             # a contact
    "报销事宜",           # an instruction
    "结",                # one character
])
def test_every_field_is_found_by_the_supervising_clerk(items, client, q):
    item = items.item
    client.login("clerk")
    assert found(client, q) == ids(item)
    assert found(client, q, "/proposals") == ids(item)


def test_words_of_a_longer_query_must_all_appear_not_the_whole_string(items, client):
    item, other = items.item, items.other
    client.login("clerk")
    assert found(client, "异地就医结算问题") == []  # 问题 appears nowhere
    assert found(client, "跨省直接结算") == ids(item)  # cut: 跨省 / 直接结算
    assert found(client, "医保") == ids(item, other) or found(client, "医保") == ids(other, item)
    assert found(client, '"就医结算"') == []  # quoted: the exact string


def test_a_unit_finds_only_what_it_may_read(items, client):
    item, other = items.item, items.other
    # With a filter the search looks within the filtered items; without, it tests every
    # matching row (tracker.search.query.matched_docs): both ways read the same rule.
    year = {"year": today().year}
    client.login("edu_clerk")
    for q in ("异地就医", "赵菁", "慢特病", "工伤保险协议", "长白山", "报销事宜", "0040"):
        assert found(client, q) == found(client, q, **year) == [], q
    assert found(client, "乡村教师") == found(client, "乡村教师", **year) == ids(other)
    assert found(client, "医保") == ids(other)  # health's reply says 医保 too: not edu's
    assert found(client, "医保", **year) == ids(other)
    switch(client, "hr_clerk")  # co-handling: the item, the lead's reply, its own opinion
    for q in ("异地就医", "慢特病", "工伤保险协议", "长白山"):
        assert found(client, q) == found(client, q, **year) == ids(item), q
    assert found(client, "乡村教师") == found(client, "乡村教师", **year) == []


def test_a_pending_opinion_is_read_only_by_its_own_unit(app, world, client):
    with app.test_request_context():
        w = world_rows(world)
        proposal = factories.make_proposal(w.clerk, w.meeting, title="关于加强职业病防治的建议")
        lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
        operations.accept_assignment(co, w.hr_clerk)
        operations.submit_opinion(co, w.hr_clerk, text="尘肺病患者工伤认定另行研究。")
        db.session.commit()
        item, co_id = proposal.id, co.id
    client.login("hr_clerk")
    for username, expected in (("hr_clerk", ids(item)), ("clerk", ids(item)),
                               ("health_clerk", [])):  # the lead reads it once approved
        if username != "hr_clerk":
            switch(client, username)
        assert found(client, "尘肺病") == expected, username
    with app.test_request_context():
        w = world_rows(world)
        operations.approve_opinion(db.session.get(Assignment, co_id), w.hr_leader)
        db.session.commit()
    assert found(client, "尘肺病") == ids(item)


def test_matches_are_highlighted_and_everything_else_escaped(items, client):
    client.login("clerk")
    html = client.get("/search", query_string={"q": "冰雪"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "关于&lt;script&gt;alert(1)&lt;/script&gt;<mark>冰雪</mark>旅游的建议" in html
    html = client.get("/search", query_string={"q": "赵菁 <b>"}).get_data(as_text=True)
    assert "<b>" not in html and "“赵菁 &lt;b&gt;”" in html  # the query itself, escaped
    html = client.get("/search", query_string={"q": "慢特病"}).get_data(as_text=True)
    assert "门诊<mark>慢特病</mark>费用" in html
    assert "省卫生健康委员会答复" in html  # the passage says where it comes from


def test_the_index_follows_edits_and_deletions(app, world, items, client):
    item, waiting = items.item, items.waiting
    with app.test_request_context():
        w, row = world_rows(world), db.session.get(Proposal, item)
        proposals.update_proposal(
            w.clerk, row, authors=[{"name": "钱多多", "organisation": "松原市代表团"}],
            number=row.number, title="关于完善跨省异地就医备案的建议", body=row.body,
            category=row.category, is_key=row.is_key, disclosure=row.disclosure,
            received_on=row.received_on)
        db.session.commit()
    client.login("clerk")
    assert found(client, "直接结算") == ids(item)  # still in the issued reply
    assert found(client, "备案") == ids(item)
    assert found(client, "赵菁") == ids(item)  # still in the contact's summary
    assert found(client, "白城市代表团") == []
    assert found(client, "钱多多") == ids(item)
    with app.test_request_context():
        db.session.delete(db.session.get(Proposal, waiting))
        db.session.commit()
    assert found(client, "冰雪") == []
    with app.test_request_context():
        assert db.session.scalar(select(SearchDocument.id).where(
            SearchDocument.proposal_id == waiting)) is None


def _index_rows() -> list[tuple]:
    rows = db.session.execute(select(
        SearchDocument.proposal_id, SearchDocument.source, SearchDocument.source_id,
        SearchDocument.scope, SearchDocument.unit_id, SearchDocument.label,
        SearchDocument.body, SearchDocument.uni, SearchDocument.bi, SearchDocument.words,
        SearchDocument.tsv)).all()
    return sorted(tuple(str(v) for v in row) for row in rows)


def _fts_terms() -> list[tuple]:
    """What the database's own full-text index holds (the terms and their rows)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
            "USING fts5vocab(main, search_fts, instance)"))
        return sorted(db.session.execute(text(
            "SELECT v.term, v.col, v.offset, d.proposal_id, d.source, d.source_id "
            "FROM temp.search_vocab v JOIN search_documents d ON d.id = v.doc")).all())
    return sorted(db.session.execute(text(
        "SELECT proposal_id, source, source_id, tsv::text FROM search_documents")).all())


def test_the_rebuild_matches_the_incremental_index(app, items, client):
    item = items.item
    with app.test_request_context():
        before, terms_before = _index_rows(), _fts_terms()
        assert len(before) >= 9
        figures = index.rebuild()
        db.session.commit()
        assert figures["items"] == 3
        assert _index_rows() == before
        assert _fts_terms() == terms_before
    client.login("clerk")
    assert found(client, "慢特病") == ids(item)


def test_filters_narrow_a_search(app, world, items, client):
    item, other = items.item, items.other
    client.login("clerk")
    assert found(client, "医保") != []
    assert found(client, "医保&class=A") == []  # (a literal part of the query text)
    html = client.get("/search", query_string={"q": "医保", "class": "A"}).get_data(True)
    assert re.findall(r'href="/proposals/(\d+)"', html) == ids(item)
    html = client.get("/search", query_string={"q": "医保", "unit": world.edu}).get_data(True)
    assert re.findall(r'href="/proposals/(\d+)"', html) == ids(other)
    with app.test_request_context():
        year = world_rows(world).meeting.year
    html = client.get("/search", query_string={"q": "医保", "year": year + 1}).get_data(True)
    assert re.findall(r'href="/proposals/(\d+)"', html) == []


def test_the_ledger_export_follows_the_search(items, client):
    client.login("clerk")
    csv = client.get("/proposals/export.csv", query_string={"q": "赵菁"}).get_data(True)
    assert "关于推进异地就医直接结算的建议" in csv
    assert "乡村教师" not in csv



def test_a_joined_item_is_found_by_its_lead_units_only(app, world, items, client):
    """A 并案 member has no assignment of its own while joined: the lead's units find it."""
    from tracker.merging import operations as merging

    with app.test_request_context():
        w = world_rows(world)
        member = factories.make_proposal(w.clerk, w.meeting, number="0043",
                                         title="关于跨省就医结算备案简化的建议")
        member.authors[0].name = "欧阳娜"
        merging.join_items(db.session.get(Proposal, items.other), [member], w.clerk)
        db.session.commit()
        member_id = member.id
    client.login("edu_clerk")  # handles the lead
    assert found(client, "欧阳娜") == ids(member_id)
    switch(client, "hr_clerk")
    assert found(client, "欧阳娜") == []
    with app.test_request_context():
        w = world_rows(world)
        merging.split_item(db.session.get(Proposal, member_id), w.clerk)
        db.session.commit()
    switch(client, "edu_clerk")
    assert found(client, "欧阳娜") == []  # split off: nobody handles it any more
    switch(client, "clerk")
    assert found(client, "欧阳娜") == ids(member_id)


def test_the_rebuild_command_restores_a_lost_index(app, items, client):
    """`flask search rebuild` after the index was emptied: the search finds again."""
    with app.test_request_context():
        db.session.execute(text("DELETE FROM search_documents"))
        db.session.commit()
    client.login("clerk")
    assert found(client, "慢特病") == []
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "已重建：3 件建议提案" in result.output
    assert found(client, "慢特病") == ids(items.item)
