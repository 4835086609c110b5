"""Leaders' instructions (领导批示): asked, given, entered from paper; who may do what; the
unit's rule that its leader instructs before the item goes to a drafter."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.support.handling import bring_to, pdf_upload
from tracker.audit.models import AuditEvent
from tracker.core.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.time import today
from tracker.desk.queries import todo_for, visible_timeline
from tracker.extensions import db
from tracker.files.views import can_download
from tracker.handling import operations as handling
from tracker.handling.permissions import can_view_proposal, visible_proposals
from tracker.instructions import operations
from tracker.instructions.choices import InstructionKind as K
from tracker.instructions.choices import InstructionSource, InstructionStatus
from tracker.instructions.models import Instruction
from tracker.notifications.models import Notification
from tracker.proposals.models import Proposal

TRANSFER = "请鲁朗同志阅。呈请吴昱同志阅示、拟转市卫健委办理。"


def _notices(user, kind):
    return db.session.scalars(select(Notification.text).where(
        Notification.user_id == user.id, Notification.kind == kind)).all()


def test_the_office_enters_its_transfer_and_asks_a_leader_who_signs_it_off(w):
    assignment = bring_to(w, "accepted")
    proposal = assignment.proposal
    transfer = operations.record_instruction(
        proposal, w.clerk, kind=K.transfer, text=TRANSFER, given_on=today(),
        leader_name="省政府办公厅", source="paper")
    assert (transfer.status, transfer.source, transfer.leader_name, transfer.entered_by_id) == (
        InstructionStatus.given, "paper", "省政府办公厅", w.clerk.id)

    asked = operations.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                           leader_id=w.office_leader.id, note="拟转省卫健委办理")
    assert asked.status == InstructionStatus.requested and asked.leader_name == "吴昱"
    assert any("呈请您" in t for t in _notices(w.office_leader, "instruction_requested"))
    entries = [e for e in todo_for(w.office_leader) if e.instruction is not None]
    assert [(e.instruction.id, e.what) for e in entries] == [(asked.id, "待批示（签办意见）")]

    operations.give_instruction(asked, w.office_leader, text="同意，请省卫健委认真办理。",
                                given_on=today())
    db.session.refresh(asked)
    assert (asked.status, asked.source, asked.leader_id, asked.text) == (
        InstructionStatus.given, InstructionSource.typed, w.office_leader.id, "同意，请省卫健委认真办理。")
    assert not [e for e in todo_for(w.office_leader) if e.instruction is not None]
    # The clerk who asked and the unit handling the item hear of it.
    assert any("同意，请省卫健委认真办理" in t for t in _notices(w.clerk, "instructed"))
    assert _notices(w.health_clerk, "instructed")
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.proposal_id == proposal.id, AuditEvent.object_type == "instruction")
        .order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["instruction_given", "instruction_requested",
                                          "instruction_given"]
    with pytest.raises(Conflict, match="已作出"):
        operations.give_instruction(asked, w.office_leader, text="再批", given_on=today())


def test_a_unit_that_requires_it_asks_its_leader_at_acceptance_and_holds_dispatch(w):
    w.health.instruction_before_dispatch = True
    assignment = bring_to(w, "accepted")
    (asked,) = operations.waiting_for(w.health_leader)
    assert (asked.kind, asked.assignment_id, asked.leader_id) == (
        K.unit_principal, assignment.id, w.health_leader.id)
    assert _notices(w.health_leader, "instruction_requested")
    # The clerk may enter it from the paper; the deputy is not the one asked.
    assert [i.id for i in operations.waiting_for(w.health_clerk)] == [asked.id]
    assert operations.waiting_for(w.health_deputy) == []
    what = {e.what for e in todo_for(w.health_clerk) if e.assignment and e.assignment.id == assignment.id}
    assert "待领导批示" in what
    with pytest.raises(InvalidTransition, match="须经单位领导批示"):
        handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                     drafter_id=w.health_drafter.id)
    operations.give_instruction(asked, w.health_leader, text="请基层卫生健康处牵头办理。",
                                given_on=today())
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    assert assignment.state == "drafting"


def test_without_the_setting_dispatch_needs_no_instruction(w):
    assignment = bring_to(w, "drafting")
    assert assignment.state == "drafting"
    assert operations.waiting_for(w.health_leader) == []


def test_a_clerk_enters_a_leaders_paper_instruction_with_its_scan(w):
    assignment = bring_to(w, "accepted")
    done = operations.record_instruction(
        assignment.proposal, w.health_clerk, kind=K.unit_deputy, assignment=assignment,
        text="请医政医管处配合。", given_on=today() - timedelta(days=1),
        leader_id=w.health_deputy.id, source="scan", scan=pdf_upload("批示.pdf"))
    assert (done.leader_name, done.source, done.scan_id is not None) == ("鲁朗", "scan", True)
    assert operations.unit_instructed(assignment)
    # The scan goes to the unit and the office, not to a co-handling unit of the item.
    co = bring_to(w, "accepted", role="co")
    co_done = operations.record_instruction(
        co.proposal, w.hr_clerk, kind=K.unit_principal, assignment=co, text="同意会办。",
        given_on=today(), leader_name="高厅长", source="scan", scan=pdf_upload("hr.pdf"))
    lead_clerk = w.health_clerk
    assert can_view_proposal(lead_clerk, co.proposal)
    assert not can_download(lead_clerk, co_done.scan)
    assert can_download(w.hr_clerk, co_done.scan) and can_download(w.clerk, co_done.scan)
    assert can_download(w.office_leader, co_done.scan)


@pytest.mark.parametrize(("changes", "field"), [
    ({"text": "  "}, "text"),
    ({"given_on": today() + timedelta(days=1)}, "given_on"),
    ({"given_on": today() - timedelta(days=400)}, "given_on"),
    ({"leader_name": ""}, "leader_name"),
    ({"source": "typed"}, "source"),
    ({"source": "scan"}, "scan"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(w, changes, field):
    assignment = bring_to(w, "accepted")
    values = dict(kind=K.unit_principal, assignment=assignment, text="请认真办理。",
                  given_on=today(), leader_name="冯主任", source="paper")
    values.update(changes)
    with pytest.raises(ValidationFailed) as refused:
        operations.record_instruction(assignment.proposal, w.health_clerk, **values)
    assert field in refused.value.errors
    assert db.session.scalars(select(Instruction)).all() == []


def test_who_may_enter_and_ask(w):
    assignment = bring_to(w, "accepted")
    proposal = assignment.proposal
    # Another unit's clerk, a drafter, a unit clerk for the office's kinds: refused.
    for actor, kind in ((w.edu_clerk, K.unit_principal), (w.health_drafter, K.unit_principal),
                        (w.health_clerk, K.transfer), (w.hr_leader, K.unit_principal)):
        with pytest.raises(PermissionDenied):
            operations.record_instruction(proposal, actor, kind=kind, assignment=assignment,
                                          text="x", given_on=today(), leader_name="某", source="paper")
    with pytest.raises(PermissionDenied):
        operations.request_instruction(proposal, w.health_drafter, kind=K.unit_principal,
                                       assignment=assignment, leader_id=w.health_leader.id)
    # A leader of the office asked only among the office's leaders.
    with pytest.raises(ValidationFailed) as refused:
        operations.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                       leader_id=w.health_leader.id)
    assert "leader_id" in refused.value.errors
    # The unit's leader types their own: no source or name needed.
    own = operations.record_instruction(proposal, w.health_deputy, kind=K.unit_deputy,
                                        assignment=assignment, text="抓紧办理。", given_on=today())
    assert (own.source, own.leader_id, own.leader_name) == ("typed", w.health_deputy.id, "鲁朗")


def test_leaders_see_their_own_units_items_and_the_office_leader_every_item(w):
    mine = bring_to(w, "accepted")
    other = bring_to(w, "accepted", role="co")
    edu_item = factories.make_proposal(w.clerk, w.meeting)
    factories.assign(edu_item, w.clerk, lead=w.edu)
    listed = set(db.session.scalars(visible_proposals(w.health_deputy, select(Proposal.id))))
    assert mine.proposal_id in listed and other.proposal_id in listed
    assert edu_item.id not in listed
    assert not can_view_proposal(w.health_deputy, edu_item)
    assert can_view_proposal(w.office_leader, edu_item)
    assert edu_item.id in set(db.session.scalars(visible_proposals(w.office_leader, select(Proposal.id))))


def test_a_units_instructions_stay_off_other_units_timelines(w):
    co = bring_to(w, "accepted", role="co")
    operations.record_instruction(co.proposal, w.hr_leader, kind=K.unit_principal, assignment=co,
                                  text="由专技处办理。", given_on=today())
    operations.record_instruction(co.proposal, w.clerk, kind=K.transfer, assignment=None,
                                  text=TRANSFER, given_on=today(), leader_name="办公厅",
                                  source="paper")
    seen = {u.username: [d.get("instruction") for e, d in visible_timeline(co.proposal, u)
                         if e.object_type == "instruction"]
            for u in (w.health_clerk, w.hr_clerk, w.clerk)}
    assert seen["health_clerk"] == [TRANSFER]
    assert seen["hr_clerk"] == ["由专技处办理。", TRANSFER]
    assert seen["clerk"] == ["由专技处办理。", TRANSFER]
    assert [i.text for i in operations.visible_instructions(co.proposal, w.health_clerk)] == [TRANSFER]


def test_the_principal_and_the_deputy_each_give_their_own_kind(w):
    """冯主任 is health's principal leader: the 主要领导办理意见 is his, the 分管领导意见 鲁朗's."""
    assignment = bring_to(w, "accepted")
    proposal = assignment.proposal
    principal = operations.leaders_for(K.unit_principal, assignment)
    deputy = operations.leaders_for(K.unit_deputy, assignment)
    assert [u.username for u in principal] == ["health_leader"]
    assert [u.username for u in deputy] == ["health_deputy"]
    with pytest.raises(PermissionDenied):
        operations.record_instruction(proposal, w.health_deputy, kind=K.unit_principal,
                                      assignment=assignment, text="抓紧办理。", given_on=today())
    with pytest.raises(ValidationFailed) as refused:
        operations.request_instruction(proposal, w.health_clerk, kind=K.unit_deputy,
                                       assignment=assignment, leader_id=w.health_leader.id)
    assert "leader_id" in refused.value.errors
    # Asked of the deputy, only the deputy (or a clerk from the paper) answers it.
    asked = operations.request_instruction(proposal, w.health_clerk, kind=K.unit_deputy,
                                           assignment=assignment, leader_id=w.health_deputy.id)
    assert operations.waiting_for(w.health_leader) == []
    assert operations.waiting_for(w.health_deputy) == [asked]


def test_the_same_paper_instruction_is_not_entered_twice(w):
    assignment = bring_to(w, "accepted")
    values = dict(kind=K.transfer, text=TRANSFER, given_on=today(), leader_name="省政府办公厅",
                  source="paper")
    operations.record_instruction(assignment.proposal, w.clerk, **values)
    with pytest.raises(Conflict, match="已经录入过了"):
        operations.record_instruction(assignment.proposal, w.clerk, **values)
    assert len(db.session.scalars(select(Instruction)).all()) == 1
