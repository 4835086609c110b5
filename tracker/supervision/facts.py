"""The supervision facts of each assignment, kept up to date from their sources.

The dashboard counts, per unit, assignments replied on time, rated 满意, with a face-to-face
contact… Joining the replies, draft versions, contacts and opinions for 100,000 items on every
page view is too slow, so each assignment carries these facts as columns (Assignment.
first_reply_on … opinion_on_time), computed here by one UPDATE from the source rows:

- first_reply_on: the China date the round-1 reply was issued (first replies, timeline);
- reply_on_time: the reply of the current round is issued, on or before due_on;
- latest_class: the result class (A/B/C) of the latest issued reply;
- latest_rating: the rating of the latest rated reply (after 不满意 and before the next
  rating that is the 不满意);
- contacted / met_in_person: at least one contact / one 面商 with the authors;
- opinion_on_time: (co-handling) an opinion approved by the unit's leader on or before
  due_on (the approval is the opinion's date: until then it has not gone out).

Nothing sets them by hand: a session hook refreshes, after each flush, the facts of the
assignments whose replies, contacts, opinions or own rows changed in it; bulk loads that go
around the ORM (tracker.demo_bulk) call refresh_all(). `flask supervision check-facts`
compares the stored facts with freshly computed ones.
"""
from __future__ import annotations

from sqlalchemy import and_, event, exists, func, inspect, select, update
from sqlalchemy.orm import Session

from tracker.extensions import db
from tracker.handling.models import Assignment, Contact, ContactMethod, CoOpinion, OpinionStatus
from tracker.handling.workflow import MOVED_ASSIGNMENTS, MOVED_RETURNED
from tracker.replies.models import DraftVersion, Reply
from tracker.supervision import rollup
from tracker.supervision.sqlfunctions import local_date, on_or_before

FACTS = ("first_reply_on", "reply_on_time", "latest_class", "latest_rating", "contacted",
         "met_in_person", "opinion_on_time")


def _computed() -> dict:
    """Each fact as an SQL expression correlated with the assignment row."""
    issued = and_(Reply.assignment_id == Assignment.id, Reply.issued_at.is_not(None))
    return {
        "first_reply_on": select(local_date(func.min(Reply.issued_at)))
        .where(issued, Reply.round == 1).scalar_subquery(),
        "reply_on_time": exists().where(
            issued, Reply.round == Assignment.round,
            on_or_before(Reply.issued_at, Assignment.due_on)),
        "latest_class": select(DraftVersion.result_class)
        .join(Reply, Reply.draft_version_id == DraftVersion.id)
        .where(issued).order_by(Reply.round.desc()).limit(1).scalar_subquery(),
        "latest_rating": select(Reply.rating)
        .where(Reply.assignment_id == Assignment.id, Reply.rating.is_not(None))
        .order_by(Reply.round.desc()).limit(1).scalar_subquery(),
        "contacted": exists().where(Contact.assignment_id == Assignment.id),
        "met_in_person": exists().where(Contact.assignment_id == Assignment.id,
                                        Contact.method == ContactMethod.face),
        "opinion_on_time": exists().where(
            CoOpinion.assignment_id == Assignment.id,
            CoOpinion.status == OpinionStatus.approved.value,
            on_or_before(CoOpinion.decided_at, Assignment.due_on)),
    }


def refresh(connection, assignment_ids) -> None:
    """Recompute the facts of these assignments (by primary key)."""
    ids = sorted(set(assignment_ids))
    # In chunks: SQLite allows a limited number of bound parameters.
    for start in range(0, len(ids), 500):
        connection.execute(update(Assignment)
                           .where(Assignment.id.in_(ids[start:start + 500]))
                           .values(**_computed())
                           .execution_options(synchronize_session=False))


def refresh_all(connection=None) -> None:
    """Recompute the facts of every assignment (after a bulk load, or to repair)."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(update(Assignment).values(**_computed())
                       .execution_options(synchronize_session=False))


def mismatches(limit: int = 20) -> list[tuple[int, str, object, object]]:
    """Assignments whose stored facts differ from freshly computed ones, as
    (assignment id, fact, stored, computed); at most `limit` of them."""
    computed = _computed()
    query = select(Assignment.id, *[getattr(Assignment, name) for name in FACTS],
                   *[computed[name] for name in FACTS]).order_by(Assignment.id)
    found = []
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        stored, fresh = row[1:1 + len(FACTS)], row[1 + len(FACTS):]
        for name, old, new in zip(FACTS, stored, fresh):
            if _normal(old) != _normal(new):
                found.append((row[0], name, old, new))
        if len(found) >= limit:
            break
    return found[:limit]


def _normal(value):
    """SQLite gives booleans as 0/1 and computed dates as text."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    return str(value) if value is not None else None


# What a change to each kind of row means for the facts: whose facts to refresh.
_SOURCES = {
    Reply: lambda obj: obj.assignment_id,
    Contact: lambda obj: obj.assignment_id,
    CoOpinion: lambda obj: obj.assignment_id,
    Assignment: lambda obj: obj.id,
}


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, _context) -> None:
    """Refresh the facts of the assignments touched by this flush (in the same transaction,
    so a rollback takes the facts back with the change)."""
    # Moved by the workflow's conditional UPDATE (round, state): not seen as dirty objects.
    touched = set(session.info.pop(MOVED_ASSIGNMENTS, ()))
    # Whose reply days may change too: a reply, or an assignment coming or going.
    days = set(session.info.pop(MOVED_RETURNED, ()))
    for obj in (*session.new, *session.dirty, *session.deleted):
        source = _SOURCES.get(type(obj))
        if source is None:
            continue
        if type(obj) is Reply:
            days.add(obj.assignment_id)
        elif type(obj) is Assignment and _counted_apart(obj):
            days.add(obj.id)
        if type(obj) is Assignment and not _source_changed(obj):
            continue
        assignment_id = source(obj)
        if assignment_id is not None:
            touched.add(assignment_id)
    if touched:
        refresh(session.connection(), touched)
    # The unit's totals: new assignments count as received; any change may move a figure.
    rollup.note(session, touched | {obj.id for obj in (*session.new, *session.dirty)
                                    if type(obj) is Assignment})
    rollup.note(session, days, days=True)


# What places an assignment in the reply days' groups (tracker.supervision.rollup._day_rows).
_DAY_INPUTS = ("unit_id", "proposal_id", "role", "state", "first_reply_on")


def _counted_apart(assignment: Assignment) -> bool:
    """A new or deleted assignment, or one whose reply days' grouping changed."""
    state = inspect(assignment)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[name].history.has_changes() for name in _DAY_INPUTS)


# The assignment columns a fact depends on (a change to the facts themselves does not count).
_ASSIGNMENT_INPUTS = ("round", "due_on", "state")


def _source_changed(assignment: Assignment) -> bool:
    state = inspect(assignment)
    if state.pending:
        return False  # a new assignment has no replies or contacts yet: defaults hold
    return any(state.attrs[name].history.has_changes() for name in _ASSIGNMENT_INPUTS)
