"""Redaction rules kept by the administrator, and the public versions of replies."""
from __future__ import annotations

from datetime import date, datetime

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.time import utcnow
from tracker.extensions import db


class RedactionRule(db.Model):
    """A regular expression whose matches are removed from every public text (手机号码,
    身份证号码 …); the administrator keeps the list and tries each rule on a test text."""

    __tablename__ = "redaction_rules"
    __table_args__ = (
        CheckConstraint("length(trim(name)) > 0", name="name_not_empty"),
        CheckConstraint("length(pattern) > 0", name="pattern_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    pattern: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Publication(db.Model):
    """One published version of a reply (办理结果公开): the standard header, the public text
    (redacted, or the summary) and the public PDF rendered from it, never the signed letter.
    Rows are never changed: a correction is a new version of the same 索引号, with a note."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("reply_id", "version", name="uq_publications_reply_version"),
        UniqueConstraint("index_number", "version", name="uq_publications_index_number_version"),
        CheckConstraint("mode IN ('full', 'summary')", name="mode_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("version = 1 OR note <> ''", name="correction_has_note"),
        CheckConstraint("pdf_name IS NULL OR pdf_sha256 IS NOT NULL", name="pdf_has_hash"),
        # The portal's list (newest first, page by page) and its feed walk these in order.
        Index("ix_publications_listed", "published_on", "id"),
        Index("ix_publications_feed", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(10))
    # The header of the government's disclosure pages.
    index_number: Mapped[str] = mapped_column(String(60))   # 索引号
    category: Mapped[str] = mapped_column(String(60))       # 分类
    issuer: Mapped[str] = mapped_column(String(100))        # 发文机关
    written_on: Mapped[date] = mapped_column(Date)          # 成文日期
    title: Mapped[str] = mapped_column(String(200))         # 标题
    doc_number: Mapped[str] = mapped_column(String(60))     # 发文字号
    published_on: Mapped[date] = mapped_column(Date)  # 发布日期
    public_text: Mapped[str] = mapped_column(Text)
    letter_data: Mapped[str] = mapped_column(Text)  # the public PDF's input (JSON)
    removals: Mapped[str] = mapped_column(Text)     # what was removed and why (JSON)
    marked_words: Mapped[str] = mapped_column(Text, default="")  # the confirmer's own
    note: Mapped[str] = mapped_column(String(500), default="")   # a correction's reason
    pdf_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_by_name: Mapped[str] = mapped_column(String(60))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    reply = relationship("Reply", viewonly=True)
