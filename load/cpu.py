"""CPU time (user + system) of the processes that serve the load test, read from /proc with
psutil, so that a window's cost can be divided by the requests answered in it.

Groups:

- app: the gunicorn masters named by pid and all their descendants (the workers, a letter
  renderer they started), plus the CPU of children that already exited (the masters'
  children_user/children_system: a worker restarted in the window);
- db: the PostgreSQL processes whose title names the load database: the backends of the
  app's connections (and of the job queue's consumer, when one runs), and autovacuum workers
  on it;
- pg_all: every PostgreSQL process on the machine (the postmaster, its background writers
  and every backend, whatever database), plus the exited backends (the postmaster's children
  times): an upper bound for the database's share that includes other users of the server;
- extra: processes named by pid with their descendants (the job queue's consumer);
- locust: this process (the load generator's own cost, on the same cores).

A process that appears during the window counts from zero; one that ends in it loses its last
part unless its parent collects it (gunicorn's master, the postmaster do).
"""
from __future__ import annotations

import os
import time

import psutil


def _cpu(times) -> float:
    return times.user + times.system


def _tree(pids: list[int]) -> dict[int, float]:
    """CPU seconds by pid for the processes and their descendants; the exited children's
    under a negative key per parent (see the module's docstring)."""
    found: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            times = root.cpu_times()
            found[pid] = _cpu(times)
            found[-pid] = times.children_user + times.children_system
            for child in root.children(recursive=True):
                try:
                    found[child.pid] = _cpu(child.cpu_times())
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
    return found


def _postgres(database: str) -> tuple[dict[int, float], dict[int, float]]:
    """(processes serving the database, every PostgreSQL process) by pid."""
    db: dict[int, float] = {}
    every: dict[int, float] = {}
    needle = f" {database} "
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            name = proc.info["name"] or ""
            cmdline = " ".join(proc.info["cmdline"] or [])
            if not (name.startswith("postgres") or cmdline.startswith("postgres")):
                continue
            times = proc.cpu_times()
            every[proc.pid] = _cpu(times)
            if proc.ppid() == 1 or "-D" in (proc.info["cmdline"] or []):
                every[-proc.pid] = times.children_user + times.children_system
            if needle in f"{cmdline} ":
                db[proc.pid] = _cpu(times)
        except psutil.Error:
            pass
    return db, every


def snapshot(app_pids: list[int], database: str, extra_pids: list[int] | None = None) -> dict:
    db, every = _postgres(database)
    me = psutil.Process(os.getpid()).cpu_times()
    with open("/proc/loadavg", encoding="ascii") as stream:
        load = stream.read().split()[:3]
    return {"t": time.monotonic(), "app": _tree(app_pids), "db": db, "pg_all": every,
            "extra": _tree(extra_pids or []), "locust": {0: _cpu(me)},
            "loadavg": [float(x) for x in load]}


def spent(before: dict, after: dict) -> dict:
    """CPU seconds per group between two snapshots, the wall-clock seconds, the load average
    at both ends."""
    out = {"seconds": after["t"] - before["t"],
           "loadavg": [before["loadavg"], after["loadavg"]]}
    for group in ("app", "db", "pg_all", "extra", "locust"):
        old, new = before[group], after[group]
        out[group] = sum(max(0.0, value - old.get(pid, 0.0)) for pid, value in new.items())
    return out


def pids_from_env(name: str) -> list[int]:
    return [int(p) for p in os.environ.get(name, "").split(",") if p.strip()]
