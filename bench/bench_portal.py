"""`make bench`: the public portal (/public/) with every issued reply of BENCH_PORTAL_ITEMS
bulk items published.

A temporary database (SQLite file; a PostgreSQL schema of its own when
TRACKER_BENCH_DATABASE_URL is set) gets the demo and the bulk items (tracker.demo_bulk); each
issued reply gets a public version (the row as publish() writes it, its public text the
letter's body; no PDF: the pages do not read it), and the search index is rebuilt with their
public rows. Then each portal page is requested BENCH_RUNS times, warm, without login: the
median time and the process CPU per request (on SQLite the database's work is in the
process; on PostgreSQL the server's CPU is read from /proc for its backends), and, as a
baseline run at the same time, the login form.

Target: each page under 150 ms (the pages' p95 target under load) on both databases.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("BENCH_ITEMS", os.environ.get("BENCH_PORTAL_ITEMS", "20000"))

from bench_dashboard import ITEMS, PG_URL, build, database, generate, vacuum  # noqa: E402
from bench_search import _postgres_cpu_ms  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 5))
TARGET_MS = 150.0


def publish_all(app) -> int:
    """A public version for every issued reply, written as publish() writes it."""
    import json

    from sqlalchemy import select

    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.handling.models import Assignment
    from tracker.letters.inputs import letter_title
    from tracker.proposals.models import Proposal
    from tracker.publication.models import Publication
    from tracker.replies.models import DraftVersion, Reply
    from tracker.search import index

    with app.app_context():
        rows = db.session.execute(
            select(Reply.id, Reply.doc_number, Reply.issued_at, Assignment.unit_id,
                   Assignment.proposal_id, Proposal.number, Proposal.kind, Proposal.category,
                   Proposal.meeting_id, DraftVersion.body)
            .join(Assignment, Assignment.id == Reply.assignment_id)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .join(DraftVersion, DraftVersion.id == Reply.draft_version_id)
            .where(Reply.issued_at.is_not(None)).order_by(Reply.id)).all()
        from tracker.accounts.models import Unit
        from tracker.proposals.models import Meeting

        units = {k: v for k, v in db.session.execute(select(Unit.id, Unit.name))}
        meetings = {k: v for k, v in db.session.execute(select(Meeting.id, Meeting.name))}
        serial: dict[int, int] = {}
        on = today()
        for r in rows:
            serial[r.unit_id] = serial.get(r.unit_id, 0) + 1
            db.session.add(Publication(
                reply_id=r.id, proposal_id=r.proposal_id, unit_id=r.unit_id, version=1,
                mode="full", index_number=f"11220000000000000X/{on.year}-{serial[r.unit_id]:05d}"
                .replace("X", str(r.unit_id % 10)),
                category=r.category or "建议提案办理", issuer=units[r.unit_id],
                written_on=r.issued_at.date(), title=letter_title(
                    meetings[r.meeting_id], r.number, r.kind.value),
                doc_number=r.doc_number or "", published_on=on, public_text=r.body,
                letter_data=json.dumps({}), removals="[]", marked_words="", note="",
                confirmed_by_id=1, confirmed_by_name="联络员"))
        db.session.flush()
        index.rebuild()
        db.session.commit()
        db.session.remove()
    return len(rows)


def timed(client, path: str) -> tuple[float, float, float, int]:
    """Median wall ms, median process CPU ms and PostgreSQL CPU ms per request; size."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    wall, cpu, db_cpu = [], [], []
    for _ in range(RUNS):
        pg = _postgres_cpu_ms() if PG_URL else 0.0
        c, started = time.process_time(), time.perf_counter()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        db_cpu.append(_postgres_cpu_ms() - pg if PG_URL else 0.0)
        assert response.status_code == 200
    return (statistics.median(wall), statistics.median(cpu), statistics.median(db_cpu),
            len(response.data))


def main() -> int:
    print(f"database: {'PostgreSQL' if PG_URL else 'SQLite'}; items: {ITEMS}; "
          f"median of {RUNS} warm requests; CPU cores: {os.cpu_count()}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as url:
        app = build(url, Path(tmp))
        generate(app)
        started = time.perf_counter()
        published = publish_all(app)
        print(f"published {published} replies and rebuilt the index in "
              f"{time.perf_counter() - started:.1f} s")
        if PG_URL:
            vacuum(app)
        from sqlalchemy import func, select

        from tracker.extensions import db
        from tracker.proposals.models import Proposal
        from tracker.publication.models import Publication

        with app.app_context():
            first = db.session.scalar(select(func.min(Publication.id)))
            last = db.session.scalar(select(func.max(Publication.id)))
            meeting = db.session.scalar(select(Proposal.meeting_id).join(
                Publication, Publication.proposal_id == Proposal.id).where(
                Publication.id == last))
            db.session.remove()
        client = app.test_client()
        pages = [
            ("baseline: login form", "/login", False),
            ("list, page 1", "/public/", True),
            ("list, page 50", "/public/?page=50", True),
            ("list, one meeting", f"/public/?meeting={meeting}", True),
            ("search: 2 characters (养老)", "/public/?q=养老", True),
            ("search: 4 characters (乡村振兴)", "/public/?q=乡村振兴", True),
            ("search: two words (医疗 人才)", "/public/?q=医疗 人才", True),
            ("a reply's page", f"/public/{last}", True),
            ("a corrected reply's page", f"/public/{first}", True),
            ("feed (50 entries)", "/public/feed.atom", True),
            ("statistics, all meetings", "/public/statistics", True),
            ("statistics, one meeting", f"/public/statistics?meeting={meeting}", True),
        ]
        base = None
        print(f"  {'page':34s} {'median':>9s} {'app CPU':>9s} {'db CPU':>8s} {'× base':>7s}")
        for name, path, held in pages:
            ms, cpu, db_cpu, size = timed(client, path)
            base = base or (cpu + db_cpu)
            verdict = ("ok" if ms <= TARGET_MS else "SLOW") if held else ""
            ok &= ms <= TARGET_MS or not held
            print(f"  {name:34s} {ms:7.1f} ms {cpu:7.1f} ms {db_cpu:6.1f} ms "
                  f"{(cpu + db_cpu) / base:6.1f}×  ({size // 1024} KiB) {verdict}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
