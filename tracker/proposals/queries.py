"""Read-side queries: the item list with its filters, the to-do list and the timeline."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Role, User
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.workflow import FINISHED_STATES, Action, allowed_actions
from tracker.proposals.models import Proposal

FINISHED = [s.value for s in FINISHED_STATES]


def overdue_clause(on: date | None = None):
    return exists(select(Assignment.id).where(
        Assignment.proposal_id == Proposal.id,
        Assignment.state.not_in(FINISHED),
        Assignment.due_on < (on or today()),
    ))


@dataclass
class ListFilters:
    meeting_id: int | None = None
    kind: str | None = None
    unit_id: int | None = None
    state: str | None = None
    overdue: bool = False
    key_only: bool = False
    q: str = ""


def proposal_query(user: User, filters: ListFilters) -> Select:
    query = select(Proposal)
    query = permissions.visible_proposals(user, query)
    if filters.meeting_id:
        query = query.where(Proposal.meeting_id == filters.meeting_id)
    if filters.kind:
        query = query.where(Proposal.kind == filters.kind)
    if filters.state:
        query = query.where(Proposal.state == filters.state)
    if filters.unit_id:
        query = query.where(exists(select(Assignment.id).where(
            Assignment.proposal_id == Proposal.id, Assignment.unit_id == filters.unit_id,
            Assignment.state != "returned")))
    if filters.overdue:
        query = query.where(overdue_clause())
    if filters.key_only:
        query = query.where(Proposal.is_key.is_(True))
    if filters.q:
        needle = filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(
            Proposal.title.ilike(f"%{needle}%", escape="\\"),
            Proposal.number == filters.q,
        ))
    return query.options(
        selectinload(Proposal.meeting),
        selectinload(Proposal.authors),
        selectinload(Proposal.assignments).selectinload(Assignment.unit),
    ).order_by(Proposal.received_on.desc(), Proposal.id.desc())


@dataclass
class TodoEntry:
    proposal: Proposal
    assignment: Assignment | None
    actions: list[Action]
    due_on: date | None
    what: str


def todo_for(user: User) -> list[TodoEntry]:
    """What waits for this user, soonest deadline first."""
    entries: list[TodoEntry] = []
    if permissions.is_supervisor(user):
        unassigned = db.session.scalars(
            select(Proposal).where(Proposal.state == "registered")
            .options(selectinload(Proposal.meeting))
        )
        for proposal in unassigned:
            entries.append(TodoEntry(proposal, None, [Action.assign], None, "待交办"))
        returns = db.session.scalars(
            select(Assignment).where(Assignment.state == "return_requested")
            .options(selectinload(Assignment.unit), selectinload(Assignment.proposal))
        )
        for assignment in returns:
            entries.append(TodoEntry(
                assignment.proposal, assignment, allowed_actions(assignment, user),
                assignment.return_due_on, f"{assignment.unit.name}申请退回"))
    if user.has_role(Role.unit_clerk, Role.drafter):
        query = select(Assignment).where(
            Assignment.unit_id == user.unit_id,
            Assignment.state.in_(["assigned", "accepted", "drafting"]),
        ).options(selectinload(Assignment.proposal), selectinload(Assignment.unit))
        if not user.has_role(Role.unit_clerk):
            query = query.where(Assignment.drafter_id == user.id)
        for assignment in db.session.scalars(query):
            actions = [a for a in allowed_actions(assignment, user)
                       if a != Action.record_contact]
            mine = assignment.drafter_id == user.id and assignment.state == "drafting"
            if not actions and not mine:
                continue
            what = {
                "assigned": "待签收",
                "accepted": "待分办" if assignment.role.value != "co" else "待提交会办意见",
                "drafting": "办理中" if assignment.role.value != "co" else "待提交会办意见",
            }[assignment.state]
            entries.append(TodoEntry(assignment.proposal, assignment, actions,
                                     assignment.due_on, what))
    far = date.max
    entries.sort(key=lambda e: (e.due_on or far, e.proposal.id))
    return entries


def timeline(proposal: Proposal) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.proposal_id == proposal.id,
                                 AuditEvent.outcome == "success")
        .order_by(AuditEvent.seq)
    ))


def visible_timeline(proposal: Proposal, user: User) -> list[tuple[AuditEvent, dict]]:
    """The timeline with each event's details, minus opinions the user may not read."""
    hidden = {
        a.id for a in proposal.assignments
        if a.role.value == "co" and not permissions.can_view_opinion(user, a)
    }
    result = []
    for event in timeline(proposal):
        details = details_of(event)
        if event.action == "submit_opinion" and event.object_id in hidden:
            details = {k: v for k, v in details.items() if k not in {"text", "attachment"}}
        result.append((event, details))
    return result
