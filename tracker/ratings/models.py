"""Satisfaction ratings of issued replies: personal rating links (hashed tokens), the authors'
answers and the administrator's aggregation rule (stored as a core Setting)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.dbtypes import enum_type, one_of

# RatingRule is re-exported for the modules that import it from here.
from tracker.core.states import Satisfaction
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling.choices import ContactMethod
from tracker.ratings.choices import PrintStatus, RatingChannel, RatingRule  # noqa: F401


class RatingRequest(db.Model):
    """One personal rating link of one author for one issued reply.

    Only the SHA-256 of the token is kept; the token itself exists in the e-mail or on the
    printed 征询意见表. Links are made by the system at 发文 (e-mail) or by the supervising
    office (never by the rated unit); a newer link of the same author and reply revokes the
    older ones. A link works until it expires, is revoked, or the author's rating is in.
    """

    __tablename__ = "rating_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"),
                                           index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default="print")  # print | email
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    # Why the link was made (the supervising clerk's reason, or the system's at 发文).
    minted_reason: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    reply = relationship("Reply")
    author = relationship("Author")
    created_by = relationship("User")


class Rating(db.Model):
    """One author's answer about one reply (online, or entered from the paper form)."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("reply_id", "author_id", name="uq_ratings_reply_author"),
                      one_of("handling", Satisfaction), one_of("result", Satisfaction),
                      one_of("channel", RatingChannel),
                      one_of("contact_method", ContactMethod, also=("",)))

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    handling: Mapped[Satisfaction] = mapped_column(enum_type(Satisfaction, 12))
    result: Mapped[Satisfaction] = mapped_column(enum_type(Satisfaction, 12))
    handling_score: Mapped[int | None] = mapped_column(Integer)
    result_score: Mapped[int | None] = mapped_column(Integer)
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_method: Mapped[str] = mapped_column(String(20), default="")  # ContactMethod or ""
    comments: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[RatingChannel] = mapped_column(enum_type(RatingChannel, 10))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("rating_requests.id", ondelete="SET NULL"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    reply = relationship("Reply")
    author = relationship("Author")
    entered_by = relationship("User")
    scan = relationship("Attachment")

    @property
    def verdict(self) -> Satisfaction:
        """The author's overall answer: the worse of handling and result."""
        return max((self.handling, self.result), key=lambda s: s.rank)


class PrintBatch(db.Model):
    """The 征询意见表 of a meeting's authors still to answer (of one unit, or all), in one PDF
    made by a job (tracker.ratings.batch); the file lives under UPLOAD_DIR/batches."""

    __tablename__ = "print_batches"
    __table_args__ = (one_of("status", PrintStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                 index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    status: Mapped[PrintStatus] = mapped_column(enum_type(PrintStatus, 10),
                                                default=PrintStatus.queued)
    forms: Mapped[int] = mapped_column(Integer, default=0)
    file_name: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    requested_by = relationship("User")
    meeting = relationship("Meeting")
    unit = relationship("Unit")
