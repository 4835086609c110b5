"""The similar-items index: which title terms each item has (an inverted index in the
database, kept by tracker.similar.index)."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class SimilarTerm(db.Model):
    """One term (a character unigram or bigram of the normalised title) of one item."""

    __tablename__ = "similar_terms"
    __table_args__ = (Index("ix_similar_terms_proposal_id", "proposal_id"),)

    term: Mapped[str] = mapped_column(String(8), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
