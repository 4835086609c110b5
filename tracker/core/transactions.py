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
