"""The suite's databases, apps and client (tests/conftest.py has the fixtures built on them).

A new database is a SQLite file or a PostgreSQL schema (TRACKER_TEST_DATABASE_URL; each one
dropped afterwards), copied from a template migrated once per session (per xdist worker):
fresh_database(migrated=False) gives an empty one for the migration tests. build_app() sets
cheap argon2 parameters (CHEAP_ARGON2). outer_transaction() binds the app's sessions to one
connection whose transaction is rolled back at the end; Client logs in through the form and
sends the CSRF token it was given."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import psycopg
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.config import normalise_db_url
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
ON_POSTGRES = bool(PG_URL)
TEST_SECRET = "test-secret-" + "x" * 40
# argon2id at its cheapest: the suite logs in thousands of times. The production parameters
# are checked by tests/accounts/test_password_cost.py.
CHEAP_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1}


class _Template:
    """The session's migrated database, made on first use: a SQLite file, or a PostgreSQL
    schema together with its pg_dump (schema and rows), replayed under a new name per copy."""

    folder: Path | None = None
    sqlite: Path | None = None
    schema: str | None = None
    dump: str | None = None

    @classmethod
    def _folder(cls) -> Path:
        if cls.folder is None:  # outside a pytest session
            cls.folder = Path(tempfile.mkdtemp(prefix="tracker-template-"))
        return cls.folder

    @classmethod
    def sqlite_file(cls) -> Path:
        if cls.sqlite is None:
            path = cls._folder() / "template.sqlite3"
            _migrate(f"sqlite:///{path}", cls._folder())
            cls.sqlite = path
        return cls.sqlite

    @classmethod
    def postgres_dump(cls) -> tuple[str, str]:
        if cls.dump is None:
            schema = "t_" + uuid.uuid4().hex[:12] + "_tpl"
            _create_schema(schema)
            cls.schema = schema
            _migrate(_schema_url(schema), cls._folder())
            url = make_url(normalise_db_url(PG_URL))
            env = dict(os.environ, PGPASSWORD=url.password or "")
            dump = subprocess.run(
                ["pg_dump", "--no-owner", "--no-privileges", "--inserts", f"--schema={schema}",
                 f"--host={url.host or '127.0.0.1'}", f"--port={url.port or 5432}",
                 f"--username={url.username or 'postgres'}", "--no-password",
                 f"--dbname={url.database}"],
                env=env, capture_output=True, text=True, check=True).stdout
            # psql's meta-commands (\restrict) are not SQL.
            cls.dump = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
        return cls.schema, cls.dump

    @classmethod
    def drop(cls) -> None:
        if cls.schema is not None:
            _drop_schema(cls.schema)
            cls.schema = cls.dump = None


def _migrate(url: str, folder: Path) -> None:
    app = build_app(url, folder)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _pg_conninfo() -> str:
    return make_url(normalise_db_url(PG_URL)).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _create_schema(schema: str) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')


def _drop_schema(schema: str) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schema_url(schema: str) -> str:
    base = normalise_db_url(PG_URL)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def fresh_database(tmp_path, *, migrated: bool = True):
    """Yield the URL of a new database (a SQLite file or a PostgreSQL schema): a copy of the
    migrated template, or an empty one (migrated=False, for the migration tests)."""
    name = "db-" + uuid.uuid4().hex[:8] + ".sqlite3"
    if not ON_POSTGRES:
        if migrated:
            shutil.copyfile(_Template.sqlite_file(), tmp_path / name)
        yield f"sqlite:///{tmp_path / name}"
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    try:
        if migrated:
            template, dump = _Template.postgres_dump()
            with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
                with conn.transaction():
                    conn.execute(dump.replace(template, schema))
        else:
            _create_schema(schema)
        yield _schema_url(schema)
    finally:
        _drop_schema(schema)


def build_app(url: str, tmp_path, **extra):
    """An app on ``url``, migrated to the head (a copy of the template already is)."""
    config = {
        "DATABASE_URL": url,
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "LETTER_DIR": str(tmp_path / "letters"),
        "SIGNING_DIR": str(tmp_path / "signing"),
        "SIGNING_PASSWORDS_FILE": str(tmp_path / "signing" / "passwords.json"),
        "STORAGE_URL": "",  # the local folders above, whatever the environment says
        "ENV": "development",
        "QUEUE_URL": "memory://",
        **CHEAP_ARGON2,
    }
    config.update(extra)
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    return app


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


def load(model, object_id):
    """Fetch a fresh copy of a row (inside an app context)."""
    db.session.expire_all()
    return db.session.get(model, object_id)
