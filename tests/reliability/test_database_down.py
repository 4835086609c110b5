"""The database cannot be reached (SQLite and PostgreSQL): a signed-in user still gets the
app's generic error page with its security headers, and stays signed in for when it is back.

Every new connection is refused (the pool emptied first), as when the server is down; the
PostgreSQL drill in test_postgres_restart.py stops a real server.
"""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests import factories
from tests.support.base import Client, build_app, fresh_database
from tests.support.reliability import audit_actions, world, world_objects
from tracker.extensions import db


@pytest.fixture
def production_app(tmp_path):
    """As in production: an error inside an error handler becomes a 500, not a test crash."""
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path, PROPAGATE_EXCEPTIONS=False)
        app.test_client_class = Client
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def unreachable_database(app):
    with app.app_context():
        engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def refuse(dialect, connection_record, cargs, cparams):
        raise dbapi.OperationalError("could not connect to server: Connection refused")

    engine.dispose()  # no pooled connection may hide the outage
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


def test_a_signed_in_user_gets_the_generic_error_page_while_the_database_is_unreachable(
        production_app):
    app = production_app
    ids = world(app)
    with app.test_request_context():
        w = world_objects(ids)
        (assignment,) = factories.assign(factories.make_proposal(w.clerk, w.meeting), w.clerk,
                                         lead=w.health)
        db.session.commit()
        assignment_id = assignment.id
    clerk = app.test_client()
    assert clerk.login("health_clerk").status_code == 302

    with unreachable_database(app):
        responses = [clerk.get("/"),
                     clerk.post_form(f"/assignments/{assignment_id}/actions/accept",
                                     {"note": "签收"})]
    for response in responses:
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "系统错误" in page and "系统内部错误，请稍后重试" in page
        assert "Traceback" not in page and "Connection refused" not in page
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"

    # The database is back: the same browser session is still signed in and can act.
    page = clerk.get("/")
    assert page.status_code == 200 and "退出" in page.get_data(as_text=True)
    again = clerk.post_form(f"/assignments/{assignment_id}/actions/accept", {"note": "签收"})
    assert again.status_code == 302
    assert audit_actions(app, assignment_id, "accept") == 1
