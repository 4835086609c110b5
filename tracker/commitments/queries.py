"""Read side of the commitments: 办成率 in SQL, the item page's card, the annual 回头看.

办成率 = 已落实 ÷ (已落实 + 未落实 + 落实中且已过承诺时限): a commitment counts once it is
settled or its day has passed; one still within its time cannot have failed yet. It is
written here once and used by the dashboard, the public portal and the 回头看.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Unit, User
from tracker.commitments import permissions
from tracker.commitments.choices import COMMITMENT_CLASSES, CommitmentStatus
from tracker.commitments.models import Commitment, CommitmentReport
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.workflow import MAIN_ROLES
from tracker.proposals.models import Meeting, Proposal
from tracker.replies.models import DraftVersion, Reply

DEFINITION = ("办成率 = 已落实 ÷（已落实 + 未落实 + 逾期）。逾期：落实中且已过承诺完成时限"
              "（截至今日）；尚在时限内的承诺事项不计入分母。")


@dataclass
class Rate:
    """The commitments of a unit or a meeting and their 办成率."""

    total: int = 0
    done: int = 0
    not_done: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return self.total - self.done - self.not_done

    @property
    def due(self) -> int:
        """The denominator: settled, or past their day."""
        return self.done + self.not_done + self.overdue

    @property
    def rate(self) -> float | None:
        return self.done / self.due if self.due else None

    def add(self, other: Rate) -> None:
        self.total += other.total
        self.done += other.done
        self.not_done += other.not_done
        self.overdue += other.overdue


def _count_if(condition):
    return func.count().filter(condition)


def done_rates(meeting_id: int | None = None, by: str = "unit", *, kind: str | None = None,
               unit_id: int | None = None, on: date | None = None) -> dict[int, Rate]:
    """办成率 per unit (by="unit": keys are unit ids) or per meeting (by="meeting": meeting
    ids), of the commitments of one meeting's items (None: all), in one grouped query."""
    if by not in ("unit", "meeting"):
        raise ValueError(f"by must be 'unit' or 'meeting', not {by!r}")
    on = on or today()
    key = Commitment.unit_id if by == "unit" else Proposal.meeting_id
    query = (select(key, func.count(),
                    _count_if(Commitment.status == CommitmentStatus.done.value),
                    _count_if(Commitment.status == CommitmentStatus.not_done.value),
                    _count_if(Commitment.is_overdue(on)))
             .group_by(key))
    if by == "meeting" or meeting_id or kind:
        query = query.join(Proposal, Proposal.id == Commitment.proposal_id)
    if meeting_id:
        query = query.where(Proposal.meeting_id == meeting_id)
    if kind:
        query = query.where(Proposal.kind == kind)
    if unit_id:
        query = query.where(Commitment.unit_id == unit_id)
    return {k: Rate(total, done, not_done, overdue)
            for k, total, done, not_done, overdue in db.session.execute(query)}


@dataclass
class UnitRate:
    unit_id: int
    unit_name: str
    rate: Rate


def unit_rates(meeting_id: int | None = None, *, kind: str | None = None,
               unit_id: int | None = None, on: date | None = None) -> tuple[list[UnitRate], Rate]:
    """The units with commitments in scope, in the order of their ids, and the total."""
    rates = done_rates(meeting_id, "unit", kind=kind, unit_id=unit_id, on=on)
    names = dict(db.session.execute(
        select(Unit.id, func.coalesce(func.nullif(Unit.short_name, ""), Unit.name))
        .where(Unit.id.in_(list(rates)))).tuples().all()) if rates else {}
    rows = [UnitRate(uid, names.get(uid, ""), rates[uid]) for uid in sorted(rates)]
    total = Rate()
    for row in rows:
        total.add(row.rate)
    return rows, total


# -- the item page's card -----------------------------------------------------------------

@dataclass
class ReplyCommitments:
    assignment: Assignment
    reply: Reply
    result_class: str
    commitments: list[Commitment]
    can_keep: bool


def card(proposal: Proposal, user: User) -> list[ReplyCommitments]:
    """The item's issued B and C replies the user may see the commitments of, each with its
    commitments, their reports and files (a fixed number of queries)."""
    visible = {a.id: a for a in proposal.assignments
               if a.role in MAIN_ROLES and permissions.can_view_of(user, a)}
    if not visible:
        return []
    rows = db.session.execute(
        select(Reply, DraftVersion.result_class)
        .join(DraftVersion, DraftVersion.id == Reply.draft_version_id)
        .where(Reply.assignment_id.in_(list(visible)), Reply.issued_at.is_not(None),
               DraftVersion.result_class.in_(sorted(COMMITMENT_CLASSES)))
        .order_by(Reply.assignment_id, Reply.round)).all()
    if not rows:
        return []
    by_reply: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in db.session.scalars(
            select(Commitment).where(Commitment.reply_id.in_([r.id for r, _ in rows]))
            .options(selectinload(Commitment.section),
                     selectinload(Commitment.reports).selectinload(CommitmentReport.files),
                     selectinload(Commitment.reports).selectinload(CommitmentReport.reported_by))
            .order_by(Commitment.due_on, Commitment.id)):
        by_reply[commitment.reply_id].append(commitment)
    return [ReplyCommitments(visible[reply.assignment_id], reply, result_class,
                             by_reply.get(reply.id, []),
                             permissions.can_keep(user, visible[reply.assignment_id]))
            for reply, result_class in rows]


# -- 回头看: every issued B/C reply of a year's meetings -------------------------------------

NONE_LISTED = "未登记承诺事项"


@dataclass
class ReviewRow:
    reply: Reply
    meeting: str
    number: str
    title: str
    proposal_id: int
    unit: str
    result_class: str
    commitments: list[Commitment] = field(default_factory=list)
    rate: Rate = field(default_factory=Rate)

    @property
    def state(self) -> str:
        if not self.commitments:
            return NONE_LISTED
        if self.rate.overdue:
            return f"有逾期（{self.rate.overdue} 项）"
        if self.rate.open:
            return "落实中"
        if self.rate.not_done:
            return "已办结（含未落实）"
        return "全部落实"

    @property
    def flagged(self) -> bool:
        return not self.commitments or bool(self.rate.overdue)


def review(year: int, unit_id: int | None = None, on: date | None = None) -> list[ReviewRow]:
    """The 回头看 list: every issued B or C reply of the year's meetings (every round), with
    its commitments; two queries whatever the number of rows."""
    on = on or today()
    query = (select(Reply, Meeting.name, Proposal.number, Proposal.title, Proposal.id,
                    Unit.name, DraftVersion.result_class)
             .join(DraftVersion, DraftVersion.id == Reply.draft_version_id)
             .join(Assignment, Assignment.id == Reply.assignment_id)
             .join(Proposal, Proposal.id == Assignment.proposal_id)
             .join(Meeting, Meeting.id == Proposal.meeting_id)
             .join(Unit, Unit.id == Assignment.unit_id)
             .where(Meeting.year == year, Reply.issued_at.is_not(None),
                    DraftVersion.result_class.in_(sorted(COMMITMENT_CLASSES)))
             .order_by(Meeting.name, func.length(Proposal.number), Proposal.number, Unit.id,
                       Reply.round))
    if unit_id:
        query = query.where(Assignment.unit_id == unit_id)
    rows = [ReviewRow(reply, meeting, number, title, pid, unit, result_class)
            for reply, meeting, number, title, pid, unit, result_class
            in db.session.execute(query)]
    if not rows:
        return rows
    by_reply = {row.reply.id: row for row in rows}
    commitments = db.session.scalars(
        select(Commitment).where(Commitment.reply_id.in_(list(by_reply)))
        .options(selectinload(Commitment.section))
        .order_by(Commitment.due_on, Commitment.id))
    for commitment in commitments:
        row = by_reply[commitment.reply_id]
        row.commitments.append(commitment)
        row.rate.add(Rate(1, int(commitment.status == CommitmentStatus.done),
                          int(commitment.status == CommitmentStatus.not_done),
                          int(commitment.is_overdue(on))))
    return rows


def review_years() -> list[int]:
    """The years that have meetings, newest first (the 回头看's year choice)."""
    return list(db.session.scalars(select(Meeting.year).distinct().order_by(Meeting.year.desc())))
