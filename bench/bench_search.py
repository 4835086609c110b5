"""`make bench`: full-text search at 100,000 items (tracker.search).

A temporary database (SQLite file; a PostgreSQL schema of its own when
TRACKER_BENCH_DATABASE_URL is set) gets the demo and BENCH_ITEMS bulk items with real-looking
bodies, replies, opinions and contacts (tracker.demo_bulk); the index build is timed (the
same code as `flask search rebuild`). Then the search page (/search?q=…, 20 results with their
highlighted passages) is requested BENCH_RUNS times per query, warm, as the supervising clerk
(every item) and as a unit clerk (the unit's items), over a fixed list of one-, two- and
four-character queries, names and a two-word query: the median and p95 per kind of query, and
the process CPU per request (on SQLite the database's work is in the process; on PostgreSQL
the server's CPU is read from /proc for its backends).

Target: p95 under 100 ms for every kind of query on both databases.
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

from bench_dashboard import ITEMS, PG_URL, build, database, generate, signed_in, vacuum  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 5))
TARGET_MS = 100.0
QUERIES = {
    "1 character": ["医", "农", "教", "路", "水", "税"],
    "2 characters": ["养老", "旅游", "人才", "融资", "排水", "诈骗"],
    "4 characters": ["冰雪旅游", "老旧小区", "乡村振兴", "数字政府", "法律援助", "冷链物流"],
    "name": ["王伟", "李娜", "张敏", "刘洋", "陈静", "赵建国"],
    "two words": ["白城市 医共体", "长春 营商环境", "延边 黑土地保护"],
}


def _postgres_cpu_ms() -> float:
    """CPU time of every PostgreSQL process (user + system), in ms (clock ticks from /proc)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if not f.read().startswith("postgres"):
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total * 1000 / ticks


def measure(client, label: str) -> None:
    print(f"  as {label}:")
    worst = 0.0
    for kind, queries in QUERIES.items():
        times, cpu, db_cpu, found = [], [], [], []
        for q in queries:
            response = client.get("/search", query_string={"q": q})  # warm
            assert response.status_code == 200, (q, response.status_code)
            for _ in range(RUNS):
                db_before, cpu_before = _postgres_cpu_ms(), time.process_time()
                started = time.perf_counter()
                response = client.get("/search", query_string={"q": q})
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_before) * 1000)
                db_cpu.append(_postgres_cpu_ms() - db_before)
            html = response.get_data(as_text=True)
            found.append(html.split("件建议提案")[0].rsplit("：", 1)[-1])
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        worst = max(worst, p95)
        db_part = f", PostgreSQL CPU {statistics.median(db_cpu):5.1f} ms" if PG_URL else ""
        print(f"    {kind:13} median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
              f"app CPU {statistics.median(cpu):5.1f} ms{db_part}  "
              f"(items found: {', '.join(found)})")
    print(f"    worst p95 {worst:.1f} ms: {'OK' if worst < TARGET_MS else 'OVER'} "
          f"(target {TARGET_MS:.0f} ms)")


def main() -> None:
    print(f"Search at {ITEMS} items on {'PostgreSQL' if PG_URL else 'SQLite'}, {RUNS} runs "
          "per query:")
    with tempfile.TemporaryDirectory() as tmp, database(Path(tmp)) as url:
        app = build(url, Path(tmp))
        report = generate(app)
        print(f"  index: {report.index_rows} rows built in {report.index_seconds:.1f} s "
              f"({report.items / report.index_seconds:.0f} items/s)")
        if PG_URL:
            vacuum(app)
        client, _ = signed_in(app, "jiaoban")
        measure(client, "the supervising clerk (jiaoban, every item)")
        client, _ = signed_in(app, "wjw_lly")
        measure(client, "a unit clerk (wjw_lly, the unit's items)")


if __name__ == "__main__":
    main()
