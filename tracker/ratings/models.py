"""Satisfaction ratings of issued replies: personal rating links (hashed tokens), the authors'
answers and the administrator's aggregation rule (stored as a core Setting)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Enum, ForeignKey, Integer, String, Text, \
    UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.time import utcnow
from tracker.extensions import db


class Satisfaction(str, enum.Enum):
    satisfied = "satisfied"
    basic = "basic"
    unsatisfied = "unsatisfied"

    @property
    def label(self) -> str:
        return {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}[self.value]

    @property
    def band(self) -> tuple[int, int]:
        """The score band of the answer (满意 ≥ 90, 基本满意 60–89, 不满意 < 60)."""
        return {"satisfied": (90, 100), "basic": (60, 89), "unsatisfied": (0, 59)}[self.value]

    @property
    def band_label(self) -> str:
        low, high = self.band
        return {"satisfied": "90 分及以上", "basic": "60–89 分", "unsatisfied": "60 分以下"}[
            self.value]

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return {"satisfied": 0, "basic": 1, "unsatisfied": 2}[self.value]

    @classmethod
    def for_score(cls, score: int) -> "Satisfaction":
        return cls.satisfied if score >= 90 else cls.basic if score >= 60 else cls.unsatisfied


class RatingChannel(str, enum.Enum):
    online = "online"
    paper = "paper"

    @property
    def label(self) -> str:
        return {"online": "网上评价", "paper": "纸质征询意见表（代录入）"}[self.value]


class Grade(str, enum.Enum):
    good = "good"
    fair = "fair"
    poor = "poor"

    @property
    def label(self) -> str:
        return {"good": "好", "fair": "中", "poor": "差"}[self.value]


class RatingRule(str, enum.Enum):
    """How an item's rating follows from its authors' ratings."""

    worst = "worst"
    majority = "majority"
    lead_author = "lead_author"

    @property
    def label(self) -> str:
        return {
            "worst": "从严：任一提出人不满意即为不满意；否则任一基本满意即为基本满意",
            "majority": "多数：以多数提出人的评价为准（票数相同取较低者）",
            "lead_author": "领衔人：以领衔提出人的评价为准",
        }[self.value]


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
    __table_args__ = (UniqueConstraint("reply_id", "author_id", name="uq_ratings_reply_author"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    handling: Mapped[Satisfaction] = mapped_column(
        Enum(Satisfaction, native_enum=False, length=12))
    result: Mapped[Satisfaction] = mapped_column(Enum(Satisfaction, native_enum=False, length=12))
    handling_score: Mapped[int | None] = mapped_column(Integer)
    result_score: Mapped[int | None] = mapped_column(Integer)
    contacted: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_method: Mapped[str] = mapped_column(String(20), default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[RatingChannel] = mapped_column(
        Enum(RatingChannel, native_enum=False, length=10))
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
