"""Similar items and a unit's past replies: candidates from the full-text index
(tracker.similar.candidates), re-ranked by the measured method of tracker.similar.text, filtered
to what the user may see."""
from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import User
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply
from tracker.similar import candidates as index
from tracker.similar.text import BODY_CHARS, DUPLICATE_THRESHOLD, cosine, terms, weigh

# How many of the index's best matches are re-ranked.
CANDIDATES = 100


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


def _candidate_ids(title: str, body: str, **options) -> list[int]:
    """Item ids the index finds for the title, best first; for the body's start when there
    is no title yet. (The ranking compares titles: an item found only by its body would rank
    low anyway, and a body's set phrases, 现状与问题, are in every item.)"""
    text = title if terms(title) else body[:BODY_CHARS]
    return index.candidates(text, limit=CANDIDATES, **options) if terms(text) else []


class _CandidateCache:
    """The index's candidates for a text, kept a few minutes (SIMILAR_CACHE_SECONDS) in each
    process: the item page asks them on every view, and they cost a full-text ranking of up to
    a thousand rows. Who may see each candidate is still decided per request. Registration
    never uses it: a duplicate registered a minute ago must be found at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: TTLCache | None = None

    def ids(self, title: str, body: str) -> list[int]:
        seconds = int(current_app.config.get("SIMILAR_CACHE_SECONDS", 0))
        if seconds <= 0:
            return _candidate_ids(title, body)
        key = (str(db.session.get_bind().engine.url), title, body[:BODY_CHARS])
        with self._lock:
            if self._cache is None or self._cache.ttl != seconds:
                self._cache = TTLCache(maxsize=4096, ttl=seconds)
            found = self._cache.get(key)
        if found is None:
            found = _candidate_ids(title, body)
            with self._lock:
                self._cache[key] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._cache = None


item_page_candidates = _CandidateCache()


def similar_items(title: str, user: User, *, body: str = "", exclude_id: int | None = None,
                  meeting_id: int | None = None, limit: int = 8,
                  cached: bool = False) -> list[SimilarItem]:
    """The items most like a title (and body) that the user may see, of any year; those of
    meeting_id above DUPLICATE_THRESHOLD are flagged as possible duplicates. ``cached``: the
    candidates may be a few minutes old (the item page)."""
    title, body = title.strip(), body.strip()
    if not terms(title) and not terms(body):
        return []
    found = item_page_candidates.ids(title, body) if cached else _candidate_ids(title, body)
    ids = [i for i in found if i != exclude_id]
    if not ids:
        return []
    rows = db.session.scalars(permissions.visible_proposals(user, select(Proposal).where(
        Proposal.id.in_(ids))).options(
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
    """The items most like this one (none flagged: it is registered already)."""
    return similar_items(proposal.title, user, body=proposal.body, exclude_id=proposal.id,
                         limit=limit, cached=True)


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
        .options(selectinload(Reply.assignment).selectinload(Assignment.unit))
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
    found = _candidate_ids(proposal.title, proposal.body) + _candidate_ids(
        proposal.title, proposal.body, unit_id=assignment.unit_id)
    ids = [i for i in dict.fromkeys(found) if i != proposal.id]
    if not ids:
        return []
    replies = db.session.scalars(
        select(Reply).join(Assignment, Reply.assignment_id == Assignment.id).where(
            Assignment.unit_id == assignment.unit_id, Assignment.proposal_id.in_(ids),
            Reply.issued_at.is_not(None))
        .options(selectinload(Reply.draft_version),
                 selectinload(Reply.assignment).selectinload(Assignment.proposal)
                 .selectinload(Proposal.meeting))
        .order_by(Reply.round.desc())).all()
    latest: dict[int, Reply] = {}
    for reply in replies:  # the last round's reply of each item
        latest.setdefault(reply.assignment.proposal_id, reply)
    by_proposal = {r.assignment.proposal_id: r for r in latest.values()}
    ranked = _ranked(proposal.title, [r.assignment.proposal for r in latest.values()],
                     lambda p: p.title)
    return [PastReply(by_proposal[p.id], p, score, paragraphs(_issued_body(by_proposal[p.id])))
            for p, score in ranked[:limit]]


def _issued_body(reply: Reply) -> str:
    """The body as the letter printed it (a 并案 member's with its own names filled in)."""
    if reply.letter_data:
        body = json.loads(reply.letter_data).get("body")
        if body:
            return body
    return reply.draft_version.body
