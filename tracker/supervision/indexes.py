"""Covering indexes for the supervision figures (migration e8b2d3f4a5c6).

Declared here as well as in the migration so that the metadata knows them (autogenerate
would otherwise offer to drop them). Each holds every column its query reads, so SQLite
answers from the index alone instead of visiting the wide rows.
"""
from sqlalchemy import Index

from tracker.handling.models import Assignment, Contact, CoOpinion
from tracker.proposals.models import Proposal
from tracker.replies.models import DraftVersion, Reply

DASHBOARD_INDEXES = [
    # Per unit, state and role: received, acknowledged on time, overdue, re-handled; the
    # unit's items (proposal_id) for the item counts.
    Index("ix_assignments_dashboard", Assignment.unit_id, Assignment.state, Assignment.role,
          Assignment.round, Assignment.due_on, Assignment.return_due_on,
          Assignment.accepted_at, Assignment.first_reply_on, Assignment.reply_on_time,
          Assignment.latest_class, Assignment.latest_rating, Assignment.contacted,
          Assignment.met_in_person, Assignment.opinion_on_time, Assignment.proposal_id),
    # By item: the item list's visibility and unit filters probe it for every item (is
    # there a not-returned assignment of this unit?), and one meeting's figures start
    # from its items.
    Index("ix_assignments_proposal_unit", Assignment.proposal_id, Assignment.unit_id,
          Assignment.state, Assignment.role, Assignment.round, Assignment.due_on,
          Assignment.return_due_on, Assignment.accepted_at),
    # Open assignments past their deadline (overdue items), by state then date.
    Index("ix_assignments_open_due", Assignment.state, Assignment.due_on,
          Assignment.proposal_id),
    # Issued replies: round, date, rating and the draft that holds the result class.
    Index("ix_replies_dashboard", Reply.assignment_id, Reply.round, Reply.issued_at,
          Reply.rating, Reply.draft_version_id),
    Index("ix_draft_versions_result_class", DraftVersion.id, DraftVersion.result_class),
    Index("ix_contacts_assignment_method", Contact.assignment_id, Contact.method),
    # Items by state within a meeting, or of one kind.
    Index("ix_proposals_meeting_state", Proposal.meeting_id, Proposal.state, Proposal.kind),
    Index("ix_proposals_kind_state", Proposal.kind, Proposal.state),
    Index("ix_co_opinions_assignment_submitted", CoOpinion.assignment_id,
          CoOpinion.submitted_at),
]
