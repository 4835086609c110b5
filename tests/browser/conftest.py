"""A live server on its own database, and Debian's chromium driven by Playwright.

The server thread needs committed data, so these tests do not use the rolled-back `database`
fixture: they get a fresh database (a SQLite file or a PostgreSQL schema) of their own.
Playwright never downloads a browser here: it starts /usr/bin/chromium, once for the folder;
each test opens contexts of its own, and whatever it leaves open is closed after it.
"""
from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from tests.support.base import build_app, fresh_database
from tracker.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def live_server(tmp_path):
    """The app served on 127.0.0.1 (a free port) in a thread, seeded with the standard world."""
    from tests.factories import build_world

    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        with app.test_request_context():
            world = build_world()
            db.session.commit()
            ids = SimpleNamespace(**{k: v.id for k, v in world.items()})
            names = SimpleNamespace(**{k: getattr(v, "name", None) for k, v in world.items()})
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield SimpleNamespace(app=app, url=f"http://127.0.0.1:{server.server_port}",
                                  ids=ids, names=names)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, and the letters' signing (asyncio.run) cannot run beside it.
@pytest.fixture(scope="package")
def _chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps); "
                    "the browser tests never download a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser(_chromium):
    """The session's chromium; the contexts (cookies, storage, pages) a test opens are closed
    after it, so no test sees another's."""
    yield _chromium
    for context in list(_chromium.contexts):
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
