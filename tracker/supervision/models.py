"""Running totals behind the dashboard, per unit and meeting (tracker.supervision.rollup)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.states import AssignmentState
from tracker.extensions import db

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
