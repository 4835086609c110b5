"""PostgreSQL stopped and started under load: the same app object serves again afterwards,
requests during the outage are answered with a 500 at once (never a hanging worker), and
every request is either wholly applied or not at all. A quiet restart costs no request at all
(pool_pre_ping).

The server is one this test creates (initdb into a temporary folder, a free port): the shared
server on 5432 is never restarted.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.support.base import ON_POSTGRES, Client, build_app
from tests.support.reliability import audit_actions, world, world_objects
from tracker.audit.log import verify_chain
from tracker.extensions import db
from tracker.handling.models import Assignment

ITEMS = 60


ONLY_ON_POSTGRES = pytest.mark.skipif(
    not ON_POSTGRES, reason="PostgreSQL restart drill: runs in the PostgreSQL pass "
    "(TRACKER_TEST_DATABASE_URL)")


def _app_with_items(url: str, tmp_path, items: int):
    # As in production: an error inside an error handler becomes a 500, not a test crash.
    app = build_app(url, tmp_path, PROPAGATE_EXCEPTIONS=False)
    app.test_client_class = Client
    ids = world(app)
    with app.test_request_context():
        w = world_objects(ids)
        assignment_ids = []
        for _ in range(items):
            proposal = factories.make_proposal(w.clerk, w.meeting)
            (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
            assignment_ids.append(assignment.id)
        db.session.commit()
    return app, assignment_ids


@ONLY_ON_POSTGRES
def test_the_app_rides_out_a_postgresql_restart(own_postgres, tmp_path):
    app, assignment_ids = _app_with_items(own_postgres.url, tmp_path, ITEMS)

    clerk = app.test_client()
    assert clerk.login("health_clerk").status_code == 302
    # (assignment id or None for a list page, status, seconds, page text)
    results: list[tuple[int | None, int, float, str]] = []
    stop = threading.Event()
    failures: list[BaseException] = []
    escaped: list[OperationalError] = []

    def hammer() -> None:
        try:
            for assignment_id in assignment_ids:
                if stop.is_set():
                    return
                for path, target in (("/", None),
                                     (f"/assignments/{assignment_id}/actions/accept",
                                      assignment_id)):
                    started = time.monotonic()
                    try:
                        if target is None:
                            response = clerk.get(path)
                        else:
                            response = clerk.post_form(path, {"note": "签收"})
                    except OperationalError as exc:
                        # Raised out of the request's teardown (Flask-SQLAlchemy's
                        # session.remove() rolling back on a connection the shutdown has just
                        # cut): a WSGI server answers this with its own bare 500 page.
                        escaped.append(exc)
                        results.append((target, 500, time.monotonic() - started, None))
                        continue
                    results.append((target, response.status_code, time.monotonic() - started,
                                    response.get_data(as_text=True)))
                time.sleep(0.02)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def wait_for(predicate, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not failures:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def accepted() -> int:
        return sum(1 for target, status, *_ in results if target and status == 302)

    def failed() -> int:
        return sum(1 for _, status, *_ in results if status >= 500)

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        assert wait_for(lambda: accepted() >= 3, 30), results[-3:]
        own_postgres.stop("fast")  # in-flight transactions are cut off
        assert wait_for(lambda: failed() >= 4, 15), f"no request noticed the outage {failures!r}"
        own_postgres.start()
        during = len(results)
        assert wait_for(lambda: sum(1 for target, status, *_ in results[during:]
                                    if target and status == 302) >= 3, 30), results[-3:]
    finally:
        stop.set()
        thread.join(60)
    assert not failures, failures
    assert all(e.connection_invalidated or "connect" in str(e) for e in escaped), escaped

    statuses = {status for _, status, *_ in results}
    assert statuses <= {200, 302, 500, 503}, statuses
    for _target, status, seconds, page in results:
        if status >= 500:
            assert seconds < 10, seconds  # an answer at once, not a hanging worker
            if page is not None:
                # The generic error page: no traceback, no driver message.
                assert "系统内部错误" in page or "稍后重试" in page, page[:300]
                assert "Traceback" not in page and "psycopg" not in page
    # After the restart the very same app object answers again, pages and actions alike.
    assert results[-1][1] in (200, 302)

    outcome = {}
    for target, status, *_ in results:
        if target is not None:
            outcome[target] = status
    with app.app_context():
        states = dict(db.session.execute(select(Assignment.id, Assignment.state)
                                         .where(Assignment.id.in_(assignment_ids))).all())
        db.session.remove()
    half = []
    for assignment_id, status in outcome.items():
        events = audit_actions(app, assignment_id, "accept")
        if status == 302:
            ok = states[assignment_id] == "accepted" and events == 1
        else:
            ok = states[assignment_id] == "assigned" and events == 0
        if not ok:
            half.append((assignment_id, status, states[assignment_id], events))
    assert half == []
    assert any(s >= 500 for s in outcome.values()) and any(s == 302 for s in outcome.values())
    with app.app_context():
        report = verify_chain()
        assert report.ok, report.problems
        db.session.remove()

    # A restart while nobody is asking: every pooled connection is dead, and the next
    # request must not be the one that finds out (pool_pre_ping).
    untouched = [a for a in assignment_ids if a not in outcome]
    own_postgres.stop("fast")
    own_postgres.start()
    first = clerk.post_form(f"/assignments/{untouched[0]}/actions/accept", {"note": "签收"})
    assert first.status_code == 302, first.get_data(as_text=True)[:300]
    assert audit_actions(app, untouched[0], "accept") == 1

    # What failed during the outage can simply be done again.
    for assignment_id, status in outcome.items():
        if status != 302:
            again = clerk.post_form(f"/assignments/{assignment_id}/actions/accept",
                                    {"note": "签收"})
            assert again.status_code == 302
            assert audit_actions(app, assignment_id, "accept") == 1
    with app.app_context():
        assert verify_chain().ok
        db.session.remove()
        db.engine.dispose()


@ONLY_ON_POSTGRES
def test_a_signed_in_user_gets_the_generic_error_page_while_the_database_is_down(
        own_postgres, tmp_path):
    app, (assignment_id,) = _app_with_items(own_postgres.url, tmp_path, 1)
    clerk = app.test_client()
    assert clerk.login("health_clerk").status_code == 302
    own_postgres.stop("fast")
    try:
        for response in (clerk.get("/"),
                         clerk.post_form(f"/assignments/{assignment_id}/actions/accept")):
            assert response.status_code in (500, 503)
            assert "系统内部错误" in response.get_data(as_text=True)
    finally:
        own_postgres.start()
        with app.app_context():
            db.engine.dispose()
