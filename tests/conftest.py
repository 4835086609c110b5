"""Fixtures: an app whose schema comes from the migrations, a rolled-back transaction per
test, a test client that handles CSRF tokens, and a small standard world of units and users.

SQLite by default; PostgreSQL when TRACKER_TEST_DATABASE_URL is set (each run gets its own
schema, dropped afterwards).
"""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import flask_migrate
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tracker import create_app
from tracker.config import normalise_db_url
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
ON_POSTGRES = bool(PG_URL)
TEST_SECRET = "test-secret-" + "x" * 40


@contextmanager
def fresh_database(tmp_path):
    """Yield the URL of a new, empty database (a SQLite file or a PostgreSQL schema)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / ('db-' + uuid.uuid4().hex[:8] + '.sqlite3')}"
        return
    base = normalise_db_url(PG_URL)
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build_app(url: str, tmp_path, **extra):
    config = {
        "DATABASE_URL": url,
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "LETTER_DIR": str(tmp_path / "letters"),
        "SIGNING_DIR": str(tmp_path / "signing"),
        "SIGNING_PASSWORDS_FILE": str(tmp_path / "signing" / "passwords.json"),
        "ENV": "development",
    }
    config.update(extra)
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    with fresh_database(tmp) as url:
        application = build_app(url, tmp)
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def outer_transaction(app):
    """Bind the app's sessions to one connection inside a transaction rolled back at the end.

    The sessions use savepoints, so the application's own commits work and leave nothing
    behind. Yields the connection (for savepoints of one's own).
    """
    with app.app_context():
        engine = db.engines[None]
        connection = engine.connect()
        outer = connection.begin()
        db.engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
    try:
        yield connection
    finally:
        with app.app_context():
            db.session.remove()
            db.session.configure(join_transaction_mode="conditional_savepoint")
            outer.rollback()
            connection.close()
            db.engines[None] = engine


@pytest.fixture
def database(app):
    """Run the test inside one outer transaction that is rolled back at the end."""
    with outer_transaction(app) as connection:
        yield connection


@pytest.fixture
def ctx(app, database):
    """An application context for tests that call operations directly."""
    with app.test_request_context():
        yield db.session
        db.session.remove()


class Client(FlaskClient):
    """A test client that logs in through the form and sends the CSRF token it was given."""

    token: str | None = None

    def fetch_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        self.token = match.group(1)
        return self.token

    def login(self, username: str, password: str | None = None, *, follow: bool = False):
        from tests.factories import PASSWORD

        self.fetch_token("/login")
        response = self.post("/login", data={
            "username": username, "password": password or PASSWORD, "csrf_token": self.token,
        }, follow_redirects=follow)
        if response.status_code == 302:
            self.fetch_token("/")
        return response

    def post_form(self, path: str, data: dict | None = None, **kwargs):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token or "")
        return self.post(path, data=payload, **kwargs)


@pytest.fixture
def client(app, database):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def make_client(app, database):
    app.test_client_class = Client
    return app.test_client


@pytest.fixture
def world(app, database):
    """Standard data: supervising office, three handling units, one user per role."""
    from tests.factories import build_world

    with app.test_request_context():
        data = build_world()
        db.session.commit()
        ids = SimpleNamespace(**{k: v.id for k, v in data.items()})
    return ids


def load(model, object_id):
    """Fetch a fresh copy of a row (inside an app context)."""
    db.session.expire_all()
    return db.session.get(model, object_id)


@pytest.fixture
def live_app(tmp_path):
    """An app on its own database, where requests really commit (concurrency, e-mail)."""
    with fresh_database(tmp_path) as url:
        application = build_app(url, tmp_path)
        application.test_client_class = Client
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
