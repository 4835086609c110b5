"""Authorised downloads of uploaded files."""
from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.core.errors import Hidden
from tracker.core.views import load_or_404
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.files.storage import path_of
from tracker.handling import permissions
from tracker.handling.models import CoOpinion
from tracker.proposals.models import Proposal
from tracker.ratings.models import Rating

bp = Blueprint("files", __name__)


def can_download(user, attachment: Attachment) -> bool:
    proposal = db.session.get(Proposal, attachment.proposal_id)
    if proposal is None or not permissions.can_view_proposal(user, proposal):
        return False
    opinion = db.session.scalar(select(CoOpinion).where(CoOpinion.attachment_id == attachment.id))
    if opinion is not None:
        return permissions.can_view_opinion(user, opinion.assignment)
    rating = db.session.scalar(select(Rating).where(Rating.scan_id == attachment.id))
    if rating is not None:
        # A scanned 征询意见表: the supervising office and the unit whose reply was rated.
        from tracker.ratings.staff_views import can_view_ratings

        return can_view_ratings(user, rating.reply.assignment)
    return True


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = load_or_404(Attachment, attachment_id)
    if not can_download(current_user, attachment):
        raise Hidden()
    path = path_of(attachment)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.original_name, max_age=0)
