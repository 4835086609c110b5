"""The transaction belongs to whoever runs the work: a web request, a CLI command, a job.

Operations flush and never commit or roll back. One that must not hold its locks while it
works outside the database (rendering and signing a letter takes seconds) asks for the
transaction to end with release(); the owner decides whether it may. A web request allows
it (the app factory installs the session's rollback at the start of every request);
anywhere else (the demo loader, commands and tests that build everything in one
transaction) release() ends nothing and says so, and the operation keeps its locks.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

# Connection.info key: the connection's current transaction sent something other than a
# SELECT (a write, a lock, a savepoint).
WROTE = "tracker_wrote"
_READING = frozenset({"SELECT", "PRAGMA"})  # (SQLite's PRAGMAs: a new connection's settings)


def watch_writes(engine) -> None:
    """Note on each connection whether its transaction sent anything but reads."""

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, _cursor, statement, _parameters, _context, _executemany):
        words = statement.split(None, 2)[:2]
        if not words or words[0].upper() in _READING or words == ["BEGIN"]:
            return  # (SQLite's BEGIN IMMEDIATE, a writer's, counts as a write)
        conn.info[WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(conn):
        conn.info.pop(WROTE, None)


def only_read(session: Session) -> bool:
    """The session's open transaction sent nothing but SELECTs and holds nothing unwritten:
    ending it with COMMIT or with ROLLBACK is the same for the data."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    return not session.connection().info.get(WROTE)


def own(end: Callable[[], None]) -> None:
    """Called by the owner of the transaction when its work starts (the request layer)."""
    g.end_transaction = end


def release() -> bool:
    """End the current transaction if its owner allows it; whether it was ended."""
    end = g.get("end_transaction") if has_app_context() else None
    if end is None:
        return False
    end()
    return True
