"""`make bench`: what the 办理单 costs. One item's 办理单 (every instruction, the reply and its
rating filled in) rendered alone, and a selection of N items in one PDF, against the 督办函 of
one urged item rendered in the same run (the baseline: a one-page document of the same
machinery), interleaved so that the machine's other load falls on both alike. Reports medians
of wall time and of this process's CPU time, and their ratio to the baseline.
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

ROUNDS = int(os.environ.get("BENCH_SHEET_ROUNDS", 7))
SELECTION = int(os.environ.get("BENCH_SHEET_SELECTION", 30))


def main() -> None:
    import flask_migrate

    from tests import factories
    from tests.support.handling import bring_to
    from tracker import create_app
    from tracker.accounts.models import Role
    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.instructions import operations
    from tracker.instructions.choices import InstructionKind as K
    from tracker.instructions.sheet import render_sheets
    from tracker.supervision import operations as supervision
    from tracker.supervision.urge_letter import render_urge_letter

    folder = Path(tempfile.mkdtemp(prefix="bench-sheets-"))
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "TESTING": True,
        "SECRET_KEY": "bench-" + "x" * 40, "UPLOAD_DIR": str(folder / "uploads"),
        "LETTER_DIR": str(folder / "letters"), "SIGNING_DIR": str(folder / "signing"),
        "STORAGE_URL": "",
        "ENV": "development", "QUEUE_URL": "memory://", "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8, "ARGON2_PARALLELISM": 1,
    })
    with app.app_context():
        flask_migrate.upgrade()
    with app.test_request_context("/", method="POST"):
        w = SimpleNamespace(**factories.build_world())
        leader = factories.make_user("office_leader", w.office, Role.leader, full_name="吴昱")
        items = []
        for _ in range(SELECTION):
            assignment = bring_to(w, "rated")
            proposal = assignment.proposal
            for kind, actor, extra in (
                    (K.transfer, w.clerk, {"leader_name": "省政府办公厅", "source": "paper"}),
                    (K.sign_off, leader, {}), (K.result_review, leader, {})):
                operations.record_instruction(proposal, actor, kind=kind, given_on=today(),
                                              text="请省卫健委认真研究办理，按时答复代表。", **extra)
            operations.record_instruction(proposal, w.health_leader, kind=K.unit_principal,
                                          assignment=assignment, given_on=today(),
                                          text="请基层卫生健康处牵头办理。")
            items.append(proposal)
        urged = bring_to(w, "drafting")
        urge = supervision.urge_assignment(urged, w.clerk, "请抓紧办理，按期答复。")
        db.session.commit()

        def timed(work) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            work()
            return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

        timed(lambda: render_sheets(items[:1], w.clerk))  # fonts prepared once, as a worker
        runs = {"baseline": [], "one": [], "selection": []}
        for _ in range(ROUNDS):
            runs["baseline"].append(timed(lambda: render_urge_letter(urge)))
            runs["one"].append(timed(lambda: render_sheets(items[:1], w.clerk)))
            runs["selection"].append(timed(lambda: render_sheets(items, w.clerk)))
    med = statistics.median
    base_wall = med(r[0] for r in runs["baseline"])
    base_cpu = med(r[1] for r in runs["baseline"])
    print(f"办理单 PDF ({ROUNDS} rounds, medians, SQLite, {os.cpu_count()} cores):")
    for key, label in (("baseline", "督办函, 1 page (baseline)"),
                       ("one", "办理单 of 1 item"),
                       ("selection", f"办理单 of {SELECTION} items, one PDF")):
        wall = med(r[0] for r in runs[key])
        cpu = med(r[1] for r in runs[key])
        print(f"  {label:<34} wall {wall:8.1f} ms  cpu {cpu:8.1f} ms  "
              f"(×{wall / base_wall:.2f} wall, ×{cpu / base_cpu:.2f} cpu)")
    per_page = med(r[1] for r in runs["selection"]) / SELECTION
    print(f"  cpu per page in a selection: {per_page:.1f} ms")


if __name__ == "__main__":
    main()
