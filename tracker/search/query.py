"""Searching: which index rows match a query and may be read by the user, the items ranked by
their best row, the highlighted snippets of a page of results, and the candidates of the
similar-items lookup.

A row matches when every term of the query matches it (tracker.search.text.Term); its score
is the database's own relevance (SQLite FTS5 bm25, PostgreSQL ts_rank) times its source's
weight; an item's score is its best visible row's.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)

from tracker.accounts.models import User
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.queries import ListFilters, proposal_query
from tracker.proposals.models import Proposal
from tracker.search.models import Scope, SearchDocument, Source
from tracker.search.text import Term, parse_query, snippet

HITS_PER_ITEM = 3


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _matches(terms: list[Term], *, any_term: bool = False):
    """(doc_id, score) of the rows matching the terms (all of them, or any), as a subquery;
    score higher is better."""
    if _sqlite():
        expression = (" OR " if any_term else " AND ").join(f"({t.fts5()})" for t in terms)
        found = text("SELECT rowid AS doc_id, -rank AS score FROM search_fts "
                     "WHERE search_fts MATCH :expression").bindparams(expression=expression)
    else:
        expression = (" | " if any_term else " & ").join(f"({t.tsquery()})" for t in terms)
        found = text("SELECT id AS doc_id, ts_rank(tsv, CAST(:expression AS tsquery)) AS score "
                     "FROM search_documents WHERE tsv @@ CAST(:expression AS tsquery)"
                     ).bindparams(expression=expression)
    return found.columns(doc_id=Integer, score=Float).subquery("matched")


def _weight():
    return case(*((SearchDocument.source == source, weight)
                  for source, weight in Source.WEIGHTS.items()), else_=1.0)


def readable(user: User):
    """The condition on SearchDocument rows this user may read (None: every row)."""
    if permissions.oversees(user):
        return None
    unit_id = user.unit_id
    if unit_id is None:
        return literal(False)
    return exists(select(Assignment.id).where(
        Assignment.proposal_id == SearchDocument.proposal_id,
        Assignment.unit_id == unit_id,
        Assignment.state != AssignmentState.returned,
        or_(SearchDocument.scope == Scope.ITEM,
            SearchDocument.unit_id == unit_id,
            and_(SearchDocument.scope == Scope.REPLY, Assignment.role == "co"),
            and_(SearchDocument.scope == Scope.OPINION, Assignment.role == "lead"))))


def matched_rows(user: User, terms: list[Term]) -> Select:
    """The rows that match and that the user may read: id, item, source, label, body, score."""
    found = _matches(terms)
    query = select(SearchDocument.id, SearchDocument.proposal_id, SearchDocument.source,
                   SearchDocument.label, SearchDocument.body,
                   (found.c.score * _weight()).label("score")
                   ).join(found, found.c.doc_id == SearchDocument.id)
    condition = readable(user)
    return query if condition is None else query.where(condition)


def ranked_items(user: User, terms: list[Term]):
    """(proposal_id, score) of the items with a matching readable row, as a subquery."""
    rows = matched_rows(user, terms).subquery("rows")
    return select(rows.c.proposal_id, func.max(rows.c.score).label("score")).group_by(
        rows.c.proposal_id).subquery("ranked")


def item_query(user: User, filters: ListFilters) -> Select:
    """The item list's query: the filters, and for a search text the matching items, best
    first (an item whose number is the text itself before all)."""
    q = filters.q
    base = _more_filters(proposal_query(user, _without_q(filters)), filters)
    if not q:
        return base
    terms = parse_query(q)
    if not terms:
        return base.where(Proposal.number == q)
    ranked = ranked_items(user, terms)
    return base.join(ranked, ranked.c.proposal_id == Proposal.id).order_by(None).order_by(
        case((Proposal.number == q, 0), else_=1), ranked.c.score.desc(),
        Proposal.received_on.desc(), Proposal.id.desc())


def _more_filters(query: Select, filters: ListFilters) -> Select:
    """The filters on the meeting's year, the issued replies' class and their rating."""
    from tracker.proposals.models import Meeting
    from tracker.replies.models import DraftVersion, Reply

    if filters.year:
        query = query.where(Proposal.meeting_id.in_(
            select(Meeting.id).where(Meeting.year == filters.year)))
    issued = select(Reply.id).join(Assignment, Assignment.id == Reply.assignment_id).where(
        Assignment.proposal_id == Proposal.id, Reply.issued_at.is_not(None))
    if filters.result_class:
        query = query.where(exists(issued.join(
            DraftVersion, DraftVersion.id == Reply.draft_version_id).where(
            DraftVersion.result_class == filters.result_class)))
    if filters.rating:
        query = query.where(exists(issued.where(Reply.rating == filters.rating)))
    return query


def _without_q(filters: ListFilters) -> ListFilters:
    from dataclasses import replace
    return replace(filters, q="")


@dataclass
class Hit:
    source: str
    label: str
    snippet: Markup

    @property
    def source_label(self) -> str:
        return Source.LABELS.get(self.source, self.source)


@dataclass
class Hits:
    terms: list[Term] = field(default_factory=list)
    by_item: dict[int, list[Hit]] = field(default_factory=dict)

    def __call__(self, proposal_id: int) -> list[Hit]:
        return self.by_item.get(proposal_id, [])


def hits(user: User, q: str, proposal_ids: list[int]) -> Hits:
    """The best readable matching rows of each of these items, as highlighted snippets."""
    terms = parse_query(q or "")
    result = Hits(terms=terms)
    if not terms or not proposal_ids:
        return result
    rows = db.session.execute(matched_rows(user, terms).where(
        SearchDocument.proposal_id.in_(proposal_ids))).all()
    grouped = defaultdict(list)
    for row in sorted(rows, key=lambda r: -r.score):
        if len(grouped[row.proposal_id]) < HITS_PER_ITEM:
            grouped[row.proposal_id].append(
                Hit(row.source, row.label, snippet(row.body, terms)))
    result.by_item = dict(grouped)
    return result


def similar_candidates(text_: str, *, limit: int = 100, sources=(Source.ITEM,),
                       unit_id: int | None = None, words: list[str] | None = None
                       ) -> list[tuple[int, int, float]]:
    """(proposal_id, row id, score) of the rows sharing words with the text, best first, any
    of its words matching (no visibility: the caller filters). unit_id: only that unit's
    rows (its replies)."""
    from tracker.search.text import cut_words

    chosen = words if words is not None else cut_words(text_)
    terms = [Term(w, not w.isascii()) for w in chosen[:24]]
    if not terms:
        return []
    found = _matches(terms, any_term=True)
    query = select(SearchDocument.proposal_id, SearchDocument.id, found.c.score).join(
        found, found.c.doc_id == SearchDocument.id).where(SearchDocument.source.in_(sources))
    if unit_id is not None:
        query = query.where(SearchDocument.unit_id == unit_id)
    query = query.order_by(found.c.score.desc(), SearchDocument.id.desc()).limit(limit)
    return [(row[0], row[1], float(row[2])) for row in db.session.execute(query)]
