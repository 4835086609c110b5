"""`make bench`: importing a 5,000-row 交办清单 (checked, registered and assigned in one
transaction, with its audit events), on SQLite and, when TRACKER_BENCH_DATABASE_URL points
at PostgreSQL, on PostgreSQL too.

Reports the median of BENCH_IMPORT_RUNS imports, each into a fresh database, and the time of
the check alone (reading the file and checking every row, nothing written).
Target (the issue): 5,000 rows in under 30 s.
"""
from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 5000))
RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", 3))
TARGET_SECONDS = 30.0
UNITS = [("吉林省卫生健康委员会", "省卫生健康委"), ("吉林省人力资源和社会保障厅", "省人社厅"),
         ("吉林省教育厅", "省教育厅"), ("吉林省财政厅", "省财政厅"), ("吉林省交通运输厅", "省交通运输厅")]
MEETING = "省十四届人大三次会议"


def workbook(rows: int) -> bytes:
    """A 交办清单 of `rows` items, every third with a co-handling unit and a deadline."""
    from openpyxl import Workbook

    from tracker.core.time import today
    from tracker.imports.parse import COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("交办清单")
    sheet.append([c.header for c in COLUMNS])
    due = today() + timedelta(days=80)
    for i in range(rows):
        lead = UNITS[i % len(UNITS)][0]
        co = UNITS[(i + 1) % len(UNITS)][1] if i % 3 == 0 else ""
        values = {
            "meeting": MEETING, "number": str(1000 + i), "kind": "代表建议",
            "title": f"关于加强第{i}项基层公共服务能力建设的建议",
            "authors": "李华、王芳" if i % 2 else "张伟", "phones": "13900000000",
            "category": "医疗卫生", "lead": lead, "co": co, "separate": "",
            "due_on": due if i % 3 == 0 else None, "received_on": f"{today().year}.1.2"
            if i % 5 == 0 else None, "is_key": "否",
        }
        sheet.append([values[c.key] for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@contextmanager
def database(kind: str, folder: Path):
    """A fresh empty database: a SQLite file, or a new PostgreSQL schema (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / (uuid.uuid4().hex[:8] + '.sqlite3')}"
        return
    from sqlalchemy import create_engine, text

    from tracker.config import normalise_db_url

    base = normalise_db_url(os.environ["TRACKER_BENCH_DATABASE_URL"])
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def one_run(url: str, folder: Path, content: bytes) -> tuple[float, float, int]:
    """(check-only seconds, import seconds, items) on a fresh database."""
    import flask_migrate

    from tracker import create_app
    from tracker.accounts import operations as accounts
    from tracker.accounts.models import Role
    from tracker.audit.log import verify_chain
    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.imports import operations
    from tracker.proposals import operations as proposals
    from tracker.proposals.models import Body, Level, Proposal

    app = create_app({
        "DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "bench-" + "x" * 40,
        "UPLOAD_DIR": str(folder / "uploads"), "LETTER_DIR": str(folder / "letters"),
        "SIGNING_DIR": str(folder / "signing"), "STORAGE_URL": "", "ENV": "development",
    })
    with app.app_context():
        flask_migrate.upgrade()
        office = accounts.create_unit(None, name="吉林省人民政府办公厅", short_name="省政府办公厅",
                                      is_supervising=True, sections=["督查室"])
        for name, short in UNITS:
            accounts.create_unit(None, name=name, short_name=short, sections=["办公室"])
        db.session.flush()
        clerk = accounts.create_user(None, username="jiaoban", full_name="赵敏",
                                     password="Bench-Password-1", unit=office,
                                     roles={Role.supervisor}, is_demo=True)
        proposals.create_meeting(clerk, level=Level.province, body=Body.npc, region="省",
                                 term=14, session=3, year=today().year)
        db.session.commit()
        clerk_id = clerk.id
        db.session.remove()
    try:
        with app.test_request_context("/imports", method="POST"):
            from tracker.accounts.models import User

            clerk = db.session.get(User, clerk_id)
            started = time.perf_counter()
            operations.check_workbook(clerk, content, "交办清单.xlsx")
            checked = time.perf_counter() - started
            db.session.rollback()
            started = time.perf_counter()
            result = operations.import_workbook(clerk, content, "交办清单.xlsx")
            db.session.commit()
            imported = time.perf_counter() - started
            assert result.count == ROWS, result.count
            assert db.session.scalar(db.select(db.func.count(Proposal.id)).where(
                Proposal.state == "assigned")) == ROWS
            report = verify_chain()
            assert report.ok, report.problems
        return checked, imported, result.count
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def bench(kind: str, content: bytes) -> bool:
    checks, imports = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(RUNS):
            with database(kind, Path(tmp)) as url:
                checked, imported, _ = one_run(url, Path(tmp), content)
            checks.append(checked)
            imports.append(imported)
    median = statistics.median(imports)
    ok = median < TARGET_SECONDS
    print(f"{kind}: import of {ROWS} rows (check + register + assign + audit, one "
          f"transaction), median of {RUNS} on fresh databases: {median:.1f} s "
          f"(runs: {', '.join(f'{t:.1f}' for t in imports)}; target < {TARGET_SECONDS:.0f} s) "
          f"{'ok' if ok else 'SLOW'}")
    print(f"{kind}: check only (read the file, check every row): "
          f"{statistics.median(checks):.1f} s")
    return ok


def main() -> int:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    started = time.perf_counter()
    content = workbook(ROWS)
    print(f"generated a {ROWS}-row 交办清单: {len(content) / 1024:.0f} KB in "
          f"{time.perf_counter() - started:.1f} s; CPU cores: {os.cpu_count()}")
    ok = bench("sqlite", content)
    if os.environ.get("TRACKER_BENCH_DATABASE_URL"):
        ok &= bench("postgresql", content)
    else:
        print("postgresql: skipped (set TRACKER_BENCH_DATABASE_URL to measure it too)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
