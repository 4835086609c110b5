"""Reminders: deadlines set at will, and the notifications and mails that went out."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.notifications.models import Notification, OutboxMessage


def set_due(assignment: Assignment, day: date) -> None:
    """Move an assignment's deadline (and its assignment date, kept before it)."""
    db.session.execute(
        update(Assignment).where(Assignment.id == assignment.id)
        .values(due_on=day, assigned_on=min(day, assignment.assigned_on))
        .execution_options(synchronize_session=False))
    db.session.expire(assignment)


REMINDERS = ("due_soon", "overdue")


def notified(assignment: Assignment | None = None, kind: str | None = None) -> list[str]:
    """Usernames reminded (sorted), optionally about one assignment; of one kind when given
    (any kind, not only reminders)."""
    from tracker.accounts.models import User

    query = select(User.username).join(Notification, Notification.user_id == User.id)
    if assignment is not None:
        query = query.where(Notification.assignment_id == assignment.id)
    query = query.where(Notification.kind.in_([kind] if kind else REMINDERS))
    return sorted(db.session.scalars(query))


def counts() -> tuple[int, int]:
    """(reminders, outbox messages) in the database."""
    return (db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.kind.in_(REMINDERS))),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))
