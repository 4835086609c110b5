"""Assignments of items to units, contacts with authors and co-handling opinions."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.dbtypes import all_of, enum_type, is_in, one_of
from tracker.core.states import (
    DUE_SOON_DAYS,
    FINISHED_STATES,
    UNFINISHED_STATES,
    AssignmentState,
    ExtensionStatus,
    OpinionStatus,
    Satisfaction,
)
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling.choices import ContactMethod, ContactStage, UnitRole


class Assignment(db.Model):
    """One unit's handling of one item, in one role; moves through the workflow on its own."""

    __tablename__ = "assignments"
    __table_args__ = (
        # A unit's items (and its part in them) from the index alone: the search's test of
        # what a unit may read.
        Index("ix_assignments_unit_items", "unit_id", "proposal_id", "role", "state"),
        CheckConstraint("due_on >= assigned_on", name="due_after_assigned"),
        one_of("state", AssignmentState),
        one_of("role", UnitRole),
        one_of("latest_rating", Satisfaction),
        CheckConstraint(
            "state NOT IN ('drafting') OR drafter_id IS NOT NULL", name="drafting_has_drafter"
        ),
        CheckConstraint(
            "state NOT IN ('return_requested', 'returned') OR return_reason <> ''",
            name="return_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[UnitRole] = mapped_column(enum_type(UnitRole, 10))
    # Written only by tracker.handling.workflow.transition().
    state: Mapped[AssignmentState] = mapped_column(
        enum_type(AssignmentState, 30), default=AssignmentState.assigned, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    assigned_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    due_basis: Mapped[str] = mapped_column(String(300), default="")
    return_due_on: Mapped[date] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    drafter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when this assignment replaces one whose unit had it returned.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"))
    # When the assignment entered its current state (how long a draft has waited).
    state_since: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # 会签: the supervising clerk may let the lead go to review before every opinion is in.
    cosign_override_reason: Mapped[str] = mapped_column(Text, default="")
    # Handling round: 1, then 2 for re-handling after an unsatisfied rating.
    round: Mapped[int] = mapped_column(Integer, default=1)
    # Submissions to review so far in this round; decisions carry the cycle they belong to.
    review_cycle: Mapped[int] = mapped_column(Integer, default=0)

    # Facts the supervision figures count, derived from the replies, ratings, contacts and
    # opinions and kept up to date by tracker.supervision.facts (never set by hand), so the
    # dashboard adds up one table.
    first_reply_on: Mapped[date | None] = mapped_column(Date)  # China date, round 1 reply
    reply_on_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    latest_class: Mapped[str | None] = mapped_column(String(4))  # latest issued reply's
    latest_rating: Mapped[Satisfaction | None] = mapped_column(enum_type(Satisfaction, 12))  # latest rated reply's
    contacted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    met_in_person: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opinion_on_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    proposal: Mapped[Proposal] = relationship(back_populates="assignments")  # noqa: F821
    unit: Mapped[Unit] = relationship()  # noqa: F821
    section: Mapped[Section | None] = relationship()  # noqa: F821
    drafter: Mapped[User | None] = relationship(foreign_keys=[drafter_id])  # noqa: F821
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="assignment", order_by="Contact.contacted_on"
    )
    # Every submitted version, approved, pending or returned (see CoOpinion).
    opinions: Mapped[list[CoOpinion]] = relationship(
        back_populates="assignment", order_by="[CoOpinion.submitted_at, CoOpinion.id]"
    )
    extension: Mapped[DeadlineExtension | None] = relationship(
        back_populates="assignment", uselist=False
    )

    @property
    def approved_opinion(self) -> CoOpinion | None:
        """The 会办意见 its leader approved (the one the lead unit reads), if any."""
        return next((o for o in reversed(self.opinions) if o.is_approved), None)

    @property
    def pending_opinion(self) -> CoOpinion | None:
        """The 会办意见 waiting for the leader's approval, if any."""
        return next((o for o in reversed(self.opinions)
                     if o.status == OpinionStatus.pending), None)

    # The one definition of finished, overdue and due soon. Each works on a loaded row
    # (True/False) and on the class (SQL for a query): ``a.is_overdue()`` in Python and
    # templates, ``select(Assignment).where(Assignment.is_overdue(on))`` in queries.

    @hybrid_property
    def is_finished(self) -> bool:
        """The unit's part is done (replied, rated, 会办意见 sent) or no longer its (returned):
        no deadline runs any more."""
        return is_in(self.state, FINISHED_STATES)

    # Not finished, written as IN the unfinished states (the complement of FINISHED_STATES):
    # the (state, due_on) index serves an IN list.

    @hybrid_method
    def is_overdue(self, on: date | None = None) -> bool:
        """Not finished and past its deadline (超期未办)."""
        return all_of(is_in(self.state, UNFINISHED_STATES), self.due_on < (on or today()))

    @hybrid_method
    def is_due_soon(self, on: date | None = None) -> bool:
        """Not finished and due within DUE_SOON_DAYS days (today included, not yet passed)."""
        on = on or today()
        return all_of(is_in(self.state, UNFINISHED_STATES), self.due_on >= on,
                      self.due_on <= on + timedelta(days=DUE_SOON_DAYS))

    def deadline(self, on: date | None = None) -> Deadline | None:
        """The deadline as a page shows it (the due() macro): the date, and the days past it
        when overdue or the days left when due soon; None without a deadline."""
        if self.due_on is None:
            return None
        on = on or today()
        if self.is_overdue(on):
            return Deadline(self.due_on, (on - self.due_on).days, None)
        if self.is_due_soon(on):
            return Deadline(self.due_on, None, (self.due_on - on).days)
        return Deadline(self.due_on, None, None)


class Deadline(NamedTuple):
    on: date
    late: int | None  # days past it (超期未办)
    left: int | None  # days left (due soon)


class DeadlineExtension(db.Model):
    """The one extension of an assignment's deadline (申请延期): asked by the unit with a
    reason, approved or refused by the supervising clerk. Changed only through transition()."""

    __tablename__ = "deadline_extensions"
    __table_args__ = (
        one_of("status", ExtensionStatus),
        CheckConstraint("reason <> ''", name="has_reason"),
        CheckConstraint("requested_due_on > original_due_on", name="later_than_original"),
        CheckConstraint(
            "status = 'requested' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_has_decider",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: a deadline is extended at most once.
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[ExtensionStatus] = mapped_column(
        enum_type(ExtensionStatus, 10), default=ExtensionStatus.requested)
    reason: Mapped[str] = mapped_column(Text)
    # The deadline and its basis when the extension was asked for, and the date asked for.
    original_due_on: Mapped[date] = mapped_column(Date)
    original_basis: Mapped[str] = mapped_column(String(300), default="")
    requested_due_on: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="extension")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])  # noqa: F821
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    @property
    def status_label(self) -> str:
        return ExtensionStatus(self.status).label


class Contact(db.Model):
    """A contact between the drafter and the author (办前/办中/办后)."""

    __tablename__ = "contacts"
    __table_args__ = (one_of("stage", ContactStage), one_of("method", ContactMethod))

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[ContactStage] = mapped_column(enum_type(ContactStage, 10))
    method: Mapped[ContactMethod] = mapped_column(enum_type(ContactMethod, 10))
    contacted_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="contacts")
    created_by: Mapped[User] = relationship()  # noqa: F821


class CoOpinion(db.Model):
    """A co-handling unit's opinion (会办意见) for the lead unit: one row per submission. It
    waits for the unit's leader, who approves it (it goes out, numbered) or returns it with
    a comment (the unit revises and submits a new row). Decided only through transition()."""

    __tablename__ = "co_opinions"
    __table_args__ = (
        one_of("status", OpinionStatus),
        CheckConstraint("status <> 'returned' OR decision_note <> ''",
                        name="return_has_note"),
        CheckConstraint(
            "status <> 'returned' OR (decided_by_id IS NOT NULL AND decided_at IS NOT NULL)",
            name="return_has_decider"),
        # Approved by somebody, at some time; opinions sent before approvals existed were
        # approved by nobody (decided_at is their submission).
        CheckConstraint("status <> 'approved' OR decided_at IS NOT NULL",
                        name="approval_has_date"),
        CheckConstraint("doc_number IS NULL OR status = 'approved'", name="number_when_approved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[OpinionStatus] = mapped_column(
        enum_type(OpinionStatus, 10), default=OpinionStatus.pending,
        server_default=OpinionStatus.pending.value)
    # The leader's decision: approval (the opinion's date) or return with a comment.
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Numbered from the unit's 会办意见 series at approval.
    doc_number: Mapped[str | None] = mapped_column(String(60), unique=True)

    assignment: Mapped[Assignment] = relationship(back_populates="opinions")
    attachment: Mapped[Attachment | None] = relationship()  # noqa: F821
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])  # noqa: F821
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    @property
    def is_approved(self) -> bool:
        return self.status == OpinionStatus.approved

    @property
    def status_label(self) -> str:
        return OpinionStatus(self.status).label
