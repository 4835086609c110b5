"""Notifications: one row per person and event, deduplicated by a key, read or unread; and
the outbox of e-mails (notices and rating links) sent after their transaction commits."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
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
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.notifications.choices import Channel, NotificationKind


class Notification(db.Model):
    """A message for one user about one item; the dedupe key makes sending it idempotent."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The navbar counts a user's unread notifications on every page.
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        one_of("kind", NotificationKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    # (indexed: each move marks the assignment's turn notices read)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, 30))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # e.g. "due_soon:<assignment>:<state>:<state since>:<due date>:<user>": a second run
    # while nothing changed finds the key taken and sends nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # The person reads their e-mail once a day: this one waits for the daily digest.
    digest_pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    user = relationship("User")
    proposal = relationship("Proposal")
    assignment = relationship("Assignment")

    @property
    def kind_label(self) -> str:
        return NotificationKind.label_of(self.kind)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(db.Model):
    """An e-mail to send once the transaction that wrote it has committed; retried on failure.

    Rating-link messages hold no token: it is made when the message is sent. Other kinds
    (notice: reminders and deadline-extension notices) carry their text in body.
    """

    __tablename__ = "outbox"
    __table_args__ = (one_of("channel", Channel),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # rating_link | notice | digest
    # e-mail (recipient: an address) or SMS (recipient: a mobile number)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, 10), default=Channel.email)
    recipient: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # A job sending it holds it until then (another job leaves it alone; a job that died
    # lets it go when the time passes); set when every attempt failed.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)

    reply = relationship("Reply")
    author = relationship("Author")
    user = relationship("User")


class NotificationPreference(db.Model):
    """A user's channels for one kind of notification (no row: the defaults)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"), one_of("kind", NotificationKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind, 30))
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    sms: Mapped[bool] = mapped_column(Boolean, default=False)


class NotificationSettings(db.Model):
    """A user's delivery settings: a daily digest instead of single e-mails, SMS quiet hours
    (China Standard Time, "HH:MM"; from == until means none)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_from: Mapped[str] = mapped_column(String(5), default="22:00")
    quiet_until: Mapped[str] = mapped_column(String(5), default="07:00")
