"""The search index: one row per searchable text of an item (the item itself, its authors,
an issued reply, a co-handling opinion, a contact, a leader's instruction).

The rows are derived data, rebuilt from their sources (tracker.search.index); who may read a
row is decided at query time from its scope, its unit and the user's assignments. The terms
live in the database's own full-text index: on SQLite the FTS5 table search_fts (external
content: the uni/bi/words columns here, kept in step by triggers); on PostgreSQL the tsv
column with a GIN index (both made by the migration).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.time import utcnow
from tracker.extensions import db


class Scope:
    """Who reads a row, beyond the item's own visibility (tracker.search.query)."""
    ITEM = "item"        # whoever sees the item: its fields, authors, contacts, instructions
    UNIT = "unit"        # its unit and the overseers (a unit's own instruction, a pending opinion)
    REPLY = "reply"      # a reply: its unit, the overseers; a lead's also the co-handling units
    OPINION = "opinion"  # an approved 会办意见: its unit, the overseers and the lead unit
    PUBLIC = "public"    # a published reply's public version: the portal's search only


class Source:
    ITEM = "item"
    AUTHOR = "author"
    REPLY = "reply"
    OPINION = "opinion"
    CONTACT = "contact"
    INSTRUCTION = "instruction"
    PUBLIC = "public"  # registered by tracker.publication (index.register_source)

    LABELS = {"item": "建议提案", "author": "提出人", "reply": "答复", "opinion": "会办意见",
              "contact": "联系记录", "instruction": "领导批示", "public": "公开答复"}
    # The rank of an item is its best row's, weighted: a match in the item itself first.
    WEIGHTS = {"item": 3.0, "author": 3.0, "reply": 1.5, "opinion": 1.0, "contact": 1.0,
               "instruction": 1.0, "public": 1.0}


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(Integer)  # the unit the row belongs to
    label: Mapped[str] = mapped_column(String(120), default="")  # e.g. 答复 吉卫建字〔2026〕12号
    body: Mapped[str] = mapped_column(Text, default="")  # the text shown in snippets
    # SQLite: the FTS5 table's external content. PostgreSQL: unused (NULL), the tsv column.
    uni: Mapped[str | None] = mapped_column(Text)
    bi: Mapped[str | None] = mapped_column(Text)
    words: Mapped[str | None] = mapped_column(Text)
    tsv: Mapped[str | None] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)
