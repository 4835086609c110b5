"""What the index and the past replies hold of a 并案 group's issued letters; joining ends
when the lead's draft is begun."""
from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.merging.test_groups import _drafting, _group, _sign
from tests.support.handling import write_draft
from tracker.extensions import db
from tracker.replies import letter, templates
from tracker.search.query import hits, matched_docs
from tracker.search.text import parse_query


def _found(user, q):
    docs = matched_docs(user, parse_query(q))
    return sorted(set(db.session.scalars(select(docs.c.proposal_id))))


def test_the_index_holds_the_letters_as_issued_not_the_placeholders(w):
    lead, same, other = _group(w)
    assignment = _drafting(w, lead)
    write_draft(assignment, w.health_drafter)
    steps = templates.create_template(
        w.health, w.health_clerk, kind="next_steps", name="并案下一步",
        text="下一步，我们将继续听取{代表姓名}对鹿茸产业的意见。")
    templates.apply_template(assignment, steps, w.health_drafter)
    _sign(w, assignment)
    letter.issue_with_letter(assignment, w.health_clerk, release_locks=False)
    db.session.commit()

    # The member's letter says 继续听取王芳等对鹿茸产业的意见: its reply row should hold that.
    found = hits(w.clerk, "鹿茸", [same.id])
    snippets = [str(h.snippet) for h in found(same.id) if h.source == "reply"]
    assert snippets, found.by_item
    assert "{代表姓名}" not in snippets[0], snippets[0]
    assert _found(w.clerk, "代表姓名") == []   # in no letter at all


def test_an_item_whose_draft_is_begun_takes_no_members(w):
    """The lead's draft was written to its own authors (a template filled in their names and
    the title): joining an item afterwards is refused, nothing joined."""
    import pytest

    from tracker.core.errors import InvalidTransition
    from tracker.merging import operations as merging

    lead = factories.make_proposal(w.clerk, w.meeting, number="212",
                                   title="关于发展梅花鹿产业的建议", authors=[{"name": "李华"}])
    same = factories.make_proposal(w.clerk, w.meeting, number="0040",
                                   title="关于扶持鹿茸加工的建议", authors=[{"name": "王芳"}])
    assignment = _drafting(w, lead)
    write_draft(assignment, w.health_drafter)
    steps = templates.create_template(
        w.health, w.health_clerk, kind="next_steps", name="下一步",
        text="下一步，我们将就{建议标题}继续听取{代表姓名}代表的意见。")
    draft = templates.apply_template(assignment, steps, w.health_drafter)
    assert draft.body.endswith("就关于发展梅花鹿产业的建议继续听取李华代表的意见。")
    with pytest.raises(InvalidTransition, match="请在撰写答复前并案"):
        merging.join_items(lead, [same], w.clerk)
    db.session.refresh(same)
    assert same.merged_into_id is None and lead.members == []
