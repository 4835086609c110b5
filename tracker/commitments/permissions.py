"""Who sees and who keeps the commitments (承诺事项) of a reply.

A unit's commitments are its own business and the supervising office's: the unit's users and
the office (督办) read them; other units, even those handling the same item, see nothing. The
unit's clerks (联络员) and the drafter the item was passed to list them, report progress and
close them; the office watches, it does not write them.
"""
from __future__ import annotations

from sqlalchemy import select

from tracker.accounts.models import User
from tracker.accounts.permissions import is_supervisor, oversees
from tracker.commitments.models import Commitment, CommitmentFile, CommitmentReport
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.permissions import is_handler_of
from tracker.handling.workflow import MAIN_ROLES


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def can_view_of(user: User, assignment: Assignment) -> bool:
    """Reads the commitments of this assignment's replies."""
    if not _signed_in(user):
        return False
    if oversees(user):
        return True
    return user.unit_id == assignment.unit_id and assignment.state != AssignmentState.returned


def can_view(user: User, commitment: Commitment) -> bool:
    return can_view_of(user, commitment.assignment)


def can_keep(user: User, assignment: Assignment) -> bool:
    """Lists, reports on and closes the commitments of this assignment's replies: the unit's
    clerks and the drafter of a main (lead, 分办) assignment."""
    return (_signed_in(user) and assignment.role in MAIN_ROLES
            and assignment.state != AssignmentState.returned and is_handler_of(user, assignment))


def can_change(user: User, commitment: Commitment) -> bool:
    """Edits, reports on or closes it: its keepers, while it is 落实中."""
    return commitment.is_open and can_keep(user, commitment.assignment)


def can_review(user: User) -> bool:
    """The annual 回头看 list: the supervising office's clerks."""
    return is_supervisor(user)


def download_rule(user: User, attachment) -> bool | None:
    """A progress report's file goes to whoever may read the commitment."""
    commitment = db.session.scalar(
        select(Commitment).join(CommitmentReport, CommitmentReport.commitment_id == Commitment.id)
        .join(CommitmentFile, CommitmentFile.report_id == CommitmentReport.id)
        .where(CommitmentFile.attachment_id == attachment.id))
    return None if commitment is None else can_view(user, commitment)
