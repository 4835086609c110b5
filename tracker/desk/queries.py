"""Read-side queries over every area: the to-do list and the item's timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Role, User
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.states import DRAFT_ACTIONS, AssignmentState, ProposalState, ReviewLevel
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment, DeadlineExtension, ExtensionStatus
from tracker.handling.workflow import Action, allowed_actions
from tracker.instructions import operations as instruction_ops
from tracker.instructions import permissions as instruction_permissions
from tracker.instructions.choices import InstructionKind
from tracker.instructions.models import Instruction
from tracker.proposals.models import Proposal
from tracker.ratings.queries import rating_period_over_clause
from tracker.replies import queries as replies
from tracker.replies.choices import Decision


@dataclass
class TodoEntry:
    proposal: Proposal
    assignment: Assignment | None
    actions: list[Action]
    due_on: date | None
    what: str
    # Actions also open to the user on this row, offered as links; they never make a row.
    secondary: list[Action] = field(default_factory=list)
    # An instruction asked of this user (a leader), or one a clerk may enter from the paper.
    instruction: Instruction | None = None


# Work that may be done at any time while the item is with the unit, not a step it waits for.
SECONDARY_ACTIONS = frozenset({Action.record_contact})


def todo_for(user: User) -> list[TodoEntry]:
    """What waits for this user, soonest deadline first."""
    entries: list[TodoEntry] = []
    if permissions.is_supervisor(user):
        unassigned = db.session.scalars(
            select(Proposal).where(Proposal.state == ProposalState.registered)
            .options(selectinload(Proposal.meeting))
        )
        for proposal in unassigned:
            entries.append(TodoEntry(proposal, None, [Action.assign], None, "待交办"))
        returns = db.session.scalars(
            select(Assignment).where(Assignment.state == AssignmentState.return_requested)
            .options(selectinload(Assignment.unit), selectinload(Assignment.proposal))
        )
        closable = db.session.scalars(
            select(Proposal).where(or_(
                Proposal.state == ProposalState.rated,
                and_(Proposal.state == ProposalState.replied, rating_period_over_clause())))
            .options(selectinload(Proposal.meeting), selectinload(Proposal.assignments)))
        for proposal in closable:
            if Action.close in allowed_actions(proposal, user):
                entries.append(TodoEntry(proposal, None, [Action.close], None,
                                         f"待{Action.close.label}"))
        for assignment in returns:
            entries.append(TodoEntry(
                assignment.proposal, assignment, allowed_actions(assignment, user),
                assignment.return_due_on, f"{assignment.unit.name}申请退回"))
        extensions = db.session.scalars(
            select(Assignment)
            .join(DeadlineExtension, DeadlineExtension.assignment_id == Assignment.id)
            .where(DeadlineExtension.status == ExtensionStatus.requested.value)
            .options(selectinload(Assignment.unit), selectinload(Assignment.proposal),
                     selectinload(Assignment.extension)))
        for assignment in extensions:
            actions = [a for a in allowed_actions(assignment, user)
                       if a in (Action.approve_extension, Action.reject_extension)]
            if actions:
                entries.append(TodoEntry(
                    assignment.proposal, assignment, actions, assignment.due_on,
                    f"{assignment.unit.name}申请延期至{assignment.extension.requested_due_on}"))
    states = _todo_states(user)
    if states:
        query = select(Assignment).where(
            Assignment.unit_id == user.unit_id, Assignment.state.in_(sorted(states)),
        ).options(selectinload(Assignment.proposal), selectinload(Assignment.unit),
                  selectinload(Assignment.extension))
        if not user.has_role(Role.unit_clerk):
            # A drafter sees only the items passed to them (reviewers see their level's).
            query = query.where(or_(Assignment.state.not_in(sorted(EARLY_STATES)),
                                    Assignment.drafter_id == user.id))
        rows = list(db.session.scalars(query))
        with instruction_ops.instructed_known(rows):
            allowed_by_row = [(a, allowed_actions(a, user)) for a in rows]
        for assignment, allowed in allowed_by_row:
            actions = [a for a in allowed if a not in SECONDARY_ACTIONS]
            mine = assignment.drafter_id == user.id and assignment.state == AssignmentState.drafting
            if not actions and not mine:
                continue
            entries.append(TodoEntry(
                assignment.proposal, assignment, actions, assignment.due_on,
                _todo_what(assignment, actions),
                secondary=[a for a in allowed if a in SECONDARY_ACTIONS]))
    for instruction in instruction_ops.waiting_for(user):
        assignment = instruction.assignment
        own = instruction_permissions.is_addressee(user, instruction)
        entries.append(TodoEntry(
            instruction.proposal, assignment, [],
            assignment.due_on if assignment is not None else None,
            f"待批示（{InstructionKind(instruction.kind).short}）" if own
            else f"待{instruction.leader_name or '领导'}批示（{InstructionKind(instruction.kind).short}）",
            instruction=instruction))
    far = date.max
    entries.sort(key=lambda e: (e.due_on or far, e.proposal.id))
    return entries


EARLY_STATES = frozenset({AssignmentState.assigned, AssignmentState.accepted,
                          AssignmentState.drafting})
REVIEW_TODO = {
    Role.reviewer_first: (AssignmentState.first_review, "待初审"),
    Role.reviewer_second: (AssignmentState.second_review, "待复审"),
    Role.reviewer_final: (AssignmentState.final_review, "待终审"),
}


def _todo_states(user: User) -> set[str]:
    """The assignment states in which this user may have something to do."""
    states: set[str] = set()
    if user.has_role(Role.unit_clerk, Role.drafter):
        states |= EARLY_STATES
    for role, (state, _) in REVIEW_TODO.items():
        if user.has_role(role):
            states.add(state)
    leader = user.unit is not None and user.unit.principal_leader_id == user.id
    if user.has_role(Role.signer) or leader:
        states.add(AssignmentState.awaiting_signature)
    if user.has_role(Role.unit_clerk, Role.signer):
        states.add(AssignmentState.signed)
    if user.has_role(Role.signer, Role.leader) or leader:
        states.add(AssignmentState.opinion_pending)
    return states


def _todo_what(assignment: Assignment, actions: list[Action]) -> str:
    """What waits, in the words of the to-do list."""
    state, co = assignment.state, assignment.role.value == "co"
    if state == AssignmentState.assigned:
        return "待签收"
    if state == AssignmentState.accepted:
        if Action.dispatch not in actions and assignment.unit.instruction_before_dispatch:
            return "待领导批示"
        return "待提交会办意见" if co else f"待{Action.dispatch.label}"
    if state == AssignmentState.drafting:
        if co:
            return "待提交会办意见"
        current = replies.current_cycle_decisions(assignment)
        if current and current[-1].decision == Decision.returned:
            return f"{ReviewLevel.label_of(current[-1].level)}退回修改"
        if Action.submit_review in actions:
            return "待送审"
        if Action.save_draft in actions and replies.latest_draft(assignment) is None:
            return "待撰写答复"
        return "办理中"
    for review_state, label in REVIEW_TODO.values():
        if state == review_state:
            return label
    return {AssignmentState.awaiting_signature: "待签发",
            AssignmentState.signed: "待发文",
            AssignmentState.opinion_pending: "待审批会办意见"}.get(state, state)


OPINION_DECISIONS = (Action.approve_opinion.value, Action.return_opinion.value)


def timeline(proposal: Proposal) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.proposal_id == proposal.id,
                                 AuditEvent.outcome == "success")
        .order_by(AuditEvent.seq)
    ))


def visible_timeline(proposal: Proposal, user: User) -> list[tuple[AuditEvent, dict]]:
    """The timeline with each event's details, minus opinions the user may not read."""
    hidden_opinions = {
        a.id for a in proposal.assignments
        if a.role.value == "co" and not permissions.can_view_opinion(user, a)
    }
    # Outside the co-handling unit a 会办意见 is read once its leader approved it; the
    # leader's comments stay within the unit.
    own = {a.id for a in proposal.assignments if a.unit_id == user.unit_id}
    approved = {o.id for a in proposal.assignments if a.role.value == "co"
                for o in a.opinions if o.is_approved}
    hidden_drafts = {a.id for a in proposal.assignments
                     if not permissions.can_read_draft(user, a)}
    result = []
    for event in timeline(proposal):
        details = details_of(event)
        unapproved = ("opinion_id" in details and details["opinion_id"] not in approved
                      and event.object_id not in own)
        if event.action == "submit_opinion" and (event.object_id in hidden_opinions
                                                 or unapproved):
            details = {k: v for k, v in details.items() if k not in {"text", "attachment"}}
        if (event.object_type == "instruction" and details.get("assignment_id") is not None
                and details["assignment_id"] not in own and not permissions.oversees(user)):
            continue  # a unit's leaders' instructions are for the unit and the office
        if event.action in OPINION_DECISIONS and event.object_id not in own:
            details = {k: v for k, v in details.items() if k not in {"note", "comment"}}
        if event.action in DRAFT_ACTIONS and event.object_id in hidden_drafts:
            # Drafters' notes and reviewers' comments belong to the draft.
            details = {k: v for k, v in details.items() if k not in {"note", "comment"}}
        result.append((event, details))
    return result


