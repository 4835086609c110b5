"""Each item's similar items, kept in the database (tracker.similar.models).

A page reads an item's stored list when it was ranked for the item's present text
(is_current); otherwise it ranks the list for itself (ranked_now) and queues the job that
stores it: pages never write to the database. refresh() (the job, `flask similar fill`)
ranks a list from the full-text index when the item's text changed or it has none. Each link
is stored both ways, so an item registered later and ranked by its own job is in the older
items' lists at once. A transaction that registers an
item or rewrites its title or body queues its job when it commits.
"""
from __future__ import annotations

import hashlib
from collections import Counter

from sqlalchemy import delete, event, exists, func, inspect, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.proposals.models import Proposal
from tracker.similar import candidates as index
from tracker.similar.models import SimilarLink, SimilarList
from tracker.similar.text import BODY_CHARS, cosine, terms, weigh

# How many of the index's best matches are re-ranked (the pages' lists and the registration
# panel alike).
CANDIDATES = 100


def text_key(title: str, body: str) -> str:
    """What a list is ranked for: the title, or the body's start when there is no title."""
    text = ("t:" + title) if title else ("b:" + body[:BODY_CHARS])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def candidate_ids(title: str, body: str, **options) -> list[int]:
    """Item ids the index finds for the title, best first; for the body's start when there
    is no title yet. (The ranking compares titles: an item found only by its body would rank
    low anyway, and a body's set phrases, 现状与问题, are in every item.)"""
    text = title if terms(title) else body[:BODY_CHARS]
    return index.candidates(text, limit=CANDIDATES, **options) if terms(text) else []


def scored(title: str, body: str, rows) -> list[tuple[int, float]]:
    """(id, score) of rows (id, title, body's start) by the cosine of their text to the
    item's (titles; the body's start with the title when the item has no title), above 0."""
    idf = index.idf()
    if title:
        query, of = title, (lambda row: row[1])
    else:
        query, of = body[:BODY_CHARS], (lambda row: row[1] + (row[2] or ""))
    weights = weigh(Counter(terms(query)), idf)
    scored = [(row[0], cosine(weights, weigh(Counter(terms(of(row))), idf))) for row in rows]
    return [(i, score) for i, score in scored if score > 0]


def _texts(*where):
    return db.session.execute(select(
        Proposal.id, Proposal.title, func.substr(Proposal.body, 1, BODY_CHARS)).where(*where)).all()


def ranked_now(proposal_id: int, title: str, body: str) -> list[tuple[int, float]]:
    """The item's list ranked now and not stored: (id, score), best first."""
    ids = [i for i in candidate_ids(title, body) if i != proposal_id]
    found = scored(title, body, _texts(Proposal.id.in_(ids))) if ids else []
    return sorted(found, key=lambda row: -row[1])


def _store_links(proposal_id: int, scored: list[tuple[int, float]]) -> None:
    """Both ways: each found item is like this one, and this one like it."""
    if not scored:
        return
    rows = [{"proposal_id": proposal_id, "other_id": other, "score": score}
            for other, score in scored]
    rows += [{"proposal_id": other, "other_id": proposal_id, "score": score}
             for other, score in scored]
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SimilarLink)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["proposal_id", "other_id"], set_={"score": statement.excluded.score}),
        rows)


def current_clause(proposal_id: int, title: str, body: str):
    """is_current() as a condition, for a query that reads the stored list."""
    return exists(select(SimilarList.proposal_id).where(
        SimilarList.proposal_id == proposal_id, SimilarList.text_key == text_key(title, body)))


def is_current(proposal_id: int, title: str, body: str) -> bool:
    """Whether the item has a stored list ranked for its present text. (Items registered
    since are in it: their own ranking stores each link both ways.)"""
    return db.session.scalar(select(SimilarList.text_key).where(
        SimilarList.proposal_id == proposal_id)) == text_key(title, body)


def refresh(proposal_id: int, title: str, body: str) -> bool:
    """Rank the item's list and store it, unless it is current (the job, `flask similar
    fill`); whether anything was written."""
    key = text_key(title, body)
    stored_key = db.session.scalar(select(SimilarList.text_key).where(
        SimilarList.proposal_id == proposal_id))
    if stored_key == key:
        return False
    found = ranked_now(proposal_id, title, body)
    db.session.execute(delete(SimilarLink).where(SimilarLink.proposal_id == proposal_id))
    if stored_key is not None:  # its old text's scores in the other items' lists
        db.session.execute(delete(SimilarLink).where(SimilarLink.other_id == proposal_id))
    _store_links(proposal_id, found)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(SimilarList).values(proposal_id=proposal_id, text_key=key,
                                           computed_at=utcnow())
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["proposal_id"], set_={"text_key": statement.excluded.text_key,
                                              "computed_at": statement.excluded.computed_at}))
    return True


# --- following registrations and edits ----------------------------------------------------

# session.info key: ids of the items registered or whose text changed in this transaction.
CHANGED = "similar_changed"


def _note_after_flush(session: Session, _context) -> None:
    for obj in session.new:
        if isinstance(obj, Proposal):
            session.info.setdefault(CHANGED, set()).add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Proposal):
            attrs = inspect(obj).attrs
            if attrs.title.history.has_changes() or attrs.body.history.has_changes():
                session.info.setdefault(CHANGED, set()).add(obj.id)


def _queue_after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the transaction itself may still roll back
    ids = session.info.pop(CHANGED, None)
    if ids:
        from tracker.jobs import queue
        from tracker.similar.jobs import refresh_lists
        queue.enqueue(refresh_lists, sorted(ids))


def _forget(session: Session, *_args) -> None:
    session.info.pop(CHANGED, None)


def _ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost one: nothing is carried past it
        session.info.pop(CHANGED, None)


def install() -> None:
    """Queue the lists of the items each transaction registers or rewrites (idempotent)."""
    if not event.contains(Session, "after_flush", _note_after_flush):
        event.listen(Session, "after_flush", _note_after_flush)
        event.listen(Session, "after_commit", _queue_after_commit)
        event.listen(Session, "after_rollback", _forget)
        event.listen(Session, "after_transaction_end", _ended)


def fill(*, every: bool = False, progress=None) -> int:
    """Rank the lists of the items that have none (every: of all items), committing as it
    goes; how many were ranked. For an installation upgraded to stored lists, and after a
    bulk load (the pages would otherwise rank each item on its first view)."""
    query = select(Proposal.id, Proposal.title, Proposal.body).order_by(Proposal.id)
    if not every:
        query = query.where(~Proposal.id.in_(select(SimilarList.proposal_id)))
    rows = db.session.execute(query).all()
    for done, (proposal_id, title, body) in enumerate(rows, 1):
        if every:
            db.session.execute(delete(SimilarList).where(SimilarList.proposal_id == proposal_id))
        refresh(proposal_id, title.strip(), body.strip())
        if done % 100 == 0 or done == len(rows):
            db.session.commit()
            if progress:
                progress(done, len(rows))
    if rows and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE similar_links"))  # its new size, for the planner
        db.session.commit()
    return len(rows)
