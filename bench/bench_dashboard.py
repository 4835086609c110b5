"""`make bench`: the supervision dashboard and a filtered item list at 100,000 items.

A temporary database (a SQLite file; a PostgreSQL schema of its own, dropped afterwards, when
TRACKER_BENCH_DATABASE_URL is set) gets the migrations, the demo data and BENCH_ITEMS bulk
items (tracker.demo_bulk, timed). Then, through the Flask test client, signed in as the
supervising clerk (jiaoban) and as a unit clerk (wjw_lly), the median of BENCH_RUNS warm
requests of the dashboard and of a filtered list page (kind + unit + state, page 1).

Target: each under 300 ms.
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ITEMS = int(os.environ.get("BENCH_ITEMS", 100_000))
RUNS = int(os.environ.get("BENCH_RUNS", 5))
TARGET = 0.300
PG_URL = os.environ.get("TRACKER_BENCH_DATABASE_URL")


@contextlib.contextmanager
def database(folder: Path):
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from sqlalchemy import create_engine, text

    from tracker.config import normalise_db_url

    base = normalise_db_url(PG_URL)
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def build(url: str, folder: Path):
    import flask_migrate

    from tracker import create_app

    app = create_app({
        "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "ENV": "development",
        "UPLOAD_DIR": str(folder / "uploads"), "LETTER_DIR": str(folder / "letters"),
        "SIGNING_DIR": str(folder / "signing"), "STORAGE_URL": "",
        "SIGNING_PASSWORDS_FILE": str(folder / "signing" / "passwords.json"),
        "TESTING": True,  # (keeps the demo from writing its accounts file)
    })
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        flask_migrate.upgrade()  # (quietly: Alembic logs every revision)
    return app


def generate(app):
    from tracker import demo, demo_bulk
    from tracker.extensions import db

    with app.test_request_context():
        demo.load()
        db.session.commit()
        started = time.perf_counter()
        report = demo_bulk.generate(ITEMS)
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    print(f"generated {report.items} items ({report.rows} rows) in {elapsed:.1f} s "
          f"({report.items / elapsed:.0f} items/s)")
    return report


def vacuum(app) -> None:
    """PostgreSQL: what autovacuum does after a bulk load (index-only scans need the
    visibility map), done now instead of some minutes later."""
    from tracker.extensions import db

    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            names = ", ".join(t.name for t in db.metadata.sorted_tables)
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {names}")  # this schema's tables only
        db.session.remove()


def signed_in(app, username: str):
    """A test client with the session /login writes (the password check is not timed)."""
    from sqlalchemy import select

    from tracker.accounts.models import User
    from tracker.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        user_id, unit_id = user.get_id(), user.unit_id
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["login_at"] = datetime.now(UTC).timestamp()
    return client, unit_id


def median_ms(client, path: str) -> tuple[float, int]:
    response = client.get(path)  # warm: templates compiled, pages cached
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times) * 1000, len(response.data)


def figures_ms(app, unit_id: int | None) -> float:
    """The dashboard's queries alone (tracker.supervision.stats), without the page."""
    from tracker.extensions import db
    from tracker.supervision import stats

    scope = stats.Scope(unit_id=unit_id)
    with app.app_context():
        stats.dashboard(scope)
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            stats.dashboard(scope)
            times.append(time.perf_counter() - started)
        db.session.remove()
    return statistics.median(times) * 1000


def main() -> int:
    print(f"database: {'PostgreSQL' if PG_URL else 'SQLite'}; items: {ITEMS}; "
          f"median of {RUNS} warm requests; CPU cores: {os.cpu_count()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as url:
        app = build(url, Path(tmp))
        report = generate(app)
        if PG_URL:
            vacuum(app)
        from sqlalchemy import select

        from tracker.accounts.models import Unit
        from tracker.extensions import db
        from tracker.proposals.models import Meeting

        with app.app_context():
            health = db.session.scalar(select(Unit.id).where(Unit.name == "吉林省卫生健康委员会"))
            meeting = db.session.scalar(select(Meeting.id).where(
                Meeting.name == report.meetings[2]))
            db.session.remove()
        for username in ("jiaoban", "wjw_lly"):
            client, _ = signed_in(app, username)
            # (name, path, held to the target)
            pages = [
                ("dashboard", "/supervision/", True),
                ("list: kind + unit + state, page 1",
                 f"/proposals?kind=suggestion&unit={health}&state=replied", True),
                ("dashboard: one meeting", f"/supervision/?meeting={meeting}", False),
                ("list: no filter, page 1", "/proposals", False),
            ]
            for name, path, held in pages:
                ms, size = median_ms(client, path)
                verdict = ("ok" if ms <= TARGET * 1000 else "SLOW") if held else ""
                ok &= ms <= TARGET * 1000 or not held
                print(f"  {username:8s} {name:36s} {ms:7.1f} ms  ({size // 1024} KiB) {verdict}")
            print(f"  {username:8s} {'(of which the figures, SQL + sums)':36s} "
                  f"{figures_ms(app, None if username == 'jiaoban' else health):7.1f} ms")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
