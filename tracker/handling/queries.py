"""The item list: its filters, what the user may see, and which items are overdue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import User
from tracker.core.states import AssignmentState
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal


def overdue_clause(on: date | None = None):
    """An item is overdue when any of its assignments is (Assignment.is_overdue)."""
    return exists(select(Assignment.id).where(
        Assignment.proposal_id == Proposal.id, Assignment.is_overdue(on)))


@dataclass
class ListFilters:
    meeting_id: int | None = None
    kind: str | None = None
    unit_id: int | None = None
    state: str | None = None
    overdue: bool = False
    key_only: bool = False
    q: str = ""  # the full-text search: tracker.search.query.item_query, not here
    # Applied by tracker.search.query.item_query (they read replies and meetings).
    year: int | None = None
    result_class: str | None = None  # A / B / C of an issued reply
    rating: str | None = None  # Satisfaction of an issued reply


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
            Assignment.state != AssignmentState.returned)))
    if filters.overdue:
        query = query.where(overdue_clause())
    if filters.key_only:
        query = query.where(Proposal.is_key.is_(True))
    return with_list_loads(query).order_by(Proposal.received_on.desc(), Proposal.id.desc())


def with_list_loads(query: Select) -> Select:
    """What a list row shows, loaded for the whole page at once."""
    return query.options(
        joinedload(Proposal.meeting),
        selectinload(Proposal.authors),
        selectinload(Proposal.assignments).joinedload(Assignment.unit),
    )
