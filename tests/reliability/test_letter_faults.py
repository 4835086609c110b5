"""发文 when the letter cannot be made: a render that hangs, a commit that fails after the
letter was written. The reply stays un-issued, no number is used, no letter file is left,
the audit chain holds, and the clerk's retry gets the number.

(A render that raises is covered by tests/replies/test_letter_issue.py.)
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from tests.support.handling import bring_to
from tests.support.reliability import audit_actions, world, world_objects
from tracker.audit.log import verify_chain
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.replies.models import DocSeries, Reply


def _signed(app) -> int:
    ids = world(app)
    with app.test_request_context():
        assignment = bring_to(world_objects(ids), "signed")
        db.session.commit()
        return assignment.id


def _state(app, assignment_id: int) -> dict:
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment_id))
        found = {
            "state": db.session.get(Assignment, assignment_id).state,
            "doc_number": reply.doc_number,
            "pdf_name": reply.pdf_name,
            "issued_at": reply.issued_at,
            "counter": db.session.scalar(select(func.coalesce(func.max(DocSeries.last_number),
                                                              0))),
            "files": sorted(p.name for p in Path(app.config["LETTER_DIR"]).glob("*")),
            "chain_ok": verify_chain().ok,
            "pdf_sha256": reply.pdf_sha256,
        }
        db.session.remove()
    return found


UNISSUED = {"state": "signed", "doc_number": None, "pdf_name": None, "issued_at": None,
            "counter": 0, "files": [], "chain_ok": True, "pdf_sha256": None}


def _clerk(app):
    client = app.test_client()
    assert client.login("health_clerk").status_code == 302
    return client


def _retry_succeeds(app, client, assignment_id: int) -> None:
    response = client.post_form(f"/assignments/{assignment_id}/actions/issue")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    after = _state(app, assignment_id)
    assert after["state"] == "replied" and after["doc_number"].endswith("〕1号")
    assert after["counter"] == 1 and after["chain_ok"]
    assert after["files"] == [after["pdf_name"]]  # the one letter, the one it points to
    stored = Path(app.config["LETTER_DIR"]) / after["pdf_name"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == after["pdf_sha256"]
    assert audit_actions(app, assignment_id, "issue") == 1


def test_a_hanging_render_times_out_and_leaves_the_reply_unissued(live_app, monkeypatch):
    """A sync worker (the main thread): the render is stopped by its time limit."""
    from tracker.letters import render

    assignment_id = _signed(live_app)
    client = _clerk(live_app)
    monkeypatch.setitem(live_app.config, "LETTER_RENDER_TIMEOUT", 1)

    def hang(data):
        time.sleep(3600)  # a renderer stuck on a font, a huge table, a network mount ...

    monkeypatch.setattr(render, "render_unlimited", hang)
    started = time.monotonic()
    response = client.post_form(f"/assignments/{assignment_id}/actions/issue")
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed  # the clerk gets an answer, the worker is free again
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "答复函生成失败" in page and "超时" in page and "事项未发文" in page
    assert _state(live_app, assignment_id) == UNISSUED
    assert audit_actions(live_app, assignment_id, "issue") == 0

    monkeypatch.undo()
    _retry_succeeds(live_app, client, assignment_id)


def test_a_failed_commit_after_the_letter_was_written_leaves_no_letter(live_app):
    """The database refuses the final commit (connection lost, disk full): the letter was
    rendered, signed and stored under the number it would have had."""
    assignment_id = _signed(live_app)
    client = _clerk(live_app)
    with live_app.app_context():
        engine = db.engine
    armed = [True]

    def lose_the_commit(conn):
        if armed[0]:
            armed[0] = False
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    event.listen(engine, "commit", lose_the_commit)
    try:
        response = client.post_form(f"/assignments/{assignment_id}/actions/issue")
    finally:
        event.remove(engine, "commit", lose_the_commit)
    assert not armed[0]
    assert response.status_code == 500
    assert "系统内部错误" in response.get_data(as_text=True)
    state = _state(live_app, assignment_id)
    orphans = state.pop("files")
    assert state == {k: v for k, v in UNISSUED.items() if k != "files"}
    assert audit_actions(live_app, assignment_id, "issue") == 0

    response = client.post_form(f"/assignments/{assignment_id}/actions/issue")
    assert response.status_code == 302
    after = _state(live_app, assignment_id)
    assert after["doc_number"].endswith("〕1号") and after["chain_ok"]
    # A signed letter bearing 〔year〕1号 that was never issued must not stay on disk (the
    # issued letter has the same number and another verification code).
    assert orphans == [] and after["files"] == [after["pdf_name"]], orphans
