"""Reply drafts (every saved version), review decisions, document number series and replies."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.states import ReviewLevel, Satisfaction
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.proposals.choices import Disclosure
from tracker.replies.choices import (
    Decision,
    PublicationMode,
    ReplyForm,
    SeriesKind,
    TemplateKind,
    WithholdReason,
)


def publication_rules() -> tuple:
    """The publication decision's constraints: a known mode and reason, a reason when
    withheld, a summary when published as one (a review's NULL mode: left as it was)."""
    return (
        one_of("publication", PublicationMode),
        one_of("withhold_reason", WithholdReason, also=("",)),
        CheckConstraint("publication <> 'withheld' OR withhold_reason <> ''",
                        name="withheld_has_reason"),
        CheckConstraint("publication <> 'summary' OR length(trim(public_summary)) > 0",
                        name="summary_has_text"),
    )


class DraftVersion(db.Model):
    """One saved version of a unit's reply; versions are never changed or deleted."""

    __tablename__ = "draft_versions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "number", name="uq_draft_versions_assignment_number"),
        CheckConstraint("length(trim(body)) > 0", name="body_not_empty"),
        one_of("reply_form", ReplyForm),
        one_of("disclosure", Disclosure),
        *publication_rules(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=1)
    body: Mapped[str] = mapped_column(Text)
    result_class: Mapped[str] = mapped_column(String(5))
    reply_form: Mapped[ReplyForm] = mapped_column(
        enum_type(ReplyForm, 10), default=ReplyForm.written)
    disclosure: Mapped[Disclosure] = mapped_column(enum_type(Disclosure, 20))
    # How the result is published (办理结果公开): proposed by the drafter with the draft.
    publication: Mapped[PublicationMode] = mapped_column(
        enum_type(PublicationMode, 10), default=PublicationMode.full, server_default="full")
    withhold_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    public_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    cc: Mapped[str] = mapped_column(Text, default="")  # one recipient a line
    closing: Mapped[str] = mapped_column(String(200), default="")
    salutation: Mapped[str] = mapped_column(String(100), default="")  # override, or empty
    opening: Mapped[str] = mapped_column(Text, default="")  # override, or empty
    source: Mapped[str] = mapped_column(String(10), default="form")  # form | docx | api | template
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User] = relationship()  # noqa: F821

    @property
    def cc_list(self) -> list[str]:
        return [line.strip() for line in self.cc.splitlines() if line.strip()]


class ReviewDecision(db.Model):
    """A reviewer's or signer's decision on one version of a draft."""

    __tablename__ = "review_decisions"
    __table_args__ = (one_of("level", ReviewLevel), one_of("decision", Decision),
                      *publication_rules())

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    # Which submission (送审) this decision belongs to; a resubmission starts a new cycle.
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    level: Mapped[ReviewLevel] = mapped_column(enum_type(ReviewLevel, 10))
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, 10))
    comment: Mapped[str] = mapped_column(Text, default="")
    draft_version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(String(60))
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The publication decision as this reviewer changed it (None: as it stood); the
    # signer's decision always holds the one confirmed.
    publication: Mapped[PublicationMode | None] = mapped_column(enum_type(PublicationMode, 10))
    withhold_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    public_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Words this reviewer marked for removal from the public text (one a line).
    redact_words: Mapped[str] = mapped_column(Text, default="", server_default="")

    draft_version: Mapped[DraftVersion] = relationship()


class DocSeries(db.Model):
    """A document-number counter per unit, kind and year: gap-free because it is a row
    updated in the issuing transaction (a rollback gives the number back)."""

    __tablename__ = "doc_series"
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "year", name="uq_doc_series_unit_kind_year"),
        CheckConstraint("last_number >= 0", name="last_number_positive"),
        one_of("kind", SeriesKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[SeriesKind] = mapped_column(enum_type(SeriesKind, 20))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Reply(db.Model):
    """The signed-off reply of one round of one assignment, numbered when issued."""

    __tablename__ = "replies"
    __table_args__ = (
        UniqueConstraint("assignment_id", "round", name="uq_replies_assignment_round"),
        UniqueConstraint("doc_number", name="uq_replies_doc_number"),
        CheckConstraint("signer_name <> ''", name="signed_has_signer"),
        one_of("rating", Satisfaction),
        CheckConstraint("issued_at IS NULL OR doc_number IS NOT NULL", name="issued_has_number"),
        CheckConstraint("doc_number IS NULL OR issued_at IS NOT NULL", name="number_when_issued"),
        CheckConstraint("pdf_name IS NULL OR pdf_sha256 IS NOT NULL", name="letter_has_hash"),
        *publication_rules(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    draft_version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id"))
    first_reviewer: Mapped[str] = mapped_column(String(60), default="")
    second_reviewer: Mapped[str] = mapped_column(String(60), default="")
    final_reviewer: Mapped[str] = mapped_column(String(60), default="")
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The publication decision the signer confirmed (办理结果公开).
    publication: Mapped[PublicationMode] = mapped_column(
        enum_type(PublicationMode, 10), default=PublicationMode.full, server_default="full")
    withhold_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    public_summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    series_id: Mapped[int | None] = mapped_column(ForeignKey("doc_series.id"))
    series_number: Mapped[int | None] = mapped_column(Integer)
    doc_number: Mapped[str | None] = mapped_column(String(60))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The day by which its public version is due (PUBLICATION_WORKDAYS working days after
    # the issue; None for a reply not to be published).
    publish_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The letter rendered once at issue and never again: file under instance/, its SHA-256.
    pdf_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    # The code printed under the 附注 (and in the QR code) that opens /verify/<code>, and the
    # certificate the stored letter was signed with.
    verify_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The letter's input at issue (JSON, no seal): its .docx is built from what was issued.
    letter_data: Mapped[str | None] = mapped_column(Text)
    signed_by_cert: Mapped[str] = mapped_column(String(200), default="")
    # The item's rating of this reply, from all its authors' answers (tracker.ratings).
    rating: Mapped[Satisfaction | None] = mapped_column(enum_type(Satisfaction, 12))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)

    draft_version: Mapped[DraftVersion] = relationship()
    assignment = relationship("Assignment", viewonly=True)


class ReplyTemplate(db.Model):
    """A unit's reusable reply text (an office-wide default when unit_id is NULL): an
    opening, a closing, a 下一步工作 paragraph or a whole model reply, with placeholders
    filled from the item when applied (tracker.replies.templates)."""

    __tablename__ = "reply_templates"
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "name", name="uq_reply_templates_unit_kind_name"),
        CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
        CheckConstraint("length(trim(text)) > 0", name="text_not_empty"),
        one_of("kind", TemplateKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TemplateKind] = mapped_column(enum_type(TemplateKind, 20))
    name: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    unit = relationship("Unit")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])  # noqa: F821
