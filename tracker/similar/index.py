"""The inverted index of item titles (similar_terms) and the candidates it finds.

Every flush that adds an item, changes its title or deletes it updates the item's rows in the
same transaction; rows inserted around the ORM (the bulk demo data) are indexed by
`flask similar rebuild`. The document frequencies of the terms, which weigh both the search
for candidates and their re-ranking, are counted from the titles and kept per process until
the number of items changes by a twentieth.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

from sqlalchemy import case, delete, event, exists, func, insert, inspect, select
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply
from tracker.similar.models import SimilarTerm
from tracker.similar.text import terms

# Below this many items the document frequencies are counted afresh on every lookup.
FRESH_BELOW = 2000
# In a large installation, a query term in more than this share of the items does not select
# candidates (it still weighs in the re-ranking): "建设" or "加强" would bring in a third of
# all items. Below FRESH_BELOW items every term selects: reading them all costs little.
COMMON_SHARE = 0.2
BATCH = 5000


def _rows(proposal_id: int, title: str) -> list[dict]:
    return [{"term": t, "proposal_id": proposal_id} for t in sorted(set(terms(title)))]


@event.listens_for(Session, "after_flush")
def _follow_titles(session: Session, _context) -> None:
    """Index the items this flush added, retitled or deleted."""
    changed = [p for p in session.new if isinstance(p, Proposal)]
    changed += [p for p in session.dirty if isinstance(p, Proposal)
                and inspect(p).attrs.title.history.has_changes()]
    gone = [p.id for p in session.deleted if isinstance(p, Proposal)]
    if not changed and not gone:
        return
    connection = session.connection()
    ids = [p.id for p in changed] + gone
    connection.execute(delete(SimilarTerm).where(SimilarTerm.proposal_id.in_(ids)))
    rows = [row for p in changed for row in _rows(p.id, p.title)]
    if rows:
        connection.execute(insert(SimilarTerm), rows)


def rebuild() -> int:
    """Index every item again (after rows were inserted around the ORM); returns the count."""
    db.session.execute(delete(SimilarTerm))
    count, rows = 0, []
    for proposal_id, title in db.session.execute(
            select(Proposal.id, Proposal.title).execution_options(yield_per=BATCH)):
        count += 1
        rows += _rows(proposal_id, title)
        if len(rows) >= BATCH:
            db.session.execute(insert(SimilarTerm), rows)
            rows = []
    if rows:
        db.session.execute(insert(SimilarTerm), rows)
    _frequencies.key = None
    return count


class _DocumentFrequencies:
    """How many item titles hold each term."""

    def __init__(self):
        self.key: tuple | None = None
        self.count = 0
        self.df: Counter = Counter()

    def current(self) -> tuple[int, Counter]:
        count = db.session.scalar(select(func.count(Proposal.id))) or 0
        url = str(db.session.get_bind().engine.url)
        if (self.key is None or self.key[0] != url or count < FRESH_BELOW
                or abs(count - self.count) * 20 > count):
            df: Counter = Counter()
            for title in db.session.scalars(
                    select(Proposal.title).execution_options(yield_per=BATCH)):
                df.update(set(terms(title)))
            self.key, self.count, self.df = (url, count), count, df
        return self.count, self.df


_frequencies = _DocumentFrequencies()


def idf() -> Callable[[str], float]:
    """The inverse document frequency of a term among the item titles (smoothed)."""
    n, df = _frequencies.current()
    return lambda term: math.log((n + 1) / (df.get(term, 0) + 1)) + 1


def candidates(text: str, *, limit: int = 100, unit_id: int | None = None) -> list[int]:
    """The ids of the items whose titles share the most (rarest) bigrams with text, best
    first; with unit_id, only the items that unit has issued a reply to."""
    n, df = _frequencies.current()
    weight = idf()
    wanted = set(terms(text))
    picked = {t for t in wanted if len(t) == 2 and df.get(t, 0) <= max(n * COMMON_SHARE, FRESH_BELOW)}
    if not picked:  # only common bigrams, or a single character: the rarest few terms
        picked = set(sorted(wanted, key=lambda t: df.get(t, 0))[:3])
    picked = {t for t in picked if df.get(t, 0)}
    if not picked:
        return []
    score = func.sum(case({t: weight(t) for t in picked}, value=SimilarTerm.term, else_=0.0))
    query = (select(SimilarTerm.proposal_id).where(SimilarTerm.term.in_(picked))
             .group_by(SimilarTerm.proposal_id)
             .order_by(score.desc(), SimilarTerm.proposal_id.desc()).limit(limit))
    if unit_id is not None:
        query = query.where(exists(
            select(Reply.id).join(Assignment, Reply.assignment_id == Assignment.id).where(
                Assignment.proposal_id == SimilarTerm.proposal_id,
                Assignment.unit_id == unit_id, Reply.issued_at.is_not(None))))
    return list(db.session.scalars(query))
