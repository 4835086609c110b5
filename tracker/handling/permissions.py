"""Who may see and act on what: predicates used by the workflow, the views and the templates."""
from __future__ import annotations

from sqlalchemy import Select, exists, select

from tracker.accounts.models import Role, User

# The role checks live with the accounts; they are part of this module's vocabulary too.
from tracker.accounts.permissions import (  # noqa: F401
    can_register,
    is_admin,
    is_office_leader,
    is_supervisor,
    oversees,
)
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling.models import Assignment, CoOpinion


def is_unit_clerk_of(user: User, assignment: Assignment) -> bool:
    return user.unit_id == assignment.unit_id and user.has_role(Role.unit_clerk)


def is_handler_of(user: User, assignment: Assignment) -> bool:
    """The unit's clerk, or the drafter the item was passed to."""
    if user.unit_id != assignment.unit_id:
        return False
    if user.has_role(Role.unit_clerk):
        return True
    return user.has_role(Role.drafter) and assignment.drafter_id == user.id


def is_opinion_approver_of(user: User, assignment: Assignment) -> bool:
    """Who approves a co-handling unit's 会办意见: its signers, its principal leader, or a
    leader (领导批示) of the unit."""
    if user.unit_id != assignment.unit_id:
        return False
    if assignment.unit.principal_leader_id == user.id:
        return True
    return user.has_role(Role.signer, Role.leader)


def can_view_proposal(user: User, proposal) -> bool:
    if oversees(user):
        return True
    if any(a.unit_id == user.unit_id and a.state != AssignmentState.returned
           for a in proposal.assignments):
        return True
    # A 并案 member is seen by the units that handle its lead item.
    lead = proposal.merged_into
    return lead is not None and any(
        a.unit_id == user.unit_id and a.state != AssignmentState.returned
        for a in lead.assignments)


def can_view_assignment(user: User, assignment: Assignment) -> bool:
    if user.unit_id == assignment.unit_id and assignment.state != AssignmentState.returned:
        return True  # its own unit's (what can_view_proposal would find, without the list)
    return can_view_proposal(user, assignment.proposal)


def can_view_opinion(user: User, assignment: Assignment) -> bool:
    """A co-handling opinion is for the lead unit, its author unit and the supervisors."""
    if oversees(user) or user.unit_id == assignment.unit_id:
        return True
    return any(
        a.unit_id == user.unit_id and a.role.value == "lead" and a.state != AssignmentState.returned
        for a in assignment.proposal.assignments
    )


def can_read_opinion(user: User, opinion: CoOpinion) -> bool:
    """One version of a 会办意见: the approved one as can_view_opinion says; the pending and
    returned versions only within the co-handling unit (its leader approves the pending)."""
    assignment = opinion.assignment
    if user.unit_id == assignment.unit_id:
        return True
    return opinion.is_approved and can_view_opinion(user, assignment)


def visible_opinions(user: User, assignment: Assignment) -> list[CoOpinion]:
    """The versions of the assignment's 会办意见 this user may read, oldest first."""
    if not can_view_opinion(user, assignment):
        return []
    return [o for o in assignment.opinions if can_read_opinion(user, o)]


def can_read_draft(user: User, assignment: Assignment) -> bool:
    """A reply draft: the lead's is read by its unit, the item's co-handling units and the
    supervisors; a 分办 unit's only by itself and the supervisors."""
    if oversees(user) or user.unit_id == assignment.unit_id:
        return True
    if assignment.role.value != "lead":
        return False
    return any(other.unit_id == user.unit_id and other.role.value == "co"
               and other.state != AssignmentState.returned
               for other in assignment.proposal.assignments)


def visible_proposals(user: User, query: Select, *, few: bool = False) -> Select:
    """Restrict a proposals query to what the user may see: the unit's items, and the 并案
    members of the items it handles (a member is seen by the units that handle its lead).
    few: the query itself picks out a few items (a similar list), each then tested by an
    index lookup; else the unit's list of items is read once and matched against all of them
    (a page of the item list: PostgreSQL hashed it once, where per-item lookups took 60 ms
    against 9 for a unit's first page among 4,500 items)."""
    from tracker.proposals.models import Proposal

    if oversees(user):
        return query
    handled = (Assignment.unit_id == user.unit_id,
               Assignment.state != AssignmentState.returned)
    if few:
        mine = exists(select(Assignment.id).where(
            Assignment.proposal_id == Proposal.id, *handled))
        lead = exists(select(Assignment.id).where(
            Assignment.proposal_id == Proposal.merged_into_id, *handled))
    else:
        items = select(Assignment.proposal_id).where(*handled)
        mine, lead = Proposal.id.in_(items), Proposal.merged_into_id.in_(items)
    return query.where(mine | lead)


def download_rule(user: User, attachment) -> bool | None:
    """An item's file: refused unless the item is visible; a co-opinion's as the opinion."""
    from tracker.proposals.models import Proposal

    proposal = db.session.get(Proposal, attachment.proposal_id)
    if proposal is None or not can_view_proposal(user, proposal):
        return False
    opinion = db.session.scalar(select(CoOpinion).where(CoOpinion.attachment_id == attachment.id))
    if opinion is not None:
        return can_read_opinion(user, opinion)
    return None
