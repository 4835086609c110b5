"""Similar items and a unit's past replies: candidates from the full-text index
(tracker.similar.candidates), re-ranked by the measured method of tracker.similar.text, filtered
to what the user may see."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from tracker.accounts.models import User
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply
from tracker.similar import candidates as index
from tracker.similar import stored
from tracker.similar.models import SimilarLink
from tracker.similar.text import BODY_CHARS, DUPLICATE_THRESHOLD, cosine, terms, weigh


@dataclass
class SimilarItem:
    proposal: Proposal
    score: float
    is_duplicate: bool
    # The visible units' handling (not returned) and their issued replies, each readable.
    assignments: list[Assignment] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)


@dataclass
class PastReply:
    reply: Reply
    proposal: Proposal
    score: float
    paragraphs: list[str]


def _ranked(text: str, candidates: list[Proposal], of) -> list[tuple[Proposal, float]]:
    """candidates by the cosine of their text (of(proposal)) to text, best first."""
    idf = index.idf()
    query = weigh(Counter(terms(text)), idf)
    scored = [(p, cosine(query, weigh(Counter(terms(of(p))), idf))) for p in candidates]
    return sorted((row for row in scored if row[1] > 0), key=lambda row: -row[1])


def similar_items(title: str, user: User, *, body: str = "", exclude_id: int | None = None,
                  meeting_id: int | None = None, limit: int = 8) -> list[SimilarItem]:
    """The items most like a title (and body) that the user may see, of any year; those of
    meeting_id above DUPLICATE_THRESHOLD are flagged as possible duplicates (the registration
    panel: always asked afresh)."""
    title, body = title.strip(), body.strip()
    if not terms(title) and not terms(body):
        return []
    found = stored.candidate_ids(title, body)
    ids = [i for i in found if i != exclude_id]
    if not ids:
        return []
    rows = db.session.scalars(permissions.visible_proposals(user, select(Proposal).where(
        Proposal.id.in_(ids)), few=True).options(
        selectinload(Proposal.meeting),
        selectinload(Proposal.assignments).selectinload(Assignment.unit))).all()
    if title:
        ranked = _ranked(title, rows, lambda p: p.title)
    else:
        ranked = _ranked(body[:BODY_CHARS], rows, lambda p: p.title + p.body[:BODY_CHARS])
    items = [SimilarItem(p, score, meeting_id is not None and p.meeting_id == meeting_id
                         and score >= DUPLICATE_THRESHOLD) for p, score in ranked[:limit]]
    _attach_handling(items, user)
    return items


def similar_to(proposal: Proposal, user: User, *, limit: int = 8) -> list[SimilarItem]:
    """The items most like this one that the user may see (none flagged: it is registered
    already), from its stored list (tracker.similar.stored), brought up to date first."""
    title, body = proposal.title.strip(), proposal.body.strip()
    if not terms(title) and not terms(body):
        return []
    # What the list shows: not the items' bodies.
    loads = (defer(Proposal.body), joinedload(Proposal.meeting),
             selectinload(Proposal.assignments).joinedload(Assignment.unit))
    # The stored list, if it is current for the item's text (one query); when that finds
    # nothing, whether the list is current at all is asked apart.
    rows = db.session.execute(permissions.visible_proposals(user, select(
        Proposal, SimilarLink.score).join(SimilarLink, SimilarLink.other_id == Proposal.id)
        .where(SimilarLink.proposal_id == proposal.id,
               stored.current_clause(proposal.id, title, body)), few=True)
        .order_by(SimilarLink.score.desc(), Proposal.id).limit(limit)
        .options(*loads)).all()
    live = _refresh(proposal, title, body) if not rows else None
    if live is not None:
        scores = dict(live)
        found = db.session.scalars(permissions.visible_proposals(user, select(Proposal).where(
            Proposal.id.in_(scores)), few=True).options(*loads)).all()
        rows = sorted(((p, scores[p.id]) for p in found), key=lambda row: (-row[1], row[0].id))
        rows = rows[:limit]
    items = [SimilarItem(p, score, False) for p, score in rows]
    _attach_handling(items, user)
    return items


def _refresh(proposal: Proposal, title: str, body: str) -> list[tuple[int, float]] | None:
    """None when the item's stored list is up to date for its text (read it); else the list
    ranked now for this page, the stored one being brought up to date by a job (a page never
    writes to the database)."""
    if stored.is_current(proposal.id, title, body):
        return None
    from tracker.jobs import queue
    from tracker.similar.jobs import refresh_lists
    queue.enqueue(refresh_lists, [proposal.id])
    return stored.ranked_now(proposal.id, title, body)


def _stored_ids(proposal: Proposal) -> list[int]:
    """The ids of the item's stored similar list (brought up to date first), best first."""
    title, body = proposal.title.strip(), proposal.body.strip()
    if not terms(title) and not terms(body):
        return []
    live = _refresh(proposal, title, body)
    if live is not None:
        return [other for other, _score in live]
    return list(db.session.scalars(select(SimilarLink.other_id).where(
        SimilarLink.proposal_id == proposal.id).order_by(SimilarLink.score.desc())))


def _attach_handling(items: list[SimilarItem], user: User) -> None:
    """Each item's handling units and the issued replies the user may read: one query."""
    assignments = {a.id: (item, a) for item in items for a in item.proposal.assignments
                   if a.state != AssignmentState.returned}
    for item, a in assignments.values():
        item.assignments.append(a)
    if not assignments:
        return
    replies = db.session.scalars(select(Reply).where(
        Reply.assignment_id.in_(assignments), Reply.issued_at.is_not(None))
        .options(defer(Reply.letter_data))  # its assignment and unit are loaded already
        .order_by(Reply.assignment_id, Reply.round))
    for reply in replies:
        item, assignment = assignments[reply.assignment_id]
        if permissions.can_read_draft(user, assignment):
            item.replies.append(reply)


def paragraphs(body: str) -> list[str]:
    """A draft body's paragraphs: one a line, as the editor writes them."""
    return [line.strip() for line in body.splitlines() if line.strip()]


def past_replies(assignment: Assignment, user: User, *, limit: int = 5) -> list[PastReply]:
    """This unit's issued replies to other items on the same subject, most similar first:
    for the unit's own people only."""
    if user.unit_id != assignment.unit_id:
        return []
    proposal = assignment.proposal
    # Items like this one, and items whose reply of this unit is like it (a reply need not
    # repeat the title): the query below keeps those this unit replied to.
    found = _stored_ids(proposal) + stored.candidate_ids(
        proposal.title, proposal.body, unit_id=assignment.unit_id)
    ids = [i for i in dict.fromkeys(found) if i != proposal.id]
    if not ids:
        return []
    # The last round's issued reply of each of those items, ranked by their titles from
    # light rows; only the shown ones are loaded whole (with their bodies).
    latest: dict[int, tuple[int, str]] = {}
    for reply_id, proposal_id, title in db.session.execute(
            select(Reply.id, Assignment.proposal_id, Proposal.title)
            .join(Assignment, Reply.assignment_id == Assignment.id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Assignment.unit_id == assignment.unit_id, Assignment.proposal_id.in_(ids),
                   Reply.issued_at.is_not(None))
            .order_by(Reply.round.desc())):
        latest.setdefault(proposal_id, (reply_id, title))
    scores = dict(stored.scored(proposal.title, "", [
        (proposal_id, title, None) for proposal_id, (_reply_id, title) in latest.items()]))
    scored = sorted(((score, proposal_id, latest[proposal_id][0])
                     for proposal_id, score in scores.items()), key=lambda row: -row[0])
    shown = [row for row in scored if row[0] > 0][:limit]
    replies = {r.id: r for r in db.session.scalars(
        select(Reply).where(Reply.id.in_([reply_id for _, _, reply_id in shown]))
        .options(selectinload(Reply.draft_version),
                 selectinload(Reply.assignment).selectinload(Assignment.proposal)
                 .selectinload(Proposal.meeting)))} if shown else {}
    return [PastReply(replies[reply_id], replies[reply_id].assignment.proposal, score,
                      paragraphs(_issued_body(replies[reply_id])))
            for score, _proposal_id, reply_id in shown]


def _issued_body(reply: Reply) -> str:
    """The body as the letter printed it (a 并案 member's with its own names filled in)."""
    if reply.letter_data:
        body = json.loads(reply.letter_data).get("body")
        if body:
            return body
    return reply.draft_version.body
