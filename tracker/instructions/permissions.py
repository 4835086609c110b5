"""Who may see, ask for, give and enter leaders' instructions.

The office's instructions (转办、签办、审阅办理结果) are the supervising office's: its clerks
enter and ask for them, its leaders give them, and everyone who sees the item reads them. A
unit's (主要领导、分管领导办理意见) belong to that unit's assignment: its clerks enter and ask
for them, its leaders give them, and only the unit and the supervising office read them.
"""
from __future__ import annotations

from sqlalchemy import select

from tracker.accounts.models import Role, User
from tracker.core.states import AssignmentState, ProposalState
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.permissions import (
    can_view_proposal,
    is_office_leader,
    is_supervisor,
    oversees,
)
from tracker.instructions.choices import InstructionKind, InstructionStatus
from tracker.instructions.models import Instruction


def is_unit_leader(user: User, unit) -> bool:
    """A leader of the unit: its principal leader, or a user with the leader role in it."""
    if user is None or not user.is_authenticated or unit is None or user.unit_id != unit.id:
        return False
    return unit.principal_leader_id == user.id or user.has_role(Role.leader)


def leads_for(user: User, kind: InstructionKind, unit) -> bool:
    """Whether the user is the unit's leader who gives this kind of instruction: the 主要领导
    办理意见 is the principal leader's (any of the unit's leaders' while none is named), the
    分管领导's a leader's other than the principal."""
    if not is_unit_leader(user, unit):
        return False
    if InstructionKind(kind) == InstructionKind.unit_principal:
        return unit.principal_leader_id in (None, user.id)
    return unit.principal_leader_id != user.id


def is_leader(user: User) -> bool:
    """Gives instructions somewhere (the 批示 pages and the to-do list's 待批示)."""
    return is_office_leader(user) or is_unit_leader(user, user.unit)


def _open_part(assignment: Assignment | None) -> bool:
    return assignment is not None and assignment.state != AssignmentState.returned


def _open_item(proposal, kind: InstructionKind) -> bool:
    # The end-of-handling review is often given after 办结; the rest while the item is open.
    return kind == InstructionKind.result_review or proposal.state != ProposalState.closed


def can_enter(user: User, proposal, kind: InstructionKind,
              assignment: Assignment | None = None) -> bool:
    """May put a given instruction of this kind into the tracker (typed, or from paper)."""
    kind = InstructionKind(kind)
    if not _open_item(proposal, kind):
        return False
    if kind.is_unit:
        if not _open_part(assignment) or assignment.proposal_id != proposal.id:
            return False
        return user.unit_id == assignment.unit_id and (
            user.has_role(Role.unit_clerk) or leads_for(user, kind, assignment.unit))
    return is_supervisor(user) or is_office_leader(user)


def can_request(user: User, proposal, kind: InstructionKind,
                assignment: Assignment | None = None) -> bool:
    """May ask a leader for an instruction of this kind (the clerks of each side)."""
    kind = InstructionKind(kind)
    if not _open_item(proposal, kind):
        return False
    if kind.is_unit:
        return (_open_part(assignment) and assignment.proposal_id == proposal.id
                and user.unit_id == assignment.unit_id and user.has_role(Role.unit_clerk))
    return is_supervisor(user)


def is_addressee(user: User, instruction: Instruction) -> bool:
    """The leader the instruction was asked of (any leader of its side when none was named)."""
    if instruction.leader_id is not None:
        return instruction.leader_id == user.id
    if InstructionKind(instruction.kind).is_unit:
        return leads_for(user, instruction.kind, instruction.assignment.unit)
    return is_office_leader(user)


def can_give(user: User, instruction: Instruction) -> bool:
    """May answer an asked-for instruction: its leader, or a clerk of its side from paper."""
    if instruction.status != InstructionStatus.requested:
        return False
    if is_addressee(user, instruction):
        return True
    clerk = Role.unit_clerk if InstructionKind(instruction.kind).is_unit else Role.supervisor
    return user.has_role(clerk) and can_enter(
        user, instruction.proposal, instruction.kind, instruction.assignment)


def can_view(user: User, instruction: Instruction) -> bool:
    if InstructionKind(instruction.kind).is_unit:
        return oversees(user) or (user.unit_id == instruction.assignment.unit_id
                                  and can_view_proposal(user, instruction.proposal))
    return can_view_proposal(user, instruction.proposal)


def may_enter_any(user: User, proposal) -> bool:
    """Whether the item page offers 录入批示 to this user."""
    return _any(can_enter, user, proposal)


def may_request_any(user: User, proposal) -> bool:
    """Whether the item page offers 呈请批示 to this user."""
    return _any(can_request, user, proposal)


def _any(allowed, user: User, proposal) -> bool:
    if any(allowed(user, proposal, k) for k in InstructionKind if not k.is_unit):
        return True
    return any(allowed(user, proposal, InstructionKind.unit_principal, a)
               for a in proposal.assignments if a.unit_id == user.unit_id)


def download_rule(user: User, attachment) -> bool | None:
    """The scanned page of an instruction goes to whoever may read the instruction."""
    instruction = db.session.scalar(select(Instruction).where(
        Instruction.scan_id == attachment.id))
    return None if instruction is None else can_view(user, instruction)
