"""`make bench`: what telling people costs a move. The same move (送审, which tells the first
reviewer; 审核通过, which tells the next) on N items, in the same run with the notices on and
off (the turns subscriber unsubscribed: the baseline), interleaved so that the machine's other
load falls on both alike. Reports medians of wall time and of this process's CPU time per move
(its transaction committed), and their ratio to the baseline. Nothing is sent: the outbox rows
and the queued jobs are all the request path does (the queue is in memory here).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ITEMS = int(os.environ.get("BENCH_NOTICE_ITEMS", 40))


def main() -> None:
    import flask_migrate

    from tests import factories
    from tests.support.handling import bring_to, latest_id, write_draft
    from tracker import create_app
    from tracker.extensions import db
    from tracker.handling import events
    from tracker.notifications import turns
    from tracker.replies import operations as replies

    folder = Path(tempfile.mkdtemp(prefix="bench-notices-"))
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "TESTING": True,
        "SECRET_KEY": "bench-" + "x" * 40, "UPLOAD_DIR": str(folder / "uploads"),
        "LETTER_DIR": str(folder / "letters"), "SIGNING_DIR": str(folder / "signing"),
        "STORAGE_URL": "",
        "ENV": "development", "QUEUE_URL": "memory://", "SMTP_HOST": "127.0.0.1",
        "SMS_GATEWAY_URL": "http://127.0.0.1:9/sms", "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1,
    })
    with app.app_context():
        flask_migrate.upgrade()
    timings = {"on": {"wall": [], "cpu": []}, "off": {"wall": [], "cpu": []}}
    with app.test_request_context("/", method="POST"):
        w = SimpleNamespace(**factories.build_world())
        for number, user in enumerate(w.__dict__.values()):
            if hasattr(user, "username"):
                user.email = f"{user.username}@bench.example"
                user.phone = f"139{number:08d}"
        items = [bring_to(w, "drafting") for _ in range(ITEMS * 2)]
        for assignment in items:
            write_draft(assignment, w.health_drafter)
        db.session.commit()

        def move(assignment) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            replies.submit_review(assignment, w.health_drafter)
            db.session.commit()
            replies.approve_draft(assignment, w.health_first,
                                  seen_version_id=latest_id(assignment), comment="同意")
            db.session.commit()
            return (time.perf_counter() - wall) / 2, (time.process_time() - cpu) / 2

        for index, assignment in enumerate(items):
            notices_on = index % 2 == 0
            if not notices_on:
                events.unsubscribe(turns.on_transition)
            try:
                wall, cpu = move(assignment)
            finally:
                events.subscribe(turns.on_transition)
            key = "on" if notices_on else "off"
            timings[key]["wall"].append(wall * 1000)
            timings[key]["cpu"].append(cpu * 1000)
    on, off = timings["on"], timings["off"]
    med = statistics.median
    print(f"a move with its notices (送审 / 审核通过, {ITEMS} each way, SQLite, "
          f"{os.cpu_count()} cores):")
    print(f"  notices on : median {med(on['wall']):.1f} ms wall, {med(on['cpu']):.1f} ms CPU")
    print(f"  notices off: median {med(off['wall']):.1f} ms wall, {med(off['cpu']):.1f} ms CPU "
          "(baseline)")
    print(f"  ratio on/off: {med(on['wall']) / med(off['wall']):.2f} wall, "
          f"{med(on['cpu']) / med(off['cpu']):.2f} CPU; no network on the move's path")


if __name__ == "__main__":
    main()
