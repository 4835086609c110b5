"""Fixtures: an app whose schema comes from the migrations, a rolled-back transaction per
test, a test client that handles CSRF tokens, and a small standard world of units and users
(the helpers behind them are in tests/support/base.py; each area's in tests/support/).

SQLite by default; PostgreSQL when TRACKER_TEST_DATABASE_URL is set (each run gets its own
schema, dropped afterwards). The migrations run once per session (per xdist worker) into a
template; every new database is a copy of it (tests/test_migrations.py runs them on an empty
database). Browser, fuzz, letter-rendering and other database-free tests run in the SQLite
pass only (`SQLITE_PASS_ONLY`)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support.base import (
    ON_POSTGRES,
    Client,
    _Template,
    build_app,
    fresh_database,
    outer_transaction,
)
from tracker.accounts.passwords import ARGON2_KEYS
from tracker.config import DEFAULTS
from tracker.extensions import db

TESTS_DIR = Path(__file__).parent
# Pages, forms and the API seen through a browser or a fuzzer do not depend on the database:
# these folders run in the SQLite pass only, and are not even collected in the PostgreSQL pass
# (the fuzz suite builds its cases at collection). Neither do the letters rendered from their
# data (tests/letters: the typesetter, the PDF and Word files, the render worker and its
# limits), the reading of Word letters, the punctuation and text rules, and the checks of the
# code itself (the labelled enums, the layers' imports): none of them opens a database or
# builds an app on one, so a second pass would only run the same code again. Tests that need
# PostgreSQL are marked postgres_only and live elsewhere.
SQLITE_PASS_ONLY = (
    "browser", "fuzz", "letters",
    "replies/test_docx_letter.py", "replies/test_punctuation.py", "replies/test_text.py",
    "search/test_text.py", "similar/test_text.py",
    "test_enums.py", "test_layers.py",
)


def pytest_ignore_collect(collection_path: Path, config):
    if ON_POSTGRES and collection_path.is_relative_to(TESTS_DIR) \
            and collection_path.relative_to(TESTS_DIR).as_posix() in SQLITE_PASS_ONLY:
        return True
    return None


# Files that take long for their number of tests (drills with real commits, subprocesses and
# threads; the route matrix; the fuzz), from timed runs of both passes, longest first. pytest-xdist
# hands out whole files (--dist loadfile) in collection order when reordering is off
# (--no-loadscope-reorder, as `make test` runs): these go first, then the rest by number of
# tests, most first (xdist's own order), so that no slow file starts last while the other worker
# has run out of work.
SCHEDULE_FIRST = (
    "security/test_csrf.py", "security/test_access_matrix.py", "fuzz/test_forms.py",
    "fuzz/test_schemathesis.py", "maintenance/test_backup_restore.py",
    "replies/test_concurrency.py", "fuzz/test_queries.py", "desk/test_page_costs.py",
    "test_migrations.py", "notifications/test_cycle.py", "ratings/test_closing.py",
    "browser/test_security_flows.py", "jobs/test_consumer.py", "notifications/test_channels.py",
    "reliability/test_killed_worker.py", "ratings/test_outbox_smtp.py", "test_app.py",
    "reliability/test_postgres_restart.py", "files/test_migrate.py", "jobs/test_delivery.py",
)


def pytest_collection_modifyitems(items):
    first = {name: rank for rank, name in enumerate(SCHEDULE_FIRST)}
    files: dict[Path, int] = {}
    for item in items:
        files[item.path] = files.get(item.path, 0) + 1

    def order(item):
        name = item.path.relative_to(TESTS_DIR).as_posix()
        return first.get(name, len(first)), -files[item.path]

    items.sort(key=order)  # stable: each file's tests keep their order


@pytest.fixture(scope="session", autouse=True)
def _database_template(tmp_path_factory):
    """Where the session's template database is made (on first use), dropped at the end."""
    _Template.folder = tmp_path_factory.mktemp("template")
    yield
    _Template.drop()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("app")
    with fresh_database(tmp) as url:
        application = build_app(url, tmp)
        yield application
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def database(app):
    """Run the test inside one outer transaction that is rolled back at the end."""
    with outer_transaction(app) as connection:
        yield connection


@pytest.fixture(scope="module")
def module_database(app):
    """`database` one scope up: one outer transaction for a whole module, rolled back after
    its last test. For modules that build their data once (tests/support/shared.py)."""
    with outer_transaction(app) as connection:
        yield connection


@pytest.fixture
def ctx(app, database):
    """An application context for tests that call operations directly."""
    with app.test_request_context():
        yield db.session
        db.session.remove()


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
        db.session.flush()
        # The ids before the commit: afterwards each row would be loaded again to read its id.
        ids = SimpleNamespace(**{k: v.id for k, v in data.items()})
        db.session.commit()
    return ids


@pytest.fixture
def production_argon2(app, monkeypatch):
    """The production argon2 parameters for this test (the suite's are cheap)."""
    for key in ARGON2_KEYS:
        monkeypatch.setitem(app.config, key, DEFAULTS[key])


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


@pytest.fixture(autouse=True)
def empty_job_queue():
    """Each test starts with nothing on the (in-memory) job queue: what an earlier test of
    the same app queued and never ran is not this test's."""
    from tests.support.jobs import clear

    clear()
    yield


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 protocol server (moto_server) in its own process: the app talks HTTP to it,
    nothing of boto3 is mocked. One per session (per xdist worker); its URL."""
    from tests.support.storage import start_s3_server

    with start_s3_server(tmp_path_factory.mktemp("s3")) as url:
        yield url


@pytest.fixture
def on_s3(app, s3_server, monkeypatch):
    """The app's store switched, for this test, to a fresh prefix of a bucket on the S3
    server, configured as production would be (STORAGE_URL, S3_* settings)."""
    from tests.support.storage import use_s3

    yield use_s3(app, s3_server, monkeypatch)
