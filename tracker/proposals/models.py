"""Meetings, items (suggestions and proposals) and their authors."""
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

from tracker.core.dbtypes import enum_type, one_of
from tracker.core.states import Grade, ProposalState
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.proposals.choices import Body, Disclosure, ItemKind, Level

CATEGORIES = [
    "经济发展", "农业农村", "城乡建设", "交通运输", "生态环境", "教育科技",
    "医疗卫生", "社会保障", "文化旅游", "政法综治", "政府建设", "其他",
]


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("reply_period_months BETWEEN 1 AND 12", name="reply_period"),
        CheckConstraint("co_period_months BETWEEN 1 AND 12", name="co_period"),
        one_of("level", Level),
        one_of("body", Body),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[Level] = mapped_column(enum_type(Level, 20))
    body: Mapped[Body] = mapped_column(enum_type(Body, 10))
    region: Mapped[str] = mapped_column(String(40))  # 省, 白城市 ...
    term: Mapped[int] = mapped_column(Integer)  # 十四届
    session: Mapped[int] = mapped_column(Integer)  # 三次会议
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    reply_period_months: Mapped[int] = mapped_column(Integer, default=3)
    co_period_months: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def item_kind(self) -> ItemKind:
        return ItemKind.suggestion if self.body == Body.npc else ItemKind.proposal


class Proposal(db.Model):
    """An item: a deputy's suggestion (建议) or a member's proposal (提案)."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("meeting_id", "number", name="uq_proposals_meeting_number"),
        Index("ix_proposals_number", "number"),  # an item found by its number alone
        # The item list's order (newest received first): its first page read from the index.
        Index("ix_proposals_received_on_id", "received_on", "id"),
        one_of("kind", ItemKind),
        one_of("disclosure", Disclosure),
        one_of("handling_grade", Grade, also=("",)),  # "" until 办结
        one_of("state", ProposalState),
        CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind, 20))
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    disclosure: Mapped[Disclosure] = mapped_column(
        enum_type(Disclosure, 20), default=Disclosure.public
    )
    received_on: Mapped[date] = mapped_column(Date)
    # Derived from the assignments by tracker.handling.workflow; nothing else writes it.
    state: Mapped[ProposalState] = mapped_column(
        enum_type(ProposalState, 30), default=ProposalState.registered, index=True)
    # Bumped by every transition: serialises concurrent moves on one item.
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    # 办结 by the supervising office, with its grade of the handling (好/中/差).
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handling_grade: Mapped[str] = mapped_column(String(10), default="")
    grade_comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # 并案: a member points to its lead item, which is assigned and handled for the group;
    # each member still gets its own letter, number and rating (tracker.merging).
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="SET NULL"), index=True)

    meeting: Mapped[Meeting] = relationship()
    merged_into: Mapped[Proposal | None] = relationship(
        remote_side="Proposal.id", back_populates="members")
    members: Mapped[list[Proposal]] = relationship(
        back_populates="merged_into", order_by="Proposal.id")
    authors: Mapped[list[Author]] = relationship(
        back_populates="proposal", order_by="Author.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(  # noqa: F821
        back_populates="proposal", order_by="Assignment.id"
    )

    @property
    def lead_author(self) -> Author | None:
        return self.authors[0] if self.authors else None

    @property
    def display_number(self) -> str:
        return f"第{self.number}号"

    @property
    def is_joined(self) -> bool:
        """A member of a 并案 group (handled under its lead item)."""
        return self.merged_into_id is not None


class Author(db.Model):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 = the lead author
    name: Mapped[str] = mapped_column(String(60))
    organisation: Mapped[str] = mapped_column(String(100), default="")  # 代表团 / 界别 / 工作单位
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(200), default="")

    proposal: Mapped[Proposal] = relationship(back_populates="authors")

    @property
    def is_lead(self) -> bool:
        return self.position == 0
