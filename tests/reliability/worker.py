"""A worker that stops in the middle of a transition: it runs the operation as a POST request
would, flushes, reports what its own transaction now holds, and waits to be killed.

    python -m tests.reliability.worker CONFIG_JSON ACTION ASSIGNMENT_ID ACTOR_ID

Nothing in the application is patched: the operation runs as it does in production, only
the request's final commit never comes. ``--commit-early`` (a self-check of the drill, not
used by the suite) commits the state change before the audit event is appended, to show
what a half-applied transition would look like to the parent's checks.
"""
from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> None:
    from sqlalchemy import select

    from tracker import create_app
    from tracker.accounts.models import User
    from tracker.audit.models import AuditHead
    from tracker.extensions import db
    from tracker.handling import operations as handling
    from tracker.handling.models import Assignment
    from tracker.replies import operations as replies
    from tracker.replies.queries import latest_draft

    config, action, assignment_id, actor_id = argv[:4]
    app = create_app(json.loads(config))
    if "--commit-early" in argv:
        from tracker.audit import log as audit

        original = audit.record

        def record(*args, **kwargs):
            db.session.commit()
            return original(*args, **kwargs)

        audit.record = record
    # A POST request's context: on SQLite the transaction takes the write lock up front,
    # exactly as a real worker's does.
    with app.test_request_context(f"/assignments/{assignment_id}/actions/{action}",
                                  method="POST"):
        assignment = db.session.get(Assignment, int(assignment_id))
        actor = db.session.get(User, int(actor_id))
        if action == "accept":
            handling.accept_assignment(assignment, actor, note="签收")
        elif action == "approve":
            replies.approve_draft(assignment, actor, seen_version_id=latest_draft(assignment).id,
                                  comment="同意")
        else:
            raise SystemExit(f"unknown action {action}")
        db.session.flush()
        db.session.expire_all()
        seen = {
            "state": db.session.scalar(select(Assignment.state)
                                       .where(Assignment.id == assignment.id)),
            "audit_seq": db.session.scalar(select(AuditHead.seq).where(AuditHead.id == 1)),
        }
        print("FLUSHED " + json.dumps(seen), flush=True)
        time.sleep(600)  # the parent kills us here: after the flush, before the commit


if __name__ == "__main__":
    main(sys.argv[1:])
