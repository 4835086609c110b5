"""Who may join and split items (the registering office), and when a group is settled."""
from __future__ import annotations

from sqlalchemy import exists, select

from tracker.accounts.models import User
from tracker.accounts.permissions import can_register
from tracker.core.states import AssignmentState, ProposalState
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply


def is_issued(proposal: Proposal) -> bool:
    """A reply of the item has been issued (发文), or the item is closed."""
    if proposal.state == ProposalState.closed:
        return True
    return bool(db.session.scalar(select(exists().where(
        Reply.assignment_id == Assignment.id, Assignment.proposal_id == proposal.id,
        Reply.issued_at.is_not(None)))))


def active_units(proposal: Proposal) -> list[str]:
    """The units the item is assigned to on its own (not returned)."""
    return [a.unit.name for a in proposal.assignments if a.state != AssignmentState.returned]


def can_join(user: User, lead: Proposal) -> bool:
    """The registering office may join items under this one (it is no member, not issued)."""
    return can_register(user) and lead.merged_into_id is None and not is_issued(lead)


def can_split(user: User, member: Proposal) -> bool:
    """The registering office may split a member off until the group's reply is issued."""
    return (can_register(user) and member.merged_into_id is not None
            and not active_units(member) and not is_issued(member.merged_into))
