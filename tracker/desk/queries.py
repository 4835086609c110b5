"""Read-side queries over every area: the to-do list and the item's timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, func, null, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Role, User
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core import batch
from tracker.core.states import DRAFT_ACTIONS, AssignmentState, ProposalState, ReviewLevel
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment, DeadlineExtension, ExtensionStatus
from tracker.handling.workflow import EXTENSION_STATES, Action, allowed_actions
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


class TodoPage(Pagination):
    """A page of the to-do list: every row counted and ordered, the page's rows loaded."""

    def _query_items(self) -> list[TodoEntry]:
        refs = self._query_args["refs"][self._query_offset:self._query_offset + self.per_page]
        return _todo_entries(self._query_args["user"], refs)

    def _query_count(self) -> int:
        return self._query_args["total"]


# A to-do row before it is loaded, enough to count, order and page it: (deadline, item,
# source (the order of the sources, for rows of the same item and day), kind, id, and the
# instruction for an instruction's row). Plain tuples: sorted in C, hundreds per page.
_Ref = tuple


FAR = date.max


def todo_for(user: User) -> list[TodoEntry]:
    """Everything that waits for this user, soonest deadline first (tests, small lists)."""
    refs, _ = _todo_refs(user)
    return _todo_entries(user, sorted(refs))


def todo_page(user: User, page: int = 1, per_page: int = 30) -> TodoPage:
    """One page of what waits for this user, soonest deadline first.

    Each source of rows is ordered, cut and counted by the database (its rows up to the end
    of the page and its count, in one query); only the page's rows are loaded, and the
    workflow's questions about them are answered for the whole page at once: the cost of a
    page does not grow with the backlog.
    """
    page = max(page, 1)
    refs, total = _todo_refs(user, first=page * per_page)
    return TodoPage(page=page, per_page=per_page, error_out=False, user=user,
                    refs=sorted(refs), total=total)


def _first(query, order: tuple, first: int | None) -> tuple[list, int]:
    """A source's rows (id, item, deadline) and its count: all of them, or only the `first`
    in the list's order (deadline, none last; item; id) with the count of all beside them."""
    if first is None:
        rows = db.session.execute(query).all()
        return rows, len(rows)
    rows = db.session.execute(query.add_columns(func.count().over())
                              .order_by(*order).limit(first)).all()
    return [row[:3] for row in rows], rows[0][3] if rows else 0


def _todo_refs(user: User, first: int | None = None) -> tuple[list[_Ref], int]:
    """The rows' refs (unordered) and how many rows there are in all. With `first`, each
    source gives only its first rows: the first `first` of the whole list are among them."""
    refs: list[_Ref] = []
    total = 0

    def add(query, due, order: int, kind: str) -> None:
        nonlocal total
        rows, count = _first(query, (due.is_(None), due, query.selected_columns[1],
                                     query.selected_columns[0]) if due is not None
                             else (query.selected_columns[0],), first)
        total += count
        refs.extend((d or FAR, pid, order, kind, key, None) for key, pid, d in rows)

    if permissions.is_supervisor(user):
        add(select(Proposal.id, Proposal.id.label("item"), null())
            .where(Proposal.state == ProposalState.registered), None, 0, "assign")
        add(select(Proposal.id, Proposal.id.label("item"), null()).where(or_(
            Proposal.state == ProposalState.rated,
            and_(Proposal.state == ProposalState.replied, rating_period_over_clause()))),
            None, 1, "close")
        add(select(Assignment.id, Assignment.proposal_id, Assignment.return_due_on)
            .where(Assignment.state == AssignmentState.return_requested),
            Assignment.return_due_on, 2, "return")
        add(select(Assignment.id, Assignment.proposal_id, Assignment.due_on)
            .join(DeadlineExtension, DeadlineExtension.assignment_id == Assignment.id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(DeadlineExtension.status == ExtensionStatus.requested.value,
                   # what _extension_pending asks: the request is about today's deadline
                   DeadlineExtension.original_due_on == Assignment.due_on,
                   Assignment.state.in_(sorted(EXTENSION_STATES)),
                   Proposal.state != ProposalState.closed),
            Assignment.due_on, 3, "extension")
    query = _work_query(user)
    if query is not None:
        add(query, Assignment.due_on, 4, "work")
    for instruction in instruction_ops.waiting_for(user):
        assignment = instruction.assignment
        due = assignment.due_on if assignment is not None else None
        refs.append((due or FAR, instruction.proposal_id, 5, "instruction", instruction.id,
                     instruction))
        total += 1
    return refs, total


def _work_query(user: User):
    """The unit's assignments in a state where this user has a part (ids, item, deadline)."""
    states = _todo_states(user)
    if not states:
        return None
    query = (select(Assignment.id, Assignment.proposal_id, Assignment.due_on)
             .join(Proposal, Proposal.id == Assignment.proposal_id)
             .where(Assignment.unit_id == user.unit_id, Assignment.state.in_(sorted(states)),
                    Proposal.state != ProposalState.closed))
    if not user.has_role(Role.unit_clerk):
        # A drafter sees only the items passed to them (reviewers see their level's).
        query = query.where(or_(Assignment.state.not_in(sorted(EARLY_STATES)),
                                Assignment.drafter_id == user.id))
    # A key item is signed by the unit's principal leader, any other by a signer (_signer).
    leader = user.unit is not None and user.unit.principal_leader_id == user.id
    signer = user.has_role(Role.signer)
    if leader != signer:
        query = query.where(or_(Assignment.state != AssignmentState.awaiting_signature,
                                Proposal.is_key.is_(leader)))
    return query


def _todo_entries(user: User, refs: list[_Ref]) -> list[TodoEntry]:
    """The page's rows, loaded in a fixed number of queries."""
    proposal_ids = {key for _, _, _, kind, key, _ in refs if kind in ("assign", "close")}
    assignment_ids = {key for _, _, _, kind, key, _ in refs
                      if kind in ("return", "extension", "work")}
    proposals = {p.id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.id.in_(proposal_ids))
        .options(joinedload(Proposal.meeting), selectinload(Proposal.assignments)))
    } if proposal_ids else {}
    assignments = {a.id: a for a in db.session.scalars(
        select(Assignment).where(Assignment.id.in_(assignment_ids))
        .options(joinedload(Assignment.unit),
                 joinedload(Assignment.proposal).joinedload(Proposal.meeting),
                 joinedload(Assignment.extension)))
    } if assignment_ids else {}
    entries: list[TodoEntry] = []
    # The guards' questions and the wording's are answered for all the page's rows at once.
    with batch.rows([*proposals.values(), *assignments.values()]):
        for _, _, _, kind, key, instruction in refs:
            if kind == "assign":
                entries.append(TodoEntry(proposals[key], None, [Action.assign], None,
                                         "待交办"))
            elif kind == "close":
                entries.append(TodoEntry(proposals[key], None, [Action.close], None,
                                         f"待{Action.close.label}"))
            elif kind == "return":
                a = assignments[key]
                entries.append(TodoEntry(a.proposal, a, allowed_actions(a, user),
                                         a.return_due_on, f"{a.unit.name}申请退回"))
            elif kind == "extension":
                a = assignments[key]
                actions = [x for x in allowed_actions(a, user)
                           if x in (Action.approve_extension, Action.reject_extension)]
                entries.append(TodoEntry(
                    a.proposal, a, actions, a.due_on,
                    f"{a.unit.name}申请延期至{a.extension.requested_due_on}"))
            elif kind == "work":
                a = assignments[key]
                allowed = allowed_actions(a, user)
                actions = [x for x in allowed if x not in SECONDARY_ACTIONS]
                entries.append(TodoEntry(
                    a.proposal, a, actions, a.due_on, _todo_what(a, actions),
                    secondary=[x for x in allowed if x in SECONDARY_ACTIONS]))
            else:
                own = instruction_permissions.is_addressee(user, instruction)
                kind = InstructionKind(instruction.kind).short
                entries.append(TodoEntry(
                    instruction.proposal, instruction.assignment, [],
                    instruction.assignment.due_on if instruction.assignment else None,
                    f"待批示（{kind}）" if own
                    else f"待{instruction.leader_name or '领导'}批示（{kind}）",
                    instruction=instruction))
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
        if (event.object_type == "commitment" and event.unit_id != user.unit_id
                and not permissions.oversees(user)):
            continue  # a unit's commitments are for the unit and the office
        if event.action in OPINION_DECISIONS and event.object_id not in own:
            details = {k: v for k, v in details.items() if k not in {"note", "comment"}}
        if event.action in DRAFT_ACTIONS and event.object_id in hidden_drafts:
            # Drafters' notes and reviewers' comments belong to the draft.
            details = {k: v for k, v in details.items() if k not in {"note", "comment"}}
        result.append((event, details))
    return result


