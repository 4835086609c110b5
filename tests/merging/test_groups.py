"""并案: a group handled once under its lead, answered with a letter, number and rating each."""
from __future__ import annotations

import io
from datetime import timedelta

import pdfplumber
import pytest
from sqlalchemy import select

from tests import factories
from tests.support.handling import latest_id, rate_all, write_draft
from tracker.audit.models import AuditEvent
from tracker.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.handling.permissions import can_view_proposal, visible_proposals
from tracker.merging import operations as merging
from tracker.proposals.models import Proposal
from tracker.replies import letter
from tracker.replies import operations as replies
from tracker.replies.models import Reply
from tracker.supervision import stats


def _text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "\n".join(page.extract_text() or "" for page in doc.pages)


def _group(w):
    """A lead suggestion, a second suggestion of the same meeting and a CPPCC proposal."""
    lead = factories.make_proposal(w.clerk, w.meeting, number="212",
                                   authors=[{"name": "李华"}])
    same = factories.make_proposal(w.clerk, w.meeting, number="0040",
                                   title="关于充实乡镇卫生院医务人员的建议",
                                   authors=[{"name": "王芳"}, {"name": "张强"}])
    other = factories.make_proposal(w.clerk, w.cppcc, number="7",
                                    title="关于基层医疗卫生人才培养的提案",
                                    authors=[{"name": "陈明"}, {"name": "赵菁"}])
    merging.join_items(lead, [same, other], w.clerk)
    return lead, same, other


def _drafting(w, lead):
    """The lead's assignment to health, passed to its drafter (no draft yet)."""
    (assignment,) = factories.assign(lead, w.clerk, lead=w.health)
    handling.accept_assignment(assignment, w.health_clerk)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    return assignment


def _sign(w, assignment):
    """The draft through the three reviews to sign-off."""
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))


def _signed(w, lead):
    assignment = _drafting(w, lead)
    write_draft(assignment, w.health_drafter, salutation="李华代表：")
    _sign(w, assignment)
    return assignment


def _own(item):
    return db.session.scalar(select(Assignment).where(Assignment.proposal_id == item.id))


def test_a_group_of_three_issues_three_letters_with_three_numbers_and_three_ratings(w):
    lead, same, other = _group(w)
    assert [m.id for m in lead.members] == [same.id, other.id]
    assignment = _signed(w, lead)
    # The members follow their lead's handling, with no assignment of their own.
    assert same.state == other.state == lead.state == "signed"
    assert _own(same) is None

    letter.issue_with_letter(assignment, w.health_clerk, release_locks=False)

    year = today().year
    expected = {
        lead.id: (f"吉卫复议字〔{year}〕1号", "对省十四届人大三次会议第212号代表建议的答复",
                  "李华代表："),
        same.id: (f"吉卫复议字〔{year}〕2号", "对省十四届人大三次会议第0040号代表建议的答复",
                  "王芳代表："),
        other.id: (f"吉卫复提字〔{year}〕1号", "对省政协十三届三次会议第7号委员提案的答复",
                   "尊敬的陈明等委员："),
    }
    texts = {}
    for item in (lead, same, other):
        own = _own(item)
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == own.id))
        number, title, salutation = expected[item.id]
        assert reply.doc_number == number
        assert own.unit_id == w.health.id and own.state == "replied"
        text = _text(letter.stored_letter(reply)).replace(" ", "")
        texts[item.id] = text
        assert number in text and salutation in text and "我委高度重视" in text, text
        assert title.replace(" ", "") in text.replace("\n", ""), text
        db.session.refresh(item)
        assert item.state == "replied"
    # Each letter names only its own item and its own authors.
    assert "李华" not in texts[same.id] and "李华" not in texts[other.id]
    assert "第212号" not in texts[same.id] and "王芳" not in texts[other.id]

    # Three sets of authors rate three replies, each on its own.
    rate_all(w, assignment, "satisfied")
    rate_all(w, _own(same), "basic")
    rate_all(w, _own(other), "satisfied")
    ratings = {item.id: db.session.scalar(select(Reply.rating).join(Assignment).where(
        Assignment.proposal_id == item.id)) for item in (lead, same, other)}
    assert ratings == {lead.id: "satisfied", same.id: "basic", other.id: "satisfied"}

    # Three items in the unit's figures: received, replied on time, rated, 满意率.
    (row,) = [f for f in stats.unit_figures(stats.Scope(unit_id=w.health.id))
              if f.unit_id == w.health.id]
    assert (row.received, row.main, row.replied, row.replied_on_time, row.rated) == (3, 3, 3, 3, 3)
    assert (row.satisfied, row.basic, row.satisfaction_rate) == (2, 1, 1.0)


def test_joining_and_splitting_are_audited_and_end_at_issue(w):
    lead, same, other = _group(w)
    merging.split_item(other, w.clerk)
    assert other.merged_into_id is None and other.state == "registered"
    assert [m.id for m in lead.members] == [same.id]
    actions = [(e.action, e.object_id) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("join_items", "split_item")))
        .order_by(AuditEvent.seq))]
    assert actions == [("join_items", same.id), ("join_items", other.id),
                       ("join_items", lead.id), ("split_item", other.id),
                       ("split_item", lead.id)]
    # Rejoined, it is handled with the group again: assigning the lead carries it along.
    merging.join_items(lead, [other], w.clerk)
    (assignment,) = factories.assign(lead, w.clerk, lead=w.health)
    assert other.state == same.state == "assigned"
    with pytest.raises(InvalidTransition, match="已并案到"):
        factories.assign(other, w.clerk, lead=w.edu)
    # Split before issue: back to a registered, unassigned item.
    merging.split_item(same, w.clerk)
    assert same.state == "registered" and same.assignments == []
    merging.join_items(lead, [same], w.clerk)

    handling.accept_assignment(assignment, w.health_clerk)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter)
    _sign(w, assignment)
    replies.issue_reply(assignment, w.health_clerk)
    assert {_own(same).state, _own(other).state} == {"replied"}
    with pytest.raises(InvalidTransition, match="已发文"):
        merging.split_item(same, w.clerk)
    newcomer = factories.make_proposal(w.clerk, w.meeting)
    with pytest.raises(InvalidTransition, match="已发文"):
        merging.join_items(lead, [newcomer], w.clerk)
    assert newcomer.merged_into_id is None


def test_bad_joins_are_refused_with_reasons_and_nothing_saved(w):
    lead = factories.make_proposal(w.clerk, w.meeting)
    member = factories.make_proposal(w.clerk, w.meeting)
    merging.join_items(lead, [member], w.clerk)
    assigned = factories.make_proposal(w.clerk, w.meeting)
    factories.assign(assigned, w.clerk, lead=w.edu)
    fresh = factories.make_proposal(w.clerk, w.meeting)
    old_meeting = factories.make_meeting(w.clerk, term=13, session=5)
    old_meeting.year = today().year - 1
    old = factories.make_proposal(w.clerk, old_meeting)
    other_lead = factories.make_proposal(w.clerk, w.meeting)

    def refused(items, lead=lead):
        with pytest.raises(ValidationFailed) as caught:
            merging.join_items(lead, [fresh, *items], w.clerk)
        db.session.refresh(fresh)
        assert fresh.merged_into_id is None  # nothing half-saved
        return " ".join(caught.value.errors["numbers"])

    assert "并入它自己" in refused([lead])
    assert "已在本组" in refused([member])
    assert "已并入" in refused([member], lead=other_lead)
    assert "并案主办事项" in refused([lead], lead=other_lead)
    assert "已单独交办给省教育厅" in refused([assigned])
    assert "同一年度" in refused([old])
    with pytest.raises(InvalidTransition, match="不能作为并案主办事项"):
        merging.join_items(member, [fresh], w.clerk)
    with pytest.raises(PermissionDenied):
        merging.join_items(lead, [fresh], w.health_clerk)
    with pytest.raises(ValidationFailed):
        merging.join_items(lead, [], w.clerk)


def test_the_lead_units_see_the_members_and_others_see_none(w):
    lead, same, other = _group(w)
    factories.assign(lead, w.clerk, lead=w.health, co=[w.hr])
    visible = {p.id for p in db.session.scalars(
        visible_proposals(w.health_clerk, select(Proposal)))}
    assert {lead.id, same.id, other.id} <= visible
    assert can_view_proposal(w.hr_clerk, same)  # the co-handling unit reads them too
    assert not can_view_proposal(w.edu_clerk, same)
    assert not {lead.id, same.id, other.id} & {p.id for p in db.session.scalars(
        visible_proposals(w.edu_clerk, select(Proposal)))}


def test_members_with_a_deadline_past_are_due_as_their_lead(w):
    lead, same, _ = _group(w)
    (assignment,) = factories.assign(lead, w.clerk, lead=w.health,
                                     due_on=today() + timedelta(days=30))
    assert same.state == lead.state
    assert assignment.due_on == today() + timedelta(days=30)


def test_a_template_applied_to_a_group_fills_every_members_letter(w):
    """One draft for the group: the template's item placeholders are kept in it and each
    letter fills them with its own authors, title and number."""
    from tracker.replies import templates
    from tracker.replies.models import DraftVersion

    lead, same, other = _group(w)
    assignment = _drafting(w, lead)
    write_draft(assignment, w.health_drafter)
    opening = templates.create_template(
        w.health, w.health_clerk, kind="opening", name="并案开头",
        text="{您}提出的关于{建议标题}的第{编号}号建议收悉，{经商}现答复如下：")
    steps = templates.create_template(
        w.health, w.health_clerk, kind="next_steps", name="并案下一步",
        text="下一步，我们将就{建议标题}继续听取{代表姓名}的意见。")
    templates.apply_template(assignment, opening, w.health_drafter)
    draft = templates.apply_template(assignment, steps, w.health_drafter)
    # The shared draft keeps the item placeholders (the unit's are filled).
    assert isinstance(draft, DraftVersion)
    assert draft.opening == "{您}提出的关于{建议标题}的第{编号}号建议收悉，现答复如下："
    assert draft.body.endswith("下一步，我们将就{建议标题}继续听取{代表姓名}的意见。")
    _sign(w, assignment)
    letter.issue_with_letter(assignment, w.health_clerk, release_locks=False)

    for item, names in ((lead, "李华"), (same, "王芳等"), (other, "陈明等")):
        reply = db.session.scalar(select(Reply).join(Assignment).where(
            Assignment.proposal_id == item.id))
        text = _text(letter.stored_letter(reply)).replace(" ", "").replace("\n", "")
        assert f"的第{item.number}号建议收悉" in text, text
        assert f"就{item.title.strip('《》')}继续听取{names}的意见" in text, text
        assert "{" not in text and "｛" not in text


def test_a_member_of_the_other_kind_copies_its_own_kinds_recipients(w):
    """The draft's 抄送 is the 人大 default: the 政协 member's letter copies the 政协 default."""
    from tracker.replies import styles

    for kind, cc in (("suggestion", "省人大常委会代表人事选举委员会"), ("proposal", "省政协提案委员会")):
        style = styles.style_for(w.health, kind)
        styles.update_letter_style(
            w.admin, w.health, kind, print_doc_number=style.print_doc_number,
            signer_line=style.signer_line, print_review_trail=style.print_review_trail,
            cc_default=cc, class_mark=style.class_mark, letterhead=style.letterhead)
    lead, same, other = _group(w)
    assignment = _drafting(w, lead)
    draft = write_draft(assignment, w.health_drafter, cc="省人大常委会代表人事选举委员会")
    data = {item.id: letter.letter_data(assignment, draft, item=item) for item in (same, other)}
    assert data[same.id]["cc"] == ["省人大常委会代表人事选举委员会"]
    assert data[other.id]["cc"] == ["省政协提案委员会"]
    assert letter.letter_data(assignment, draft)["cc"] == ["省人大常委会代表人事选举委员会"]
    # A 抄送 typed for this reply is kept as typed.
    typed = write_draft(assignment, w.health_drafter, cc="省医保局",
                        base_number=draft.number)
    assert letter.letter_data(assignment, typed, item=other)["cc"] == ["省医保局"]


def test_the_members_letters_keep_the_signers_publication_decision(w):
    """A group signed 不予公开: every member's reply is withheld too, with no publication
    deadline (nothing would urge the unit to publish it)."""
    from tracker.proposals.models import Disclosure

    lead, same, other = _group(w)
    assignment = _drafting(w, lead)
    write_draft(assignment, w.health_drafter, salutation="李华代表：",
                disclosure=Disclosure.not_public, publication="withheld",
                withhold_reason="privacy")
    _sign(w, assignment)
    replies.issue_reply(assignment, w.health_clerk)
    issued = db.session.scalars(select(Reply).where(Reply.issued_at.is_not(None))).all()
    assert len(issued) == 3
    assert {(r.publication.value, r.withhold_reason, r.publish_due_on) for r in issued} == {
        ("withheld", "privacy", None)}
