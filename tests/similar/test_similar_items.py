"""Similar items: ranked, with state, units, replies and ratings; near-duplicates of the same
meeting flagged; only what the user may see."""
from __future__ import annotations

from tests.similar.conftest import handled
from tracker.core.states import Satisfaction
from tracker.similar import queries


def test_similar_items_carry_their_handling_reply_and_rating(w):
    old = handled(w, "关于加快推进异地就医直接结算的建议", "rated", meeting=w.cppcc)
    handled(w, "关于加强城市排水防涝设施建设的提案")
    items = queries.similar_items("建议加快落实跨省就医费用直接结算", w.clerk)
    assert [i.proposal.id for i in items][:1] == [old.id]
    top = items[0]
    assert top.proposal.state.label == "已评价"
    assert [(a.unit.name, a.role.label) for a in top.assignments] == [("省卫生健康委员会", "主办")]
    (reply,) = top.replies
    assert reply.doc_number.startswith("吉卫复") and reply.rating == Satisfaction.satisfied
    assert "排水" not in " ".join(i.proposal.title for i in items)  # nothing in common


def test_a_near_duplicate_in_the_same_meeting_is_flagged(w):
    same = handled(w, "关于加强农村饮用水安全保障的建议", meeting=w.meeting)
    other = handled(w, "关于加强农村饮用水安全保障的提案", meeting=w.cppcc)
    unrelated = handled(w, "关于发展冰雪旅游的建议", meeting=w.meeting)
    items = {i.proposal.id: i for i in queries.similar_items(
        "关于保障乡村群众饮水安全的建议", w.clerk, meeting_id=w.meeting.id)}
    assert items[same.id].is_duplicate
    assert not items[other.id].is_duplicate  # as similar, but of another meeting
    assert unrelated.id not in items
    # Without a meeting (the item page) nothing is flagged; an item is not similar to itself.
    items = queries.similar_to(same, w.clerk)
    assert same.id not in [i.proposal.id for i in items]
    assert other.id in [i.proposal.id for i in items]
    assert not any(i.is_duplicate for i in items)


def test_a_different_ask_on_the_same_subject_is_not_flagged(w):
    near_miss = handled(w, "关于规范异地就医备案管理的建议", meeting=w.meeting)
    items = queries.similar_items("关于加快推进异地就医直接结算的建议", w.clerk,
                                  meeting_id=w.meeting.id)
    assert [(i.proposal.id, i.is_duplicate) for i in items] == [(near_miss.id, False)]


def test_a_unit_sees_only_the_similar_items_it_handles(w):
    ours = handled(w, "关于提高乡村医生待遇的建议", "replied")
    theirs = handled(w, "关于提高乡村教师待遇的建议", "assigned", unit="edu")
    unassigned = handled(w, "关于提高乡村医生补助的建议")
    text = "关于提高乡村医生和乡村教师待遇的建议"
    assert {i.proposal.id for i in queries.similar_items(text, w.clerk)} >= {
        ours.id, theirs.id, unassigned.id}
    assert [i.proposal.id for i in queries.similar_items(text, w.health_drafter)] == [ours.id]
    assert [i.proposal.id for i in queries.similar_items(text, w.edu_clerk)] == [theirs.id]
    assert queries.similar_items(text, w.hr_clerk) == []


def test_an_empty_or_meaningless_text_finds_nothing(w):
    handled(w, "关于发展冰雪旅游的建议")
    assert queries.similar_items("", w.clerk) == []
    assert queries.similar_items("，。 ", w.clerk) == []
