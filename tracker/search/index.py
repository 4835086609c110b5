"""Keeping the search index: the rows of an item built from its sources, written in the same
transaction as the change (noted after each flush, written before the commit), and the
whole index rebuilt by `flask search rebuild` (and by the migration that made it).

The sources are read with plain SQL over named columns, so that the migration can run the
same code at its own revision.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, cast, event, insert, inspect, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tracker.core.time import utcnow
from tracker.core.touched import KEY as TOUCHED
from tracker.extensions import db
from tracker.search.models import Scope, SearchDocument, Source
from tracker.search.text import chunks, tokens

PENDING = "search_pending"  # session.info: the items whose rows must be rebuilt
PENDING_ASSIGNMENTS = "search_pending_assignments"
BATCH = 500

_UNIT_INSTRUCTION_KINDS = ("unit_principal", "unit_deputy")

# Sources of higher layers (the public versions of replies), each a function
# (conn, item ids, add) adding its rows with add(proposal_id, source, source_id, scope,
# unit_id, label, body); handed over at app wiring.
_SOURCES: list = []


def register_source(build) -> None:
    if build not in _SOURCES:
        _SOURCES.append(build)


def _rows(conn: Connection, sql: str, ids: list[int]):
    return conn.execute(text(sql).bindparams(bindparam("ids", expanding=True)),
                        {"ids": ids}).mappings().all()


def documents(conn: Connection, proposal_ids: Iterable[int], *, registered: bool = True
              ) -> list[dict]:
    """The index rows of these items, from their sources as they are now (registered: with
    the registered sources' rows; not at a migration older than their tables)."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return []
    from tracker.instructions.choices import InstructionKind

    unit_kinds = {k.value for k in InstructionKind if k.is_unit}
    out: list[dict] = []

    def add(proposal_id, source, source_id, scope, unit_id, label, body, head=""):
        """A row per piece of a long text (tracker.search.text.chunks), each with head."""
        if not (head + (body or "")).strip():
            return
        for piece in chunks(body or ""):
            out.append({"proposal_id": proposal_id, "source": source, "source_id": source_id,
                        "scope": scope, "unit_id": unit_id, "label": label[:120],
                        "body": head + piece})

    for p in _rows(conn, "SELECT id, number, title, category, body FROM proposals "
                         "WHERE id IN :ids", ids):
        # Four lines: number, title, category, body (tracker.search.query.hits reads them);
        # a long body in pieces, each after the same three lines.
        add(p["id"], Source.ITEM, p["id"], Scope.ITEM, None, "建议提案", p["body"],
            head="\n".join((f"第{p['number']}号", p["title"], p["category"] or "")) + "\n")
    authors = defaultdict(list)
    for a in _rows(conn, "SELECT proposal_id, name, organisation FROM authors "
                         "WHERE proposal_id IN :ids ORDER BY proposal_id, position, id", ids):
        authors[a["proposal_id"]].append(
            a["name"] + (f"（{a['organisation']}）" if a["organisation"] else ""))
    for proposal_id, names in authors.items():
        add(proposal_id, Source.AUTHOR, proposal_id, Scope.ITEM, None, "提出人", "、".join(names))
    assignments = {a["id"]: a for a in _rows(
        conn, "SELECT a.id, a.proposal_id, a.unit_id, a.role, u.name AS unit_name "
              "FROM assignments a JOIN units u ON u.id = a.unit_id "
              "WHERE a.proposal_id IN :ids", ids)}
    if assignments:
        part_ids = sorted(assignments)
        for r in _rows(conn, "SELECT r.id, r.assignment_id, r.doc_number, r.letter_data, "
                             "d.opening, d.body, d.closing FROM replies r JOIN draft_versions d "
                             "ON d.id = r.draft_version_id "
                             "WHERE r.issued_at IS NOT NULL AND r.assignment_id IN :ids",
                       part_ids):
            a = assignments[r["assignment_id"]]
            # A lead unit's reply is read by the co-handling units too; a 分办 unit's is its own.
            scope = Scope.REPLY if a["role"] == "lead" else Scope.UNIT
            add(a["proposal_id"], Source.REPLY, r["id"], scope, a["unit_id"],
                f"{a['unit_name']}答复 {r['doc_number'] or ''}".strip(),
                "\n".join(part for part in _letter_text(r) if part))
        for o in _rows(conn, "SELECT id, assignment_id, text, status, doc_number "
                             "FROM co_opinions WHERE assignment_id IN :ids", part_ids):
            a = assignments[o["assignment_id"]]
            approved = o["status"] == "approved"
            add(a["proposal_id"], Source.OPINION, o["id"],
                Scope.OPINION if approved else Scope.UNIT, a["unit_id"],
                f"{a['unit_name']}会办意见 {o['doc_number'] or ''}".strip(), o["text"])
        for c in _rows(conn, "SELECT id, assignment_id, contacted_on, summary FROM contacts "
                             "WHERE assignment_id IN :ids", part_ids):
            a = assignments[c["assignment_id"]]
            add(a["proposal_id"], Source.CONTACT, c["id"], Scope.ITEM, a["unit_id"],
                f"{a['unit_name']}联系记录 {c['contacted_on']}", c["summary"])
    for i in _rows(conn, "SELECT id, proposal_id, assignment_id, kind, leader_name, text "
                         "FROM instructions WHERE proposal_id IN :ids", ids):
        if i["kind"] in unit_kinds and i["assignment_id"] is not None:
            part = assignments.get(i["assignment_id"])
            scope, unit_id = Scope.UNIT, part["unit_id"] if part else None
        else:
            scope, unit_id = Scope.ITEM, None
        kind = InstructionKind(i["kind"])
        add(i["proposal_id"], Source.INSTRUCTION, i["id"], scope, unit_id,
            f"{i['leader_name']}{kind.short}".strip(), i["text"])
    for build in _SOURCES if registered else ():
        build(conn, ids, add)
    return out


def _letter_text(reply) -> tuple:
    """A reply's words as its letter printed them (the input kept at issue: a 并案 member's
    letter fills the shared draft's placeholders with its own item), else the draft's."""
    if reply["letter_data"]:
        data = json.loads(reply["letter_data"])
        return data.get("opening"), data.get("body"), data.get("closing")
    return reply["opening"], reply["body"], reply["closing"]


def _with_terms(conn: Connection, rows: list[dict]) -> list[dict]:
    sqlite = conn.dialect.name == "sqlite"
    now = utcnow()
    for row in rows:
        found = tokens(row["body"])
        if sqlite:
            row.update(found.columns(), tsv=None)
        else:
            row.update(uni=None, bi=None, words=None, tsv=found.tsvector())
        row["indexed_at"] = now
    return rows


def _insert(conn: Connection, rows: list[dict]) -> None:
    if not rows:
        return
    table = SearchDocument.__table__
    if conn.dialect.name == "sqlite":
        conn.execute(insert(table), rows)
    else:
        statement = insert(table).values(
            {c.name: bindparam(c.name) for c in table.columns if c.name not in ("id", "tsv")}
            | {"tsv": cast(bindparam("tsv"), TSVECTOR)})
        conn.execute(statement, rows)


def reindex(conn: Connection, proposal_ids: Iterable[int]) -> None:
    """Replace the rows of these items by rows built from their sources now."""
    ids = sorted(set(proposal_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        conn.execute(text("DELETE FROM search_documents WHERE proposal_id IN :ids")
                     .bindparams(bindparam("ids", expanding=True)), {"ids": chunk})
        _insert(conn, _with_terms(conn, documents(conn, chunk)))


def rebuild_on(conn: Connection, progress=None, *, registered: bool = True) -> dict:
    """Empty the index and build it from every item; the figures of the build (registered:
    documents())."""
    started = time.perf_counter()
    conn.execute(text("DELETE FROM search_documents"))
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))
    ids = list(conn.execute(text("SELECT id FROM proposals ORDER BY id")).scalars())
    rows = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        built = _with_terms(conn, documents(conn, chunk, registered=registered))
        _insert(conn, built)
        rows += len(built)
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
    else:
        conn.execute(text("ANALYZE search_documents"))
    return {"items": len(ids), "rows": rows, "seconds": time.perf_counter() - started}


def rebuild(progress=None) -> dict:
    return rebuild_on(db.session.connection(), progress)


# --- following changes ------------------------------------------------------------------------

# What a row's change must touch to change the index (a workflow move changes states only).
_INDEXED = {
    "Proposal": ("number", "title", "body", "category"),
    "Author": None,  # any change
    "Assignment": ("unit_id", "role", "proposal_id"),
    "Reply": ("issued_at", "doc_number", "draft_version_id"),
    "CoOpinion": ("text", "status", "doc_number"),
    "Contact": None,
    "Instruction": ("text", "kind", "leader_name", "assignment_id"),
}


def _proposal_of(obj, changed: bool) -> tuple[str, int | None] | None:
    """Which item (or assignment, resolved later) a changed row belongs to, when the change
    touches what the index holds (changed: a new or deleted row)."""
    from tracker.handling.models import Assignment, Contact, CoOpinion
    from tracker.instructions.models import Instruction
    from tracker.proposals.models import Author, Proposal
    from tracker.replies.models import Reply

    kind = type(obj)
    if kind not in (Proposal, Author, Assignment, Reply, CoOpinion, Contact, Instruction):
        return None
    names = _INDEXED[kind.__name__]
    if not changed and names is not None:
        state = inspect(obj)
        if not any(state.attrs[name].history.has_changes() for name in names):
            return None
    if kind is Proposal:
        return "p", obj.id
    if kind in (Author, Instruction, Assignment):
        return "p", obj.proposal_id
    return "a", obj.assignment_id


def _note_after_flush(session: Session, _context) -> None:
    for objects, changed in ((session.new, True), (session.dirty, False),
                             (session.deleted, True)):
        for obj in objects:
            found = _proposal_of(obj, changed)
            if found is None or found[1] is None:
                continue
            key = PENDING if found[0] == "p" else PENDING_ASSIGNMENTS
            session.info.setdefault(key, set()).add(found[1])


def _pending(session: Session) -> bool:
    return bool(session.info.get(PENDING) or session.info.get(PENDING_ASSIGNMENTS)
                or session.info.get(TOUCHED))


def settle(session: Session) -> None:
    """Write the rows of the items changed in this transaction (before it commits): those
    the ORM flushed, and those Core statements changed (tracker.core.touched)."""
    while _pending(session):
        if session.new or session.dirty or session.deleted:
            session.flush()
        ids = set(session.info.pop(PENDING, ())) | set(session.info.pop(TOUCHED, ()))
        parts = session.info.pop(PENDING_ASSIGNMENTS, ())
        conn = session.connection()
        if parts:
            ids |= set(conn.execute(
                text("SELECT proposal_id FROM assignments WHERE id IN :ids")
                .bindparams(bindparam("ids", expanding=True)), {"ids": sorted(parts)}).scalars())
        if ids:
            reindex(conn, ids)


def _settle_before_commit(session: Session) -> None:
    if _pending(session) or session.new or session.dirty or session.deleted:
        session.flush()
        settle(session)


def _forget(session: Session, *_args) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop(PENDING, None)
    session.info.pop(PENDING_ASSIGNMENTS, None)


def install() -> None:
    """Follow the changes of every session (idempotent)."""
    if not event.contains(Session, "after_flush", _note_after_flush):
        event.listen(Session, "after_flush", _note_after_flush)
        event.listen(Session, "before_commit", _settle_before_commit)
        event.listen(Session, "after_rollback", _forget)
