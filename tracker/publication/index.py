"""The public versions in the search index: one row per published reply, its latest version
(the header and the public text, nothing else), scope public, which only the portal's search
reads (tracker.search.query.matched_docs(public=True))."""
from __future__ import annotations

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from tracker.search.models import Scope, Source

_LATEST = text(
    "SELECT p.id, p.proposal_id, p.unit_id, p.index_number, p.title, p.issuer, p.doc_number, "
    "p.category, p.public_text FROM publications p WHERE p.proposal_id IN :ids "
    "AND p.version = (SELECT max(o.version) FROM publications o WHERE o.reply_id = p.reply_id) "
    "ORDER BY p.id").bindparams(bindparam("ids", expanding=True))


def public_rows(conn: Connection, ids: list[int], add) -> None:
    """Subscribed to the index's build (tracker.search.index.register_source)."""
    for row in conn.execute(_LATEST, {"ids": ids}).mappings():
        head = "\n".join((row["title"], row["index_number"], row["issuer"], row["doc_number"],
                          row["category"])) + "\n"
        add(row["proposal_id"], Source.PUBLIC, row["id"], Scope.PUBLIC, row["unit_id"],
            row["index_number"], row["public_text"], head=head)
