"""The similar items' job: an item's stored list ranked in the background once it is registered
or its text changed (tracker.similar.stored), so that its page's first view finds it ready."""
from __future__ import annotations

from sqlalchemy import select

from tracker.extensions import db
from tracker.jobs import queue
from tracker.proposals.models import Proposal
from tracker.similar import stored


@queue.task(retries=1, retry_delay=60)
def refresh_lists(proposal_ids: list[int]) -> str:
    """Bring these items' lists up to date (an item gone since is skipped)."""
    rows = db.session.execute(select(Proposal.id, Proposal.title, Proposal.body).where(
        Proposal.id.in_(proposal_ids)).order_by(Proposal.id)).all()
    for proposal_id, title, body in rows:
        stored.refresh(proposal_id, title.strip(), body.strip())
    return f"{len(rows)} 件"
