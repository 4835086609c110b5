"""Running totals per unit and meeting (FigureCount, ReplyDay), so the dashboard adds up a few
hundred rows instead of every assignment.

A group is one unit's assignments of one meeting. When an assignment changes (its row, its
facts, its replies, contacts or opinions: see tracker.supervision.facts), its group is noted
in the session; before the transaction commits, each noted group is counted again from the
assignments (not adjusted by deltas, so a total cannot drift). On PostgreSQL a transaction
takes an advisory lock per unit before counting, so two transactions changing the same group
count one after the other, the second seeing the first's committed rows. Bulk loads call
rebuild(); `flask --app wsgi supervision check-facts` compares the totals with a fresh count.
"""
from __future__ import annotations

from sqlalchemy import delete, event, func, insert, literal, select, union_all
from sqlalchemy.orm import Session

from tracker.core.states import AssignmentState, Satisfaction
from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.proposals.models import Proposal
from tracker.replies.models import Reply
from tracker.supervision.models import COUNTERS, FigureCount, ReplyDay
from tracker.supervision.sqlfunctions import local_date, on_or_before

# session.info keys: ids of assignments whose group must be counted again before commit,
# and of those whose group's reply days must be counted again too (a reply changed, or the
# assignment came, went or changed group: tracker.supervision.facts).
PENDING = "figure_assignments"
PENDING_DAYS = "figure_day_assignments"
# PostgreSQL advisory lock namespace (with the unit id as the second key).
LOCK_SPACE = 73011


def _count_if(condition):
    return func.count().filter(condition)


def _figure_rows(*where):
    """FigureCount's columns, counted from the assignments."""
    a = Assignment
    satisfied, basic = Satisfaction.satisfied.value, Satisfaction.basic.value
    return (
        select(a.unit_id, Proposal.meeting_id, Proposal.kind, a.role, a.state,
               func.count(),
               _count_if(on_or_before(a.accepted_at, a.return_due_on)),
               _count_if(a.round > 1),
               _count_if(a.first_reply_on.is_not(None)),
               _count_if(a.reply_on_time),
               _count_if(a.latest_rating.is_not(None)),
               _count_if(a.latest_rating == satisfied),
               _count_if(a.latest_rating == basic),
               *[_count_if(a.latest_class == c) for c in "ABC"],
               _count_if(a.contacted),
               _count_if(a.met_in_person),
               _count_if(a.opinion_on_time))
        .join(Proposal, Proposal.id == a.proposal_id)
        .where(a.state != AssignmentState.returned, *where)
        .group_by(a.unit_id, Proposal.meeting_id, Proposal.kind, a.role, a.state))


def _day_rows(*where):
    """ReplyDay's columns: first replies by the assignments' first_reply_on, later rounds'
    replies by their issue date."""
    a = Assignment
    first = (select(a.unit_id.label("unit_id"), Proposal.meeting_id.label("meeting_id"),
                    Proposal.kind.label("kind"), a.first_reply_on.label("day"),
                    literal(1).label("first_replies"), literal(0).label("later_replies"))
             .join(Proposal, Proposal.id == a.proposal_id)
             .where(a.first_reply_on.is_not(None), a.role != UnitRole.co,
                    a.state != AssignmentState.returned, *where))
    again = (select(a.unit_id, Proposal.meeting_id, Proposal.kind, local_date(Reply.issued_at),
                    literal(0), literal(1))
             .select_from(Reply)
             .join(a, a.id == Reply.assignment_id)
             .join(Proposal, Proposal.id == a.proposal_id)
             .where(Reply.round > 1, Reply.issued_at.is_not(None),
                    a.state != AssignmentState.returned, *where))
    both = union_all(first, again).subquery()
    return (select(both.c.unit_id, both.c.meeting_id, both.c.kind, both.c.day,
                   func.sum(both.c.first_replies), func.sum(both.c.later_replies))
            .group_by(both.c.unit_id, both.c.meeting_id, both.c.kind, both.c.day))


_FIGURE_COLUMNS = ["unit_id", "meeting_id", "kind", "role", "state", *COUNTERS]
_DAY_COLUMNS = ["unit_id", "meeting_id", "kind", "day", "first_replies", "later_replies"]


def _recount(connection, unit_id: int, meeting_id: int, *, days: bool) -> None:
    where = (Assignment.unit_id == unit_id, Proposal.meeting_id == meeting_id)
    connection.execute(delete(FigureCount).where(FigureCount.unit_id == unit_id,
                                                 FigureCount.meeting_id == meeting_id))
    connection.execute(insert(FigureCount).from_select(_FIGURE_COLUMNS, _figure_rows(*where)))
    if not days:
        return
    connection.execute(delete(ReplyDay).where(ReplyDay.unit_id == unit_id,
                                              ReplyDay.meeting_id == meeting_id))
    connection.execute(insert(ReplyDay).from_select(_DAY_COLUMNS, _day_rows(*where)))


def note(session: Session, assignment_ids, *, days: bool = False) -> None:
    """Have these assignments' groups counted again before the transaction commits (days:
    their reply days too)."""
    ids = {i for i in assignment_ids if i is not None}
    session.info.setdefault(PENDING, set()).update(ids)
    if days:
        session.info.setdefault(PENDING_DAYS, set()).update(ids)


def settle(session: Session | None = None) -> None:
    """Count the noted groups again now (before a commit, or before reading the totals)."""
    session = session if session is not None else db.session
    ids = session.info.pop(PENDING, None)
    day_ids = session.info.pop(PENDING_DAYS, set())
    if not ids:
        return
    connection = session.connection()
    ids = sorted(ids)
    groups: dict[tuple[int, int], bool] = {}
    for start in range(0, len(ids), 500):
        for assignment_id, unit_id, meeting_id in connection.execute(
                select(Assignment.id, Assignment.unit_id, Proposal.meeting_id)
                .join(Proposal, Proposal.id == Assignment.proposal_id)
                .where(Assignment.id.in_(ids[start:start + 500]))):
            key = (unit_id, meeting_id)
            groups[key] = groups.get(key, False) or assignment_id in day_ids
    if connection.dialect.name == "postgresql":
        for unit_id in sorted({unit for unit, _ in groups}):
            connection.execute(select(func.pg_advisory_xact_lock(LOCK_SPACE, unit_id)))
    for (unit_id, meeting_id), days in sorted(groups.items()):
        _recount(connection, unit_id, meeting_id, days=days)


def rebuild(connection=None) -> None:
    """Count every group again (after a bulk load, or to repair)."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(delete(FigureCount))
    connection.execute(insert(FigureCount).from_select(_FIGURE_COLUMNS, _figure_rows()))
    connection.execute(delete(ReplyDay))
    connection.execute(insert(ReplyDay).from_select(_DAY_COLUMNS, _day_rows()))


def differences() -> list[str]:
    """Groups whose stored totals differ from a fresh count, in words (empty: all agree)."""
    def table(query, key_size):
        return {tuple(row[:key_size]): tuple(int(v or 0) for v in row[key_size:])
                for row in db.session.execute(query)}

    stored = table(select(*[getattr(FigureCount, c) for c in _FIGURE_COLUMNS]), 5)
    fresh = table(_figure_rows(), 5)
    stored_days = table(select(*[getattr(ReplyDay, c) for c in _DAY_COLUMNS]), 4)
    fresh_days = table(_day_rows(), 4)
    found = []
    for name, old, new in (("figure_counts", stored, fresh),
                           ("reply_days", stored_days, fresh_days)):
        old = {_key(k): v for k, v in old.items() if any(v)}
        new = {_key(k): v for k, v in new.items() if any(v)}
        for key in sorted(old.keys() | new.keys(), key=str):
            if old.get(key) != new.get(key):
                found.append(f"{name} {key}: 存为 {old.get(key)}，应为 {new.get(key)}")
    return found


def _key(key: tuple) -> tuple:
    """Enum members and dates as plain strings (SQLite gives computed dates as text)."""
    return tuple(part if isinstance(part, int) else str(getattr(part, "value", part))
                 for part in key)


@event.listens_for(Session, "before_commit")
def _settle_before_commit(session: Session) -> None:
    if session.info.get(PENDING) or session.new or session.dirty:
        session.flush()  # (commit flushes after this hook: flush first to note everything)
        settle(session)

