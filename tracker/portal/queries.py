"""What the portal reads: the latest public version of each published reply, filtered and
searched, and the facts of the public statistics. Nothing here reads an internal text: the
rows are the publications (their header and public text) and the search index's public rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, exists, extract, func, select
from sqlalchemy.orm import aliased

from tracker.accounts.models import Unit
from tracker.extensions import db
from tracker.proposals.models import Meeting, Proposal
from tracker.publication.models import Publication
from tracker.search.models import SearchDocument
from tracker.search.query import Ranked, matched_docs
from tracker.search.text import Term, parse_query

FEED_ENTRIES = 50


@dataclass(frozen=True)
class Filters:
    q: str = ""
    meeting_id: int | None = None
    unit_id: int | None = None
    year: int | None = None
    category: str = ""

    @property
    def any(self) -> bool:
        return bool(self.q or self.meeting_id or self.unit_id or self.year or self.category)


def _latest():
    """The condition: a reply's latest version (a correction replaces it in the lists): no
    newer version of the same reply (one probe of the unique (reply_id, version) index)."""
    newer = aliased(Publication)
    return ~exists(select(newer.id).where(newer.reply_id == Publication.reply_id,
                                          newer.version > Publication.version))


def _filtered(filters: Filters) -> Select:
    query = select(Publication).where(_latest())
    if filters.meeting_id:
        query = query.where(Publication.proposal_id.in_(
            select(Proposal.id).where(Proposal.meeting_id == filters.meeting_id)))
    if filters.unit_id:
        query = query.where(Publication.unit_id == filters.unit_id)
    if filters.year:
        query = query.where(Publication.published_on >= date(filters.year, 1, 1),
                            Publication.published_on < date(filters.year + 1, 1, 1))
    if filters.category:
        query = query.where(Publication.category == filters.category)
    return query


def search(filters: Filters, *, page: int, per_page: int) -> tuple[Pagination, list[Term]]:
    """A page of the published replies (latest versions), newest first; with a search text,
    those whose public row matches it (the same index and terms as the inside search,
    restricted to the public rows), best first, or the one whose 索引号 it is."""
    query = _filtered(filters)
    terms = parse_query(filters.q) if filters.q else []
    if not filters.q:
        query = query.order_by(Publication.published_on.desc(), Publication.id.desc())
        return db.paginate(query, page=page, per_page=per_page, error_out=False), terms
    scores: dict[int, float] = {}
    if terms:
        # With filters, the rows of the filtered publications only: the most recent CAP
        # matches are taken among them, not among all and then filtered.
        within = [SearchDocument.source_id.in_(_filtered(filters).with_only_columns(
            Publication.id))] if filters != Filters(q=filters.q) else []
        docs = matched_docs(None, terms, public=True, conditions=within)
        for source_id, score in db.session.execute(
                select(SearchDocument.source_id, func.max(docs.c.score))
                .join(docs, docs.c.doc_id == SearchDocument.id)
                .group_by(SearchDocument.source_id)):
            scores[source_id] = float(score)
    exact = query.where(Publication.index_number == filters.q.strip())
    rows = db.session.execute(
        query.with_only_columns(Publication.id, Publication.published_on)
        .where(Publication.id.in_(list(scores)))
        .union(exact.with_only_columns(Publication.id, Publication.published_on))).all()
    ranked = sorted(rows, key=lambda r: (-scores.get(r[0], float("inf")), -r[1].toordinal(),
                                         -r[0]))
    return Ranked(page=page, per_page=per_page, error_out=False, ids=[r[0] for r in ranked],
                  load=lambda ids: select(Publication).where(Publication.id.in_(ids))), terms


def versions(publication: Publication) -> list[Publication]:
    """Every version of the same reply, oldest first."""
    return list(db.session.scalars(select(Publication).where(
        Publication.reply_id == publication.reply_id).order_by(Publication.version)))


def feed(limit: int = FEED_ENTRIES) -> list[Publication]:
    """The newest published versions (first publications and corrections), newest first."""
    return list(db.session.scalars(select(Publication).order_by(
        Publication.published_at.desc(), Publication.id.desc()).limit(limit)))


@dataclass
class Facets:
    meetings: list[tuple[int, str]]
    units: list[tuple[int, str]]
    years: list[int]
    categories: list[str]


# The filters' choices change only with a new publication: kept per process, keyed by the
# newest publication (id, time) and the count (a unit renamed shows with the next one).
_facets: dict[str, tuple[tuple, Facets]] = {}


def facets() -> Facets:
    """The choices of the list's filters: only what has something published."""
    key = tuple(db.session.execute(select(func.max(Publication.id), func.count(Publication.id),
                                          func.max(Publication.published_at))).one())
    kept = _facets.get("all")
    if kept is not None and kept[0] == key:
        return kept[1]
    found = _facets_now()
    _facets["all"] = (key, found)
    return found


def _facets_now() -> Facets:
    meetings = db.session.execute(
        select(Meeting.id, Meeting.name).where(Meeting.id.in_(
            select(Proposal.meeting_id).where(Proposal.id.in_(
                select(Publication.proposal_id))))).order_by(Meeting.year.desc(), Meeting.name))
    units = db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_(select(Publication.unit_id))).order_by(Unit.name))
    years = db.session.scalars(select(extract("year", Publication.published_on)).distinct())
    categories = db.session.scalars(select(Publication.category).distinct().order_by(
        Publication.category))
    return Facets([tuple(r) for r in meetings], [tuple(r) for r in units],
                  sorted((int(y) for y in years), reverse=True), list(categories))
