"""Similar items at scale: the lookup's time and the paraphrase set's accuracy among the
bulk demo items, on an existing installation's database (nothing is kept: the paraphrase
set's items are registered inside a transaction that is rolled back).

    TRACKER_INSTANCE_DIR=/tmp/inst flask --app wsgi demo --if-empty
    TRACKER_INSTANCE_DIR=/tmp/inst flask --app wsgi demo --items 100000
    TRACKER_INSTANCE_DIR=/tmp/inst flask --app wsgi search rebuild
    TRACKER_INSTANCE_DIR=/tmp/inst .venv/bin/python bench/bench_similar.py

(PostgreSQL: the same with TRACKER_DATABASE_URL=postgresql://… for each command.)

Reports the first lookup of a process (it counts the titles' document frequencies), then the
median and p95 of the registration lookup (similar_items, as the supervising clerk, with the
meeting for the duplicate flag) and of the draft editor's past replies (as the unit's
drafter), and top-1/top-5 of the paraphrases among all the items. Target: under 100 ms.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from similar_eval import load_pairs  # noqa: E402


def _timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def _p95(values):
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    from sqlalchemy import func, select

    from tracker import create_app
    from tracker.accounts.models import Role, User
    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.handling.models import Assignment
    from tracker.proposals import operations
    from tracker.proposals.models import Meeting, Proposal
    from tracker.replies.models import Reply
    from tracker.similar import queries

    app = create_app()
    with app.test_request_context():
        items = db.session.scalar(select(func.count(Proposal.id)))
        clerk = next(u for u in db.session.scalars(select(User).order_by(User.id))
                     if u.is_enabled and u.has_role(Role.supervisor))
        meeting = db.session.scalars(select(Meeting).order_by(Meeting.year.desc())).first()
        pairs = load_pairs()
        print(f"{db.engine.dialect.name}，{items} 件建议提案")

        _, first = _timed(lambda: queries.similar_items(pairs[0][1], clerk))
        print(f"进程首次查询（统计标题字频）：{first * 1000:.0f} ms")

        # The registration lookup: the paraphrases (few demo items share their words) and
        # titles the demo data repeats (thousands of items share theirs).
        demo_titles = list(dict.fromkeys(db.session.scalars(
            select(Proposal.title).order_by(Proposal.id.desc()).limit(2000))))[:100]
        for label, texts in (("改写标题", [p[1] for p in pairs]), ("演示数据标题", demo_titles)):
            times = [_timed(lambda t=t: queries.similar_items(
                t, clerk, meeting_id=meeting.id))[1] for t in texts]
            print(f"登记时相似查询，{label}（{len(times)} 次）：中位数 "
                  f"{statistics.median(times) * 1000:.1f} ms，p95 {_p95(times) * 1000:.1f} ms")

        # Past replies for assignments of a unit with many issued replies.
        unit_id = db.session.scalar(
            select(Assignment.unit_id).join(Reply, Reply.assignment_id == Assignment.id)
            .group_by(Assignment.unit_id).order_by(func.count(Reply.id).desc()).limit(1))
        drafter = db.session.scalars(select(User).where(User.unit_id == unit_id)
                                     .order_by(User.id)).first()
        assignments = db.session.scalars(select(Assignment).where(
            Assignment.unit_id == unit_id).order_by(Assignment.id.desc()).limit(50)).all()
        times = [_timed(lambda a=a: queries.past_replies(a, drafter))[1] for a in assignments]
        print(f"本单位以往答复（{len(times)} 次）：中位数 {statistics.median(times) * 1000:.1f} ms，"
              f"p95 {_p95(times) * 1000:.1f} ms")

        # The paraphrase set among all the items (rolled back afterwards).
        originals = {}
        for i, (original, _, near_miss) in enumerate(pairs):
            for title in (original, near_miss):
                proposal = operations.register_proposal(
                    clerk, meeting=meeting, number=f"S{i:03d}{'a' if title == original else 'b'}",
                    title=title, received_on=today(), authors=[{"name": "李华"}])
                originals.setdefault(original, proposal.id)
        top1 = top5 = 0
        times = []
        for original, paraphrase, _ in pairs:
            found, seconds = _timed(lambda p=paraphrase: queries.similar_items(p, clerk, limit=5))
            times.append(seconds)
            ids = [item.proposal.id for item in found]
            top1 += ids[:1] == [originals[original]]
            top5 += originals[original] in ids
        db.session.rollback()
        print(f"改写标题在全部 {items + 2 * len(pairs)} 件中：top-1 {top1 / len(pairs):.1%}，"
              f"top-5 {top5 / len(pairs):.1%}；每次 中位数 {statistics.median(times) * 1000:.1f} ms，"
              f"p95 {_p95(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
