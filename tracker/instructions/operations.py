"""Asking for, giving and entering leaders' instructions (领导批示); they flush, never commit.

Every instruction is audited on the item's timeline and told to whoever acts on it next: the
leader it is asked of; once given, the clerks who asked and the people handling the item.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, exists, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from tracker.accounts.models import Role, Unit, User, UserRole
from tracker.audit import log as audit
from tracker.core.batch import batched
from tracker.core.errors import Conflict, PermissionDenied, ValidationFailed
from tracker.core.states import AssignmentState
from tracker.core.time import today, utcnow
from tracker.core.touched import items_touched
from tracker.extensions import db
from tracker.files.storage import store_upload
from tracker.handling.models import Assignment
from tracker.handling.workflow import lock_item
from tracker.instructions import permissions
from tracker.instructions.choices import (
    DISPATCH_KINDS,
    OFFICE_KINDS,
    InstructionKind,
    InstructionSource,
    InstructionStatus,
)
from tracker.instructions.models import Instruction
from tracker.notifications.choices import NotificationKind
from tracker.notifications.operations import item_name, notify_people, unit_people
from tracker.proposals.models import Proposal

TEXT_MAX = 2000
NOTE_MAX = 300
NAME_MAX = 60


def leaders_for(kind: InstructionKind, assignment: Assignment | None = None) -> list[User]:
    """The leaders an instruction of this kind may be asked of: the unit's (its principal
    leader and its users with the leader role) or the supervising offices' leaders."""
    kind = InstructionKind(kind)
    query = select(User).join(UserRole, UserRole.user_id == User.id).where(
        User.is_enabled.is_(True), UserRole.role == Role.leader)
    if kind.is_unit:
        if assignment is None:
            return []
        leaders = list(db.session.scalars(query.where(User.unit_id == assignment.unit_id)))
        principal = assignment.unit.principal_leader
        if principal is not None and principal.is_enabled and principal not in leaders:
            leaders.insert(0, principal)
        return [u for u in leaders if permissions.leads_for(u, kind, assignment.unit)]
    return list(db.session.scalars(
        query.join(Unit, Unit.id == User.unit_id).where(Unit.is_supervising.is_(True))
        .order_by(User.full_name)))


_INSTRUCTED = select(Instruction.assignment_id).distinct().where(
    Instruction.assignment_id.in_(bindparam("ids", expanding=True)),
    Instruction.kind.in_(sorted(DISPATCH_KINDS)), Instruction.status == InstructionStatus.given)


def _instructed(ids: list[int]) -> dict[int, bool]:
    return dict.fromkeys(db.session.scalars(_INSTRUCTED, {"ids": ids}), True)


@batched(_instructed, default=False)
def unit_instructed(assignment: Assignment) -> bool:
    """Whether a leader of the unit has instructed on this assignment (主要/分管领导意见)."""
    return bool(db.session.scalar(select(exists().where(
        Instruction.assignment_id == assignment.id,
        Instruction.kind.in_(sorted(DISPATCH_KINDS)),
        Instruction.status == InstructionStatus.given))))


def _clean_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写批示内容。", {"text": ["批示内容不能为空。"]})
    if len(text) > TEXT_MAX:
        raise ValidationFailed("批示内容过长。", {"text": [f"批示内容不能超过 {TEXT_MAX} 字。"]})
    return text


def _check_date(proposal: Proposal, given_on: date | None) -> date:
    if given_on is None:
        raise ValidationFailed("请填写批示日期。", {"given_on": ["请填写批示日期。"]})
    if given_on > today():
        raise ValidationFailed("批示日期有误。", {"given_on": ["批示日期不能晚于今天。"]})
    if given_on < proposal.received_on:
        raise ValidationFailed("批示日期有误。", {"given_on": [
            f"批示日期不能早于收到该{proposal.kind.label}的日期（{proposal.received_on.isoformat()}）。"]})
    return given_on


def _assignment_of(proposal: Proposal, kind: InstructionKind,
                   assignment: Assignment | None) -> Assignment | None:
    if not kind.is_unit:
        return None
    if assignment is None or assignment.proposal_id != proposal.id:
        raise ValidationFailed("请选择承办单位。", {"assignment_id": ["请选择承办单位。"]})
    return assignment


def _provenance(actor: User, kind: InstructionKind, assignment: Assignment | None, *,
                source: str | None, leader: User | None, leader_name: str,
                scan: FileStorage | None, proposal: Proposal) -> dict:
    """Who gave the instruction and how it came in: a leader typing their own, or a clerk
    entering a named leader's from the paper (with its scanned page when there is one)."""
    own = (leader is not None and leader.id == actor.id) or (
        leader is None and not leader_name and source in (None, "", InstructionSource.typed)
        and (permissions.leads_for(actor, kind, assignment.unit) if kind.is_unit
             else permissions.is_office_leader(actor)))
    if own:
        return {"source": InstructionSource.typed.value, "leader_id": actor.id,
                "leader_name": actor.full_name, "scan_id": None}
    if source not in (InstructionSource.paper, InstructionSource.scan):
        raise ValidationFailed("请选择批示来源。", {"source": [
            "代领导录入时，请选择「据纸质批示录入」或「扫描件录入」。"]})
    name = (leader.full_name if leader is not None else (leader_name or "").strip())
    if not name:
        raise ValidationFailed("请填写批示领导。", {"leader_name": ["请选择或填写作出批示的领导。"]})
    if len(name) > NAME_MAX:
        raise ValidationFailed("领导姓名过长。", {"leader_name": [f"不能超过 {NAME_MAX} 字。"]})
    scan_id = None
    if source == InstructionSource.scan:
        if scan is None or not scan.filename:
            raise ValidationFailed("请上传批示扫描件。", {"scan": ["扫描件录入须上传批示页的扫描件。"]})
        stored = store_upload(scan, field="scan", proposal_id=proposal.id,
                              unit_id=assignment.unit_id if assignment else actor.unit_id,
                              actor_id=actor.id)
        db.session.flush()
        scan_id = stored.id
    return {"source": InstructionSource(source).value,
            "leader_id": leader.id if leader is not None else None,
            "leader_name": name, "scan_id": scan_id}


def _leader(leader_id: int | None, kind: InstructionKind,
            assignment: Assignment | None) -> User | None:
    if not leader_id:
        return None
    leader = next((u for u in leaders_for(kind, assignment) if u.id == leader_id), None)
    if leader is None:
        raise ValidationFailed("所选领导有误。", {"leader_id": ["请从列表中选择本方的领导。"]})
    return leader


def record_instruction(proposal: Proposal, actor: User, *, kind: InstructionKind,
                       text: str, given_on: date | None, assignment: Assignment | None = None,
                       leader_id: int | None = None, leader_name: str = "",
                       source: str | None = None, scan: FileStorage | None = None) -> Instruction:
    """Put a given instruction into the tracker: typed by the leader, or entered by a clerk."""
    kind = InstructionKind(kind)
    assignment = _assignment_of(proposal, kind, assignment)
    if not permissions.can_enter(actor, proposal, kind, assignment):
        raise PermissionDenied(f"您不能录入该事项的{kind.label}。")
    text = _clean_text(text)
    given_on = _check_date(proposal, given_on)
    leader = _leader(leader_id, kind, assignment)
    lock_item(proposal.id)
    if db.session.scalar(select(exists().where(
            Instruction.proposal_id == proposal.id, Instruction.kind == kind,
            Instruction.assignment_id == (assignment.id if assignment else None),
            Instruction.status == InstructionStatus.given, Instruction.given_on == given_on,
            Instruction.text == text))):
        raise Conflict(f"这条{kind.label}已经录入过了（同一日期、同样内容），请勿重复录入。")
    who = _provenance(actor, kind, assignment, source=source, leader=leader,
                      leader_name=leader_name, scan=scan, proposal=proposal)
    now = utcnow()
    instruction = Instruction(
        proposal_id=proposal.id, assignment_id=assignment.id if assignment else None,
        kind=kind, status=InstructionStatus.given, text=text, given_on=given_on,
        entered_by_id=actor.id, given_at=now, **who)
    db.session.add(instruction)
    db.session.flush()
    _log("instruction_given", actor, instruction)
    _tell_given(instruction, actor)
    return instruction


def request_instruction(proposal: Proposal, actor: User, *, kind: InstructionKind,
                        leader_id: int | None, assignment: Assignment | None = None,
                        note: str = "") -> Instruction:
    """Ask a leader for an instruction (呈请阅示); it waits in the leader's to-do list."""
    kind = InstructionKind(kind)
    assignment = _assignment_of(proposal, kind, assignment)
    if not permissions.can_request(actor, proposal, kind, assignment):
        raise PermissionDenied(f"您不能为该事项请领导作出{kind.label}。")
    if not leader_id:
        raise ValidationFailed("请选择领导。", {"leader_id": ["请选择要呈请批示的领导。"]})
    leader = _leader(leader_id, kind, assignment)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed("呈批说明过长。", {"note": [f"不能超过 {NOTE_MAX} 字。"]})
    lock_item(proposal.id)
    return _ask(proposal, actor, kind, assignment, leader, note)


def _ask(proposal: Proposal, actor: User, kind: InstructionKind, assignment: Assignment | None,
         leader: User | None, note: str) -> Instruction:
    waiting = db.session.scalar(select(Instruction).where(
        Instruction.proposal_id == proposal.id, Instruction.kind == kind,
        Instruction.assignment_id == (assignment.id if assignment else None),
        Instruction.status == InstructionStatus.requested,
        Instruction.leader_id == (leader.id if leader else None)))
    if waiting is not None:
        raise Conflict(f"已呈请{waiting.leader_name or '领导'}作出{kind.label}，尚未批示，请勿重复呈请。")
    instruction = Instruction(
        proposal_id=proposal.id, assignment_id=assignment.id if assignment else None,
        kind=kind, status=InstructionStatus.requested,
        leader_id=leader.id if leader else None, leader_name=leader.full_name if leader else "",
        requested_by_id=actor.id, request_note=note, requested_at=utcnow())
    db.session.add(instruction)
    db.session.flush()
    _log("instruction_requested", actor, instruction)
    people = [leader] if leader is not None else (
        leaders_for(kind, assignment))
    side = f"（{assignment.unit.name}）" if assignment is not None else ""
    notify_people(
        people, NotificationKind.instruction_requested,
        f"{actor.full_name}呈请您对{item_name(proposal)}作出{kind.label}{side}"
        + (f"：{note}" if note else "。"),
        key=f"instruction-requested:{instruction.id}", assignment=assignment,
        proposal_id=proposal.id, subject=f"请批示：{proposal.meeting.name}{proposal.display_number}",
        sms_text=f"{proposal.meeting.name}{proposal.display_number}请您批示，请登录系统办理。")
    return instruction


def give_instruction(instruction: Instruction, actor: User, *, text: str,
                     given_on: date | None, source: str | None = None,
                     leader_name: str = "", scan: FileStorage | None = None) -> Instruction:
    """Answer an asked-for instruction: the leader types it, or a clerk enters it from paper."""
    if not permissions.can_give(actor, instruction):
        if instruction.status != InstructionStatus.requested:
            raise Conflict("该批示已作出，不能再次批示；如有新的批示，请另行录入。")
        raise PermissionDenied("只有被呈请的领导或本方联络员（据纸质批示）可以录入该批示。")
    proposal = instruction.proposal
    text = _clean_text(text)
    given_on = _check_date(proposal, given_on)
    kind = InstructionKind(instruction.kind)
    lock_item(proposal.id)
    addressee = permissions.is_addressee(actor, instruction)
    leader = actor if addressee else instruction.leader
    who = _provenance(actor, kind, instruction.assignment,
                      source=InstructionSource.typed.value if addressee else source,
                      leader=leader, leader_name=leader_name, scan=scan, proposal=proposal)
    result = db.session.execute(
        update(Instruction)
        .where(Instruction.id == instruction.id,
               Instruction.status == InstructionStatus.requested)
        .values(status=InstructionStatus.given, text=text, given_on=given_on,
                entered_by_id=actor.id, given_at=utcnow(), **who)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该批示已由他人录入，请刷新后查看。")
    items_touched(db.session, [proposal.id])  # (the search index: its text)
    db.session.expire(instruction)
    _log("instruction_given", actor, instruction)
    _tell_given(instruction, actor)
    return instruction


def request_at_accept(event) -> None:
    """A unit that instructs before passing an item on asks its leader at 签收."""
    assignment = event.obj
    if not isinstance(assignment, Assignment) or not assignment.unit.instruction_before_dispatch:
        return
    if unit_instructed(assignment) or db.session.scalar(select(exists().where(
            Instruction.assignment_id == assignment.id,
            Instruction.status == InstructionStatus.requested))):
        return
    _ask(assignment.proposal, event.actor, InstructionKind.unit_principal, assignment,
         assignment.unit.principal_leader if assignment.unit.principal_leader_id else None,
         "本单位规定：须经单位领导批示后再交承办人办理。")


def _log(action: str, actor: User, instruction: Instruction) -> None:
    assignment = instruction.assignment
    audit.record(action, actor=actor, object_type="instruction", object_id=instruction.id,
                 proposal_id=instruction.proposal_id,
                 unit_id=assignment.unit_id if assignment is not None else None,
                 details={"kind": InstructionKind(instruction.kind).value,
                          "leader": instruction.leader_name,
                          "unit": assignment.unit.name if assignment is not None else None,
                          "assignment_id": assignment.id if assignment is not None else None,
                          "given_on": instruction.given_on.isoformat()
                          if instruction.given_on else None,
                          "source": instruction.source or None,
                          "instruction": instruction.text[:500] or instruction.request_note})


def _tell_given(instruction: Instruction, actor: User) -> None:
    """Those who handle the item hear of the leader's instruction (and who asked for it)."""
    proposal = instruction.proposal
    kind = InstructionKind(instruction.kind)
    people: list[User] = []
    if instruction.requested_by is not None:
        people.append(instruction.requested_by)
    if kind.is_unit:
        people += unit_people(instruction.assignment)
    else:
        for assignment in proposal.assignments:
            if assignment.state != AssignmentState.returned:
                people += unit_people(assignment)
    people = [p for p in people if p.id != actor.id]
    notify_people(
        people, NotificationKind.instructed,
        f"{instruction.leader_name}对{item_name(proposal)}作出{kind.label}："
        f"{instruction.text[:200]}",
        key=f"instructed:{instruction.id}", assignment=instruction.assignment,
        proposal_id=proposal.id, subject=f"领导批示：{proposal.meeting.name}{proposal.display_number}",
        sms_text=f"{proposal.meeting.name}{proposal.display_number}有新的领导批示，请登录系统查看。")


def visible_instructions(proposal: Proposal, user: User) -> list[Instruction]:
    rows = db.session.scalars(
        select(Instruction).where(Instruction.proposal_id == proposal.id)
        .order_by(Instruction.given_on.is_(None), Instruction.given_on, Instruction.id))
    return [i for i in rows if permissions.can_view(user, i)]


def waiting_for(user: User) -> list[Instruction]:
    """The asked-for instructions this user may answer: the leader's own, and those of their
    side a clerk may enter from the paper."""
    if not user.is_authenticated:
        return []
    mine = [Instruction.leader_id == user.id]
    if user.has_role(Role.unit_clerk) or permissions.is_unit_leader(user, user.unit):
        mine.append(Instruction.assignment_id.in_(
            select(Assignment.id).where(Assignment.unit_id == user.unit_id)))
    if permissions.oversees(user):
        mine.append(Instruction.kind.in_(sorted(OFFICE_KINDS)))
    rows = db.session.scalars(
        select(Instruction).where(Instruction.status == InstructionStatus.requested, or_(*mine))
        .options(selectinload(Instruction.proposal), selectinload(Instruction.assignment))
        .order_by(Instruction.requested_at))
    return [i for i in rows if permissions.can_give(user, i)]

