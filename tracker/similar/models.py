"""Each item's similar items, kept in the database (derived data, rebuilt on demand).

The item page shows the items most like the one it shows. Asking the full-text index and
re-ranking its candidates on every view cost most of the page (a ranking of up to a thousand
index rows in the database, a hundred items loaded and compared), so each item's ranked
candidates are stored by a job (tracker.similar.stored): similar_links, both ways (when B is
found like A, A is listed with B too), and similar_lists, the hash of the text they were
ranked for. Who may see each one is decided when a page reads them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.time import utcnow
from tracker.extensions import db


class SimilarList(db.Model):
    """What an item's stored list was computed from."""
    __tablename__ = "similar_lists"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    # sha256 of the text the list was ranked for (the title, or the body's start without one).
    text_key: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SimilarLink(db.Model):
    """other_id is like proposal_id, with the re-ranking's score (cosine of the titles)."""
    __tablename__ = "similar_links"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)
