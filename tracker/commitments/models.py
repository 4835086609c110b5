"""Commitments (承诺事项) of issued B and C replies, and the progress reported on them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.commitments.choices import CommitmentStatus
from tracker.core.dbtypes import all_of, enum_type, one_of
from tracker.core.time import today, utcnow
from tracker.extensions import db

WHAT_MAX = 1000
NOTE_MAX = 2000


class Commitment(db.Model):
    """One measure a reply promises: what, by when, which section is responsible. It stays
    落实中 until the unit closes it as 已落实 (on a date) or 未落实 (with the reason)."""

    __tablename__ = "commitments"
    __table_args__ = (
        one_of("status", CommitmentStatus),
        CheckConstraint("length(trim(what)) > 0", name="has_what"),
        CheckConstraint("status <> 'done' OR done_on IS NOT NULL", name="done_has_date"),
        CheckConstraint("status <> 'not_done' OR length(trim(closing_note)) > 0",
                        name="not_done_explained"),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_when_not_open"),
        CheckConstraint("status = 'done' OR done_on IS NULL", name="done_on_only_when_done"),
        CheckConstraint("authors_told_at IS NULL OR status = 'done'", name="told_when_done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"),
                                          index=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    # The responsible section (责任处室) of the unit.
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="SET NULL"))
    status: Mapped[CommitmentStatus] = mapped_column(
        enum_type(CommitmentStatus, 10), default=CommitmentStatus.open, index=True)
    done_on: Mapped[date | None] = mapped_column(Date)
    # Why it was not done (未落实), or a closing remark when it was.
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    authors_told_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    reply = relationship("Reply")
    assignment = relationship("Assignment")
    proposal = relationship("Proposal")
    unit = relationship("Unit")
    section = relationship("Section")
    created_by = relationship("User", foreign_keys=[created_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    reports: Mapped[list[CommitmentReport]] = relationship(
        back_populates="commitment", order_by="CommitmentReport.id",
        cascade="all, delete-orphan")

    @hybrid_method
    def is_overdue(self, on: date | None = None) -> bool:
        """Still 落实中 and past the day it was promised for (逾期)."""
        return all_of(self.status == CommitmentStatus.open.value, self.due_on < (on or today()))

    @property
    def is_open(self) -> bool:
        return self.status == CommitmentStatus.open


class CommitmentReport(db.Model):
    """A progress report (进展) on a commitment, with its files."""

    __tablename__ = "commitment_reports"
    __table_args__ = (CheckConstraint("length(trim(text)) > 0", name="has_text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    commitment: Mapped[Commitment] = relationship(back_populates="reports")
    reported_by = relationship("User")
    files: Mapped[list[CommitmentFile]] = relationship(
        order_by="CommitmentFile.id", cascade="all, delete-orphan")


class CommitmentFile(db.Model):
    """An attachment (tracker.files) of a progress report."""

    __tablename__ = "commitment_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("commitment_reports.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), unique=True)

    attachment = relationship("Attachment")
