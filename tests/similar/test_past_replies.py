"""Past replies beside the draft editor: this unit's issued replies on the same subject, with
their paragraphs and ratings, for this unit only."""
from __future__ import annotations

from tests import factories
from tests.similar.conftest import handled
from tracker.core.states import Satisfaction
from tracker.similar import queries


def test_past_replies_of_the_unit_on_the_same_subject(w):
    old = handled(w, "关于提高乡村医生待遇的建议", "rated", meeting=w.cppcc,
                  reply="一、基本情况\n我委高度重视乡村医生队伍建设。\n二、下一步工作\n继续提高补助标准。",
                  verdict="basic")
    handled(w, "关于发展冰雪旅游的建议", "replied")  # same unit, another subject
    new = handled(w, "关于解决乡村医生养老保障问题的建议", "assigned")
    (assignment,) = new.assignments
    (row,) = queries.past_replies(assignment, w.health_drafter)
    assert row.proposal.id == old.id
    assert row.reply.rating == Satisfaction.basic
    assert row.paragraphs == ["一、基本情况", "我委高度重视乡村医生队伍建设。", "二、下一步工作",
                              "继续提高补助标准。"]


def test_another_units_replies_are_not_offered(w):
    handled(w, "关于提高乡村医生待遇的建议", "replied")
    new = factories.make_proposal(w.clerk, w.meeting, title="关于提高乡村医生待遇的提案")
    (edu_assignment,) = factories.assign(new, w.clerk, lead=w.edu)
    assert queries.past_replies(edu_assignment, w.edu_drafter) == []
    # Nor does another unit's user get health's past replies for health's assignment.
    (health_assignment,) = factories.assign(
        factories.make_proposal(w.clerk, w.meeting, title="关于保障乡村医生待遇的建议"),
        w.clerk, lead=w.health)
    assert queries.past_replies(health_assignment, w.edu_clerk) == []
    assert len(queries.past_replies(health_assignment, w.health_drafter)) == 1
