"""Leaders' instructions (领导批示): one row per instruction, asked for or given."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.instructions.choices import InstructionKind, InstructionSource, InstructionStatus


class Instruction(db.Model):
    """A leader's instruction on an item (the office's kinds) or on one unit's assignment of
    it (the unit's kinds). It is asked of a leader (待批示) and then given — by the leader
    typing it, or by a clerk entering it from the paper or a scanned page — or recorded as
    given at once. Given instructions are never changed: a later one is a new row."""

    __tablename__ = "instructions"
    __table_args__ = (
        one_of("kind", InstructionKind),
        one_of("source", InstructionSource, also=("",)),
        one_of("status", InstructionStatus),
        CheckConstraint("kind NOT IN ('unit_principal', 'unit_deputy') "
                        "OR assignment_id IS NOT NULL", name="unit_kind_has_assignment"),
        CheckConstraint("status <> 'given' OR (text <> '' AND given_on IS NOT NULL "
                        "AND leader_name <> '' AND source <> '')", name="given_is_complete"),
        CheckConstraint("source <> 'scan' OR scan_id IS NOT NULL", name="scan_has_file"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[InstructionKind] = mapped_column(enum_type(InstructionKind, 20))
    status: Mapped[InstructionStatus] = mapped_column(
        enum_type(InstructionStatus, 10), default=InstructionStatus.given, index=True)
    # The leader: a user when the leader has an account (asked of them, or typed by them),
    # and always the name printed on the 办理单.
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    leader_name: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    given_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default="")  # InstructionSource or ""
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    # Who asked for it (and why), and who put the given text into the tracker.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_note: Mapped[str] = mapped_column(String(300), default="")
    requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    given_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    proposal = relationship("Proposal")
    assignment = relationship("Assignment")
    leader = relationship("User", foreign_keys=[leader_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    scan = relationship("Attachment")

    @property
    def is_given(self) -> bool:
        return self.status == InstructionStatus.given

    @property
    def source_label(self) -> str:
        return InstructionSource.label_of(self.source) if self.source else ""
