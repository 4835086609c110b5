"""Running totals behind the dashboard, per unit and meeting (tracker.supervision.rollup),
and the supervising office's urges (催办)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.states import AssignmentState
from tracker.core.time import utcnow
from tracker.extensions import db

# The longest message an urge carries (the form, the operation and the letter share it).
URGE_MESSAGE_MAX = 500
# What the form offers.
URGE_DEFAULT_MESSAGE = "请抓紧办理，按期答复。"

# The counters of FigureCount, in the order of UnitFigures' names.
COUNTERS = ("received", "accepted_on_time", "later_round", "replied", "replied_on_time",
            "rated", "satisfied", "basic", "class_a", "class_b", "class_c", "contacted",
            "face", "co_on_time")


class FigureCount(db.Model):
    """How many of a unit's assignments of one meeting, in one role and state, count towards
    each figure (returned assignments left out)."""

    __tablename__ = "figure_counts"
    __table_args__ = (UniqueConstraint("unit_id", "meeting_id", "role", "state",
                                       name="uq_figure_counts_group"),
                      one_of("state", AssignmentState))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10))
    state: Mapped[AssignmentState] = mapped_column(enum_type(AssignmentState, 30))
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted_on_time: Mapped[int] = mapped_column(Integer, default=0)
    later_round: Mapped[int] = mapped_column(Integer, default=0)
    replied: Mapped[int] = mapped_column(Integer, default=0)
    replied_on_time: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    basic: Mapped[int] = mapped_column(Integer, default=0)
    class_a: Mapped[int] = mapped_column(Integer, default=0)
    class_b: Mapped[int] = mapped_column(Integer, default=0)
    class_c: Mapped[int] = mapped_column(Integer, default=0)
    contacted: Mapped[int] = mapped_column(Integer, default=0)
    face: Mapped[int] = mapped_column(Integer, default=0)
    co_on_time: Mapped[int] = mapped_column(Integer, default=0)


class ReplyDay(db.Model):
    """Replies a unit issued on one day for one meeting's items: first replies and later
    rounds' (re-handling) replies, for the timeline."""

    __tablename__ = "reply_days"
    __table_args__ = (UniqueConstraint("unit_id", "meeting_id", "day",
                                       name="uq_reply_days_group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    first_replies: Mapped[int] = mapped_column(Integer, default=0)
    later_replies: Mapped[int] = mapped_column(Integer, default=0)


class Urge(db.Model):
    """One 催办 of one assignment by the supervising office; the urges of one unit's overdue
    assignments made at once share a batch_id (one 督办函 lists them all)."""

    __tablename__ = "urges"
    __table_args__ = (
        # The dashboard counts urges per unit; the letter gathers a batch.
        Index("ix_urges_unit_id_proposal_id", "unit_id", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    message: Mapped[str] = mapped_column(Text)
    urged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    urged_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The id of the batch's first urge, on every urge of a whole-unit 催办; None for one.
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    assignment = relationship("Assignment")
    proposal = relationship("Proposal")
    unit = relationship("Unit")
    urged_by = relationship("User")
