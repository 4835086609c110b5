"""How a request's transaction ends: a request that only read commits (on PostgreSQL the
connection then keeps its prepared statements: psycopg's rollback() drops them all); one
that wrote, flushed or holds unwritten changes without committing them is rolled back."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, update

from tests.factories import PASSWORD, build_world
from tests.support.base import ON_POSTGRES
from tracker.accounts.models import User
from tracker.extensions import db

RENAMED = "不应保存的名字"


@pytest.fixture
def site(live_app):
    """The live app (its requests really commit) with three views that change a user's name
    and return without committing: by a flush, by an UPDATE statement, and in memory."""
    def flushed():
        db.session.get(User, int(live_app.config["_victim"])).full_name = RENAMED
        db.session.flush()
        return "ok"

    def statement():
        db.session.execute(update(User).where(User.id == int(live_app.config["_victim"]))
                           .values(full_name=RENAMED))
        return "ok"

    def pending():
        db.session.get(User, int(live_app.config["_victim"])).full_name = RENAMED
        return "ok"

    for view in (flushed, statement, pending):
        live_app.add_url_rule(f"/_test/{view.__name__}", view.__name__, view)
    with live_app.test_request_context():
        world = build_world()
        db.session.commit()
        live_app.config["_victim"] = world["health_drafter"].id
        db.session.remove()
    return live_app


def _ends(app):
    """Count the commits and rollbacks of the app's connections."""
    seen = {"commit": 0, "rollback": 0}
    with app.app_context():
        engine = db.engine
    for name in seen:
        event.listen(engine, name, lambda _conn, name=name: seen.__setitem__(name, seen[name] + 1))
    return seen


def test_a_page_that_only_read_ends_with_commit(site):
    client = site.test_client()
    assert client.login("clerk", PASSWORD).status_code == 302
    seen = _ends(site)
    response = client.get("/proposals")
    assert response.status_code == 200
    assert seen == {"commit": 1, "rollback": 0}


@pytest.mark.parametrize("path", ["/_test/flushed", "/_test/statement", "/_test/pending"])
def test_a_request_that_changed_something_without_committing_is_rolled_back(site, path):
    seen = _ends(site)
    assert site.test_client().get(path).get_data(as_text=True) == "ok"
    assert seen["commit"] == 0 and seen["rollback"] == 1
    with site.app_context():
        name = db.session.scalar(select(User.full_name)
                                 .where(User.id == int(site.config["_victim"])))
        db.session.remove()
    assert name != RENAMED


@pytest.mark.skipif(not ON_POSTGRES, reason="prepared statements: psycopg on PostgreSQL")
def test_the_connection_keeps_its_prepared_statements_across_pages(site):
    client = site.test_client()
    assert client.login("clerk", PASSWORD).status_code == 302
    used = []
    with site.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda dbapi, _record, _proxy: used.append(dbapi))
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        assert client.get("/proposals").status_code == 200
    connection = used[-1]
    assert all(c is connection for c in used)  # one connection served every page
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        prepared = cursor.fetchone()[0]
    connection.rollback()
    assert prepared >= 3  # the user, the list's page and its count at least
