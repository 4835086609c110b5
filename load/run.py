"""The load test (`make load`): a fresh PostgreSQL database with work for every simulated
user, gunicorn in production mode, locust headless, then the audit chain and the document
numbers. Exit status 1 when a request failed, the audit chain is broken, a number repeats
or gunicorn logged a traceback.

Settings (environment): LOAD_USERS (50), LOAD_TIME (2m), LOAD_WAIT ("5,15": seconds between
a user's tasks; "1,3" makes it a stress test), LOAD_SPAWN_RATE (2 users per second),
LOAD_WORKERS (gunicorn workers, 4), LOAD_PORT (8765), LOAD_DATABASE (tracker_load),
LOAD_PG (postgresql://postgres@127.0.0.1:5432), LOAD_STOCK (12 items per unit and step),
LOAD_BULK (3000 bulk items), LOAD_WORKDIR (/tmp/tracker-load: instance folder, accounts,
logs, report). LOAD_SKIP_SETUP=1 reuses the previous run's database and accounts (for trying
settings only: the work it did is gone).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_P95_MS = 500


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def main() -> int:
    users = int(env("LOAD_USERS", "50"))
    run_time = env("LOAD_TIME", "2m")
    workers = env("LOAD_WORKERS", "4")
    port = int(env("LOAD_PORT", "8765"))
    database = env("LOAD_DATABASE", "tracker_load")
    pg = env("LOAD_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    work = Path(env("LOAD_WORKDIR", "/tmp/tracker-load"))
    url = f"{pg}/{database}"

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    base_env.update(TRACKER_DATABASE_URL=url, TRACKER_INSTANCE_DIR=str(work / "instance"))
    accounts = work / "accounts.json"
    if os.environ.get("LOAD_SKIP_SETUP") and accounts.exists():
        # Only for trying settings: the database keeps what the previous run did to it.
        step(f"reusing {database} and {accounts} (LOAD_SKIP_SETUP)")
        if users > len(json.loads(accounts.read_text(encoding="utf-8"))):
            raise SystemExit("more users than accounts: users would share them and collide")
    else:
        shutil.rmtree(work, ignore_errors=True)
        (work / "instance").mkdir(parents=True)
        step(f"fresh database {database}")
        recreate_database(pg, database)
        step("migrations, demo data and work for the simulated users")
        run([BIN / "python", ROOT / "load" / "setup_data.py", "--users", str(users),
             "--stock", env("LOAD_STOCK", "12"), "--bulk", env("LOAD_BULK", "3000"),
             "--out", accounts], {**base_env, "TRACKER_ENV": "development"})

    prod_env = {**base_env, "TRACKER_ENV": "production",
                "TRACKER_SECRET_KEY": secrets.token_hex(32),
                "TRACKER_PUBLIC_BASE_URL": "https://tracker.example.gov.cn"}
    step(f"gunicorn, {workers} workers, production mode, 127.0.0.1:{port}")
    if port_in_use(port):
        raise SystemExit(f"127.0.0.1:{port} is in use (another load test?): set LOAD_PORT")
    report_path = work / "report.json"
    report_path.unlink(missing_ok=True)
    log = (work / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [BIN / "gunicorn", "--workers", workers, "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--access-logfile", str(work / "access.log"),
         *control_socket(work), "wsgi:app"],
        cwd=ROOT, env=prod_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/login", server, work / "gunicorn.log")
        step(f"locust: {users} users for {run_time}")
        run([BIN / "locust", "-f", ROOT / "load" / "locustfile.py", "--headless",
             "--host", f"http://127.0.0.1:{port}", "--users", str(users),
             "--spawn-rate", env("LOAD_SPAWN_RATE", "2"), "--run-time", run_time,
             "--stop-timeout", "30", "--only-summary", "--csv", work / "locust",
             "--loglevel", "WARNING"],
            {**os.environ, "LOAD_ACCOUNTS": str(accounts), "LOAD_REPORT": str(report_path)},
            check=False)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    if not report_path.exists():
        print("locust wrote no report (see its output above)")
        return 1
    report = json.loads(report_path.read_text(encoding="utf-8"))
    step("audit chain")
    audit = subprocess.run([BIN / "flask", "--app", "wsgi", "audit", "verify"], cwd=ROOT,
                           env=prod_env, capture_output=True, text=True, check=False)
    print((audit.stdout + audit.stderr).strip())
    step("document numbers")
    duplicates = duplicate_numbers(pg, database)
    print(f"duplicate document numbers: {len(duplicates)}"
          + "".join(f"\n  {n} x{c}" for n, c in duplicates[:20]))
    left = work_left(pg, database)

    print_summary(report, users, run_time, workers, audit.returncode == 0, duplicates, left)
    server_errors = (work / "gunicorn.log").read_text(errors="replace").count("Traceback")
    if server_errors:
        print(f"gunicorn log: {server_errors} tracebacks, see {work / 'gunicorn.log'}")
    failed = (report["all"]["errors"] > 0 or report["exceptions"] or audit.returncode != 0
              or duplicates or server_errors)
    p95 = report["steady"]["pages"]["p95"]
    print("RESULT: " + ("FAILED" if failed else "ok") + (
        f"; steady-state pages p95 {p95} ms is above the {TARGET_P95_MS} ms target"
        if p95 >= TARGET_P95_MS else f"; steady-state pages p95 {p95} ms"))
    return 1 if failed else 0


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def control_socket(work: Path) -> list[str]:
    """gunicorn 27 opens a control socket, by default ~/.gunicorn/gunicorn.ctl, shared by every
    gunicorn of the same user on the machine: keep this one's in the work folder."""
    from importlib.metadata import version

    major = int(version("gunicorn").split(".")[0])
    return ["--control-socket", str(work / "gunicorn.ctl")] if major >= 27 else []


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def run(cmd, env_vars, check: bool = True) -> int:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env_vars, check=False)
    if check and result.returncode:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(map(str, cmd))}")
    return result.returncode


def connect(pg: str, database: str):
    import psycopg

    return psycopg.connect(f"{pg}/{database}", autocommit=True)


def recreate_database(pg: str, database: str) -> None:
    if not database.replace("_", "").isalnum():
        raise SystemExit(f"unexpected database name {database!r}")
    with connect(pg, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def duplicate_numbers(pg: str, database: str) -> list[tuple[str, int]]:
    """Document numbers (文号) given more than once, replies and co-handling opinions together."""
    with connect(pg, database) as conn:
        return conn.execute("""
            SELECT doc_number, count(*) FROM (
                SELECT doc_number FROM replies WHERE doc_number IS NOT NULL
                UNION ALL
                SELECT doc_number FROM co_opinions WHERE doc_number IS NOT NULL
            ) AS numbers GROUP BY doc_number HAVING count(*) > 1 ORDER BY 2 DESC, 1
        """).fetchall()


def work_left(pg: str, database: str) -> dict[str, int]:
    """What still waits in the load units, by assignment state (to show work did not run out)."""
    with connect(pg, database) as conn:
        rows = conn.execute("""
            SELECT a.state, count(*) FROM assignments a JOIN units u ON u.id = a.unit_id
            WHERE u.name LIKE '负载测试%' GROUP BY a.state ORDER BY 1
        """).fetchall()
    return dict(rows)


def wait_ready(url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            print(log.read_text(errors="replace")[-3000:])
            raise SystemExit("gunicorn did not start")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer on {url}")


def print_summary(report: dict, users: int, run_time: str, workers: str, audit_ok: bool,
                  duplicates: list, left: dict[str, int]) -> None:
    step("summary")
    print(f"{users} users, {run_time}, {workers} gunicorn workers")
    for phase, title in (("all", "whole run (with the logins)"),
                         ("steady", "steady state (every user logged in)")):
        r = report[phase]
        print(f"{title}: {r['requests']} requests in {r['seconds']} s = {r['rps']} requests/s, "
              f"errors: {r['errors']}")
        print(f"  {'':16}{'count':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>7}  (ms)")
        for kind, label in (("pages", "pages (GET)"), ("posts", "actions (POST)"),
                            ("login", "login (POST)")):
            s = r[kind]
            if s["count"]:
                print(f"  {label:16}{s['count']:>7}{s['p50']:>7}{s['p95']:>7}{s['p99']:>7}"
                      f"{s['max']:>7}")
    print("by request:")
    for name, s in report["by_name"].items():
        print(f"  {name:32}{s['count']:>7}  p50 {s['p50']:>5}  p95 {s['p95']:>5}"
              + (f"  failures {s['failures']}" if s["failures"] else ""))
    for failure in report["failures"][:20]:
        print(f"  FAILURE x{failure['count']} {failure['name']}: {failure['error']}")
    for exception in report["exceptions"][:20]:
        print(f"  EXCEPTION in the locustfile x{exception['count']}: {exception['error']}")
    print("work left in the load units: " + ", ".join(f"{k} {v}" for k, v in left.items()))
    print(f"audit chain: {'ok' if audit_ok else 'BROKEN'}; "
          f"duplicate document numbers: {len(duplicates)}")


if __name__ == "__main__":
    sys.exit(main())
