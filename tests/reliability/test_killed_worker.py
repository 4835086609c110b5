"""A worker killed between flush and commit leaves no trace (SQLite and PostgreSQL).

The transition runs in a separate process against a committed database, is flushed (its
UPDATEs, INSERTs and the audit event are in the database's transaction), and the process is
killed with SIGKILL: no Python cleanup, no rollback sent. The parent then compares every row
of every table with what was there before, checks the audit chain, and takes the same step
itself: no lock was left behind.
"""
from __future__ import annotations

import json
import os
import select as selectors
import signal
import subprocess
import sys

import pytest

from tests import factories
from tests.support.handling import bring_to
from tests.support.reliability import audit_actions, changed_tables, contents, world, world_objects
from tracker.audit.log import verify_chain
from tracker.config import PROJECT_ROOT
from tracker.extensions import db
from tracker.handling.models import Assignment

CONFIG_KEYS = ("DATABASE_URL", "SECRET_KEY", "UPLOAD_DIR", "LETTER_DIR", "SIGNING_DIR",
               "SIGNING_PASSWORDS_FILE", "STORAGE_URL", "ENV", "TESTING")

# action -> (the state it starts from, the actor's world key, the state it leads to)
STEPS = {
    "accept": ("assigned", "health_clerk", "accepted"),
    "approve": ("first_review", "health_first", "second_review"),
}


def _start_worker(app, action: str, assignment_id: int, actor_id: int,
                  *extra: str) -> tuple[subprocess.Popen, dict]:
    config = json.dumps({k: app.config[k] for k in CONFIG_KEYS})
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.worker", config, action, str(assignment_id),
         str(actor_id), *extra],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = selectors.select([worker.stdout], [], [], 60)
    line = worker.stdout.readline() if ready else ""
    if not line.startswith("FLUSHED "):
        worker.kill()
        raise AssertionError(f"worker did not reach the flush: {line}{worker.stderr.read()}")
    return worker, json.loads(line.split(" ", 1)[1])


@pytest.mark.parametrize("action", sorted(STEPS))
def test_a_worker_killed_after_flush_leaves_nothing_behind(live_app, action):
    start, actor_key, target = STEPS[action]
    ids = world(live_app)
    with live_app.test_request_context():
        w = world_objects(ids)
        bring_to(w, "accepted")  # another item: its rows must come through untouched too
        assignment_id = bring_to(w, start).id
        db.session.commit()
    actor_id = getattr(ids, actor_key)
    before = contents(live_app)

    worker, seen = _start_worker(live_app, action, assignment_id, actor_id)
    try:
        # Inside the worker's transaction the step is done: new state, one more event.
        head = before["audit_head"][0]
        assert seen == {"state": target, "audit_seq": head[1] + 1}, seen
        assert contents(live_app) == before  # not visible to anyone else
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        worker.stdout.close()
        worker.stderr.close()
    assert worker.returncode == -signal.SIGKILL

    after = contents(live_app)
    assert changed_tables(before, after) == {}
    with live_app.app_context():
        assert db.session.get(Assignment, assignment_id).state == start
        report = verify_chain()
        assert report.ok, report.problems
        db.session.remove()
    assert audit_actions(live_app, assignment_id, action) == 0

    # Nothing holds a lock: the same step goes through now, exactly once.
    with live_app.test_request_context(method="POST"):
        w = world_objects(ids)
        assignment = db.session.get(Assignment, assignment_id)
        if action == "accept":
            factories.handling.accept_assignment(assignment, w.health_clerk)
        else:
            from tests.support.handling import latest_id
            from tracker.replies import operations as replies

            replies.approve_draft(assignment, w.health_first,
                                  seen_version_id=latest_id(assignment))
        db.session.commit()
    with live_app.app_context():
        assert db.session.get(Assignment, assignment_id).state == target
        assert verify_chain().ok
        db.session.remove()
    assert audit_actions(live_app, assignment_id, action) == 1
