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

from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import (
    Select,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY

from tracker.accounts.models import User
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.queries import ListFilters, proposal_query, with_list_loads
from tracker.proposals.models import Proposal
from tracker.search.models import Scope, SearchDocument, Source
from tracker.search.text import Term, contains, parse_query, snippet

HITS_PER_ITEM = 3


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


# The most rows an item list is ranked over: a query matching more (one frequent character)
# ranks the most recent CAP rows among those the user may read with the filters given, so
# that its cost does not grow with the whole archive.
CAP = 1000


def _expression(terms: list[Term], *, any_term: bool = False) -> str:
    if _sqlite():
        return (" OR " if any_term else " AND ").join(f"({t.fts5()})" for t in terms)
    return (" | " if any_term else " & ").join(f"({t.tsquery()})" for t in terms)


def _weight(source_column=None):
    column = SearchDocument.source if source_column is None else source_column
    return case(*((column == source, weight) for source, weight in Source.WEIGHTS.items()),
                else_=1.0)


def readable(user: User):
    """The condition on SearchDocument rows this user may read (None: every row)."""
    if permissions.oversees(user):
        return None
    unit_id = user.unit_id
    if unit_id is None:
        return literal(False)
    def mine(*roles):
        query = select(Assignment.proposal_id).where(
            Assignment.unit_id == unit_id, Assignment.state != AssignmentState.returned)
        return query.where(Assignment.role.in_(roles)) if roles else query

    # Sets computed once from the index ix_assignments_unit_items, not a test per row.
    return or_(
        and_(SearchDocument.proposal_id.in_(mine()), or_(
            SearchDocument.scope == Scope.ITEM,
            SearchDocument.unit_id == unit_id,
            and_(SearchDocument.scope == Scope.REPLY,
                 SearchDocument.proposal_id.in_(mine("co"))),
            and_(SearchDocument.scope == Scope.OPINION,
                 SearchDocument.proposal_id.in_(mine("lead"))))),
        # A 并案 member (no assignments of its own while joined) is seen by its lead's units.
        and_(SearchDocument.scope == Scope.ITEM, SearchDocument.proposal_id.in_(
            select(Proposal.id).where(Proposal.merged_into_id.is_not(None),
                                      Proposal.merged_into_id.in_(mine())))))


def _scoped_readable(user: User):
    """The rows of a unit's part that this user's unit may read (its own, a lead's reply for
    a co-handling unit, an approved opinion for the lead unit): readable()'s rule as a test
    per row, for rows already within items the user sees (the cheaper form there)."""
    unit_id = user.unit_id
    return exists(select(Assignment.id).where(
        Assignment.proposal_id == SearchDocument.proposal_id,
        Assignment.unit_id == unit_id,
        Assignment.state != AssignmentState.returned,
        or_(SearchDocument.unit_id == unit_id,
            and_(SearchDocument.scope == Scope.REPLY, Assignment.role == "co"),
            and_(SearchDocument.scope == Scope.OPINION, Assignment.role == "lead"))))


def matched_docs(user: User | None, terms: list[Term], *, within=None, any_term: bool = False,
                 limit: int = CAP, conditions=(), public: bool = False):
    """(doc_id, proposal_id, source, score) of the most recent `limit` rows that match the
    terms, that the user may read and whose item is in `within` (a select of item ids), as
    a subquery; score (higher is better) is the database's relevance times the source's
    weight. public: the public versions' rows only (the portal), else every row but those."""
    expression = _expression(terms, any_term=any_term)
    where = [*conditions, SearchDocument.scope == Scope.PUBLIC if public
             else SearchDocument.scope != Scope.PUBLIC]
    if user is not None and not permissions.oversees(user):
        if within is None:
            where.append(readable(user))
        else:  # `within` holds only items the user sees: their item-wide rows are readable
            where.append(or_(SearchDocument.scope == Scope.ITEM, _scoped_readable(user)))
    if within is not None:
        where.append(SearchDocument.proposal_id.in_(within))
    if _sqlite():
        fts = table("search_fts", column("rowid"), column("rank"))
        inner = select(SearchDocument.id.label("doc_id"), SearchDocument.proposal_id,
                       SearchDocument.source, (-fts.c.rank).label("relevance")).join(
            fts, fts.c.rowid == SearchDocument.id).where(
            text("search_fts MATCH :expression").bindparams(expression=expression), *where
        ).order_by(fts.c.rowid.desc()).limit(limit).subquery("recent")
        return select(inner.c.doc_id, inner.c.proposal_id, inner.c.source,
                      (inner.c.relevance * _weight(inner.c.source)).label("score")
                      ).subquery("matched")
    query = cast(literal(expression), TSQUERY)
    inner = select(SearchDocument.id.label("doc_id"), SearchDocument.proposal_id,
                   SearchDocument.source).where(
        SearchDocument.tsv.op("@@")(query), *where).order_by(
        # (id + 0: not the primary key's order, which would test every row's terms walking
        # back from the newest; the GIN index finds the matches, the newest are sorted out)
        (SearchDocument.id + 0).desc()).limit(limit).subquery("recent")
    return select(inner.c.doc_id, inner.c.proposal_id, inner.c.source,
                  (func.ts_rank(SearchDocument.tsv, query) * _weight(inner.c.source)
                   ).label("score")).join(SearchDocument, SearchDocument.id == inner.c.doc_id
                                          ).subquery("matched")


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
    # With filters, the rows of the filtered items (which the user sees); without, every row
    # the user may read (a test per row, stopping at CAP: cheaper than listing a unit's items).
    within = (base.with_only_columns(Proposal.id).order_by(None)
              if _without_q(filters) != ListFilters() else None)
    docs = matched_docs(user, terms, within=within)
    # The item numbered as typed comes first, even when more than CAP newer rows hold the
    # number (its score 0 + the number's rank below): added to the matches, then filtered.
    numbered = select(Proposal.id.label("proposal_id"), literal(0.0).label("score")).where(
        Proposal.number == q)
    found = union_all(select(docs.c.proposal_id, docs.c.score), numbered).subquery("found")
    ranked = select(found.c.proposal_id, func.max(found.c.score).label("score")).group_by(
        found.c.proposal_id).subquery("ranked")
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


class Ranked(Pagination):
    """A page of a search's results: their ids ranked once (at most CAP rows' worth), the
    page's rows loaded by id with load(ids) (a select of rows with an id)."""

    def _query_items(self) -> list:
        ids = self._query_args["ids"][self._query_offset:self._query_offset + self.per_page]
        if not ids:
            return []
        rows = {row.id: row for row in db.session.scalars(self._query_args["load"](ids))}
        return [rows[i] for i in ids if i in rows]

    def _query_count(self) -> int:
        return len(self._query_args["ids"])


def paginate(user: User, filters: ListFilters, *, page: int, per_page: int,
             max_per_page: int | None = None) -> Pagination:
    """A page of the item list (with a search text: ranked, the ranking done once)."""
    query = item_query(user, filters)
    if not filters.q:
        return db.paginate(query, page=page, per_page=per_page, max_per_page=max_per_page,
                           error_out=False)
    ids = list(db.session.scalars(query.with_only_columns(Proposal.id)))
    return Ranked(page=page, per_page=per_page, max_per_page=max_per_page, error_out=False,
                  ids=ids, load=lambda page_ids: with_list_loads(
                      select(Proposal).where(Proposal.id.in_(page_ids))))


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
    """The best readable rows of each of these items that contain the query's terms, as
    highlighted snippets (the page's rows are few: they are matched here, not in the index)."""
    terms = parse_query(q or "")
    result = Hits(terms=terms)
    if not terms or not proposal_ids:
        return result
    query = select(SearchDocument.proposal_id, SearchDocument.source, SearchDocument.label,
                   SearchDocument.body).where(SearchDocument.proposal_id.in_(proposal_ids),
                                              SearchDocument.scope != Scope.PUBLIC)
    condition = readable(user)
    if condition is not None:
        query = query.where(condition)
    grouped = defaultdict(list)
    scored = []
    for row in db.session.execute(query):
        text_ = _shown_text(row.source, row.body, terms)
        found = contains(text_, terms) if text_ else 0
        if found:
            scored.append((-found * Source.WEIGHTS.get(row.source, 1.0), row, text_))
    for _, row, text_ in sorted(scored, key=lambda entry: entry[0]):
        if len(grouped[row.proposal_id]) < HITS_PER_ITEM:
            grouped[row.proposal_id].append(Hit(row.source, row.label, snippet(text_, terms)))
    result.by_item = dict(grouped)
    return result


def _shown_text(source: str, body: str, terms: list[Term]) -> str | None:
    """The part of a row a passage is cut from: for the item itself its body, category or
    number, whichever holds the terms (its title is shown highlighted above the passages)."""
    if source != Source.ITEM:
        return body
    number, _title, category, text_ = (body.split("\n", 3) + ["", "", "", ""])[:4]
    for part in (text_, category, number):
        if part and contains(part, terms):
            return part
    return None


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
    conditions = [SearchDocument.source.in_(sources)]
    if unit_id is not None:
        conditions.append(SearchDocument.unit_id == unit_id)
    found = matched_docs(None, terms, any_term=True, limit=CAP, conditions=conditions)
    query = select(found.c.proposal_id, found.c.doc_id, found.c.score).order_by(
        found.c.score.desc(), found.c.doc_id.desc()).limit(limit)
    return [(row[0], row[1], float(row[2])) for row in db.session.execute(query)]
