"""催办 tests: overdue assignments on demand, and who was told of an urge."""
from __future__ import annotations

import io

from sqlalchemy import select

from tests.support.handling import bring_to
from tests.support.notifications import set_due
from tracker.accounts.models import User
from tracker.core.time import today
from tracker.extensions import db
from tracker.notifications.models import Notification


def overdue(w, state: str = "drafting", days: int = 5, role: str = "lead"):
    """A fresh assignment in state whose deadline passed days ago."""
    from datetime import timedelta

    assignment = bring_to(w, state, role)
    set_due(assignment, today() - timedelta(days=days))
    return assignment


def urged_people(kind: str = "urge") -> list[str]:
    """Usernames with a notification of this kind (sorted, repeated once per notice)."""
    return sorted(db.session.scalars(
        select(User.username).join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == kind)))


def pdf_text(data: bytes) -> str:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)
