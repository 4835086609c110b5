"""`make bench`: warm render times of a 3-page and an 8-page letter, and a 200-letter batch.

Targets (LETTER.md): median ≤ 250 ms (3 pages) and ≤ 400 ms (8 pages), warm.
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.letters import check_harfbuzz_subset, render_letter_report  # noqa: E402
from tracker.letters.render import render_unlimited  # noqa: E402
from tracker.letters.samples import sample_letter  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 9))
BATCH = int(os.environ.get("BENCH_BATCH", 200))
TARGETS = {3: 0.250, 8: 0.400}


def median_time(pages: int) -> tuple[float, int]:
    data = sample_letter(pages)
    _, report = render_letter_report(data)  # warm: fonts loaded, CSS parsed
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        render_letter_report(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times), report["pages"]


def _render_one(i: int) -> int:
    pdf, _ = render_unlimited(sample_letter(3 if i % 2 else 8, number=str(100 + i)))
    return len(pdf)


def batch(processes: int) -> float:
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(processes) as pool:
        sizes = pool.map(_render_one, range(BATCH), chunksize=4)
    assert all(sizes)
    return time.perf_counter() - started


def _spin(n: int) -> int:
    return sum(range(n))


def cpu_scaling(processes: int) -> float:
    """How much faster pure-Python work runs on ``processes`` processes than on one."""
    work = [3_000_000] * (processes * 2)
    started = time.perf_counter()
    for n in work:
        _spin(n)
    serial = time.perf_counter() - started
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        pool.map(_spin, work)
        parallel = time.perf_counter() - started
    return serial / parallel


def main() -> int:
    subset = check_harfbuzz_subset()
    print(f"HarfBuzz subsetter (libharfbuzz-subset0): {'present' if subset else 'MISSING'}")
    print(f"CPU cores: {os.cpu_count()}")
    started = time.perf_counter()
    render_letter_report(sample_letter(1))
    print(f"first (cold) render: {(time.perf_counter() - started) * 1000:.0f} ms")
    ok = True
    for pages, target in TARGETS.items():
        median, got = median_time(pages)
        verdict = "ok" if median <= target else "SLOW"
        ok &= median <= target
        print(f"{pages}-page letter ({got} pages), median of {RUNS} warm renders: "
              f"{median * 1000:.0f} ms (target ≤ {target * 1000:.0f} ms) {verdict}")
    cores = os.cpu_count() or 1
    print(f"CPU scaling of pure-Python work on {cores} processes: {cpu_scaling(cores):.2f}x "
          "(what this machine gives to a parallel batch)")
    elapsed = batch(cores)
    print(f"batch of {BATCH} letters (3 and 8 pages alternating) on {cores} processes: "
          f"{elapsed:.1f} s, {BATCH / elapsed:.1f} letters/s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
