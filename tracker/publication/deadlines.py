"""The publication deadline (办理结果公开 within PUBLICATION_WORKDAYS working days of the reply,
replies.publish_due_on set at issue): the replies still to publish, those overdue, and the
daily warning to their units."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.accounts.models import Unit
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.notifications.choices import NotificationKind
from tracker.notifications.operations import (
    item_name,
    notify_people,
    unit_clerks,
    unit_leaders,
)
from tracker.proposals.models import Proposal
from tracker.publication.models import Publication
from tracker.replies.models import Reply


def _published():
    return exists(select(Publication.id).where(Publication.reply_id == Reply.id))


def unpublished():
    """Issued replies due for publication and not published yet (their query)."""
    return select(Reply).where(Reply.publish_due_on.is_not(None), ~_published())


def _scoped(query, unit_id: int | None, meeting_id: int | None, kind: str | None):
    """query (over Reply joined to its Assignment) narrowed to a unit, a meeting, a kind."""
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    if meeting_id is not None or kind is not None:
        query = query.join(Proposal, Proposal.id == Assignment.proposal_id)
        if meeting_id is not None:
            query = query.where(Proposal.meeting_id == meeting_id)
        if kind is not None:
            query = query.where(Proposal.kind == kind)
    return query


def overdue(on: date | None = None, unit_id: int | None = None, *,
            meeting_id: int | None = None, kind: str | None = None,
            limit: int | None = None) -> list[Reply]:
    """The replies whose public version is past its day, the longest overdue first."""
    query = unpublished().join(Assignment, Assignment.id == Reply.assignment_id).where(
        Reply.publish_due_on < (on or today())).order_by(Reply.publish_due_on, Reply.id
    ).options(selectinload(Reply.assignment).options(
        joinedload(Assignment.proposal), joinedload(Assignment.unit)))
    return list(db.session.scalars(
        _scoped(query, unit_id, meeting_id, kind).limit(limit)))


@dataclass
class UnitFigures:
    unit_id: int
    due: int = 0          # replies to publish (published or not)
    published: int = 0
    on_time: int = 0      # published by their day
    overdue: int = 0      # not published, past their day

    def add(self, other: UnitFigures) -> None:
        self.due += other.due
        self.published += other.published
        self.on_time += other.on_time
        self.overdue += other.overdue


def by_unit(on: date | None = None, *, unit_id: int | None = None,
            meeting_id: int | None = None, kind: str | None = None) -> dict[int, UnitFigures]:
    """Per unit: the replies due for publication, published, published on time, overdue
    (one grouped query)."""
    on = on or today()
    first = select(Publication.reply_id, func.min(Publication.published_on).label("first_on")
                   ).group_by(Publication.reply_id).subquery("first")
    query = (select(Assignment.unit_id, func.count(Reply.id),
                    func.count(first.c.reply_id),
                    func.sum(case((first.c.first_on <= Reply.publish_due_on, 1), else_=0)),
                    func.sum(case((and_(first.c.reply_id.is_(None),
                                        Reply.publish_due_on < on), 1), else_=0)))
             .join(Assignment, Assignment.id == Reply.assignment_id)
             .outerjoin(first, first.c.reply_id == Reply.id)
             .where(Reply.publish_due_on.is_not(None))
             .group_by(Assignment.unit_id))
    query = _scoped(query, unit_id, meeting_id, kind)
    return {unit_id: UnitFigures(unit_id, due, published, int(on_time or 0), int(late or 0))
            for unit_id, due, published, on_time, late in db.session.execute(query)}


@dataclass
class Board:
    """The dashboard's 办理结果公开 section."""

    units: list[tuple[str, UnitFigures]]  # (unit name, figures), by name
    total: UnitFigures
    overdue: list[Reply]
    overdue_count: int


def board(on: date | None = None, *, unit_id: int | None = None,
          meeting_id: int | None = None, kind: str | None = None, shown: int = 20) -> Board:
    on = on or today()
    figures = by_unit(on, unit_id=unit_id, meeting_id=meeting_id, kind=kind)
    names = {k: v for k, v in db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(list(figures))))}
    total = UnitFigures(0)
    for f in figures.values():
        total.add(f)
    return Board(sorted(((names[k], f) for k, f in figures.items()), key=lambda e: e[0]),
                 total, overdue(on, unit_id, meeting_id=meeting_id, kind=kind, limit=shown),
                 total.overdue)


def warn(on: date | None = None) -> int:
    """Tell each overdue reply's unit (its clerks, and its leader) once per reply and day
    due; returns how many people were told anew."""
    on = on or today()
    told = 0
    for reply in overdue(on):
        assignment = reply.assignment
        clerks = unit_clerks(assignment.unit_id)
        proposal = assignment.proposal
        text = (f"{item_name(proposal)}的答复（{reply.doc_number}）应于 "
                f"{reply.publish_due_on.isoformat()} 前公开，已逾期，请尽快完成公开审查并确认公开。")
        told += notify_people(
            [*clerks, *unit_leaders(assignment.unit)], NotificationKind.publication_overdue,
            text, key=f"publication_overdue:{reply.id}:{reply.publish_due_on.isoformat()}",
            assignment=assignment, subject="答复公开逾期提醒",
            sms_text=f"您单位有一件答复公开已逾期（应于 {reply.publish_due_on.isoformat()} 前公开），"
                     "请登录系统处理。")
    return told
