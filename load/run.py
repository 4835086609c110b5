"""The load test (`make load`, `make load-cluster`): a fresh PostgreSQL database with work for
every simulated user, gunicorn in production mode (with gunicorn.conf.py, as `make serve-prod`),
locust headless, then the audit chain, the document numbers and the servers' logs. Exit status
1 when a request failed, the locustfile raised, the audit chain is broken, a number repeats, a
server logged a traceback (or, with two servers, the job queue or the object store failed
their checks).

Modes (LOAD_MODE):

- realistic (default): LOAD_USERS users with LOAD_WAIT seconds between tasks for LOAD_TIME;
  response times over the whole run and the steady state, and CPU ms per request.
- saturate: closed loop without pauses, one kind of page at a time (LOAD_SAT_PAGES) with
  LOAD_SAT_PAGE_USERS users, then the whole mix at each of LOAD_SAT_USERS; each a measured
  window of LOAD_WINDOW seconds after LOAD_WARMUP seconds. Reports requests/s, p50/p95/p99,
  and app and database CPU ms per request, with each page's ratio to the cheapest logged-in
  page (the baseline, "floor") measured in the same run; and the to-do page of a clerk with
  a short and a long list (LOAD_PROBES, "10,300"), the two windows repeated one after the
  other LOAD_SAT_ROUNDS (3) times, their ratio taken per round and its median reported.

LOAD_SERVERS=2 (`make load-cluster`): two gunicorns on two ports sharing one PostgreSQL
database, one S3-compatible object store (a local moto_server) and one job queue (on
PostgreSQL, with one `flask jobs worker` consumer); the users' requests alternate between
the servers. Afterwards also `flask storage verify` and the queue's runs.

Other settings (environment): LOAD_USERS (50), LOAD_TIME (2m), LOAD_WAIT (5,15),
LOAD_SPAWN_RATE (2 users/s), LOAD_WORKERS (gunicorn workers in all, 4), LOAD_PORT (8765; the
second server the next port), LOAD_DATABASE (tracker_load), LOAD_PG
(postgresql://postgres@127.0.0.1:5432), LOAD_STOCK (items per unit and step: 12, or 20 when
saturating), LOAD_BULK (3000), LOAD_WORKDIR (/tmp/tracker-load). LOAD_SKIP_SETUP=1 reuses the
previous run's database and accounts (for trying settings only: the work it did is gone).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_P95_MS = 150
# The saturation mode's windows, in order: the baselines first (the anonymous login form, the
# cheapest logged-in page), then each kind of page of the mix, the logins, the to-do probes.
SAT_PAGES = ["login_form", "floor", "todo", "list", "filtered", "search", "detail",
             "dashboard", "actions", "login", "todo_short", "todo_long"]
BASELINE = "floor"
LABELS = {
    "login_form": "login form (anonymous)", "floor": "floor: password form (baseline)",
    "todo": "to-do", "list": "item list", "filtered": "item list, filtered",
    "search": "item list, search", "detail": "item detail", "dashboard": "dashboard",
    "actions": "actions (form+POST+redirect)", "login": "login (form+POST+to-do)",
    "todo_short": "to-do, clerk with {short} rows", "todo_long": "to-do, clerk with {long} rows",
    "mix": "whole mix",
}


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


class Cluster:
    """The processes of a run, stopped together (each in its own process group)."""

    def __init__(self, work: Path):
        self.work = work
        self.servers: list[tuple[subprocess.Popen, Path, int]] = []
        self.others: list[subprocess.Popen] = []
        self.logs = []

    def spawn(self, cmd, env_vars, log_name: str) -> subprocess.Popen:
        log = (self.work / log_name).open("w")
        self.logs.append(log)
        return subprocess.Popen([str(c) for c in cmd], cwd=ROOT, env=env_vars, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, processes: list[subprocess.Popen] | None = None) -> None:
        """Stop these processes (default: all, the object store last) and wait for them."""
        if processes is None:
            processes = [p for p, _, _ in self.servers] + self.others
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if all(p.poll() is not None for p in [p for p, _, _ in self.servers] + self.others):
            for log in self.logs:
                log.close()


def main() -> int:
    mode = env("LOAD_MODE", "realistic")
    if mode not in ("realistic", "saturate"):
        raise SystemExit(f"LOAD_MODE={mode!r}: realistic or saturate")
    n_servers = int(env("LOAD_SERVERS", "1"))
    users = int(env("LOAD_USERS", "50"))
    run_time = env("LOAD_TIME", "2m")
    workers = int(env("LOAD_WORKERS", "4"))
    port = int(env("LOAD_PORT", "8765"))
    database = env("LOAD_DATABASE", "tracker_load")
    pg = env("LOAD_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    work = Path(env("LOAD_WORKDIR", "/tmp/tracker-load"))
    url = f"{pg}/{database}"
    probes = env("LOAD_PROBES", "10,300") if mode == "saturate" else ""
    sat_users = [int(n) for n in env("LOAD_SAT_USERS", "4,8,16").split(",")]
    page_users = int(env("LOAD_SAT_PAGE_USERS", "8"))
    accounts_needed = max([users] if mode == "realistic" else [page_users, *sat_users])

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    base_env.update(TRACKER_DATABASE_URL=url, TRACKER_INSTANCE_DIR=str(work / "instance"))
    if (ROOT / "instance" / "fonts").is_dir():
        # The letters' fonts as `make fonts` installs them for the app (the instance folder
        # is the run's own).
        base_env["TRACKER_LETTER_FONTS_DIR"] = str(ROOT / "instance" / "fonts")
    cluster = n_servers > 1
    use_storage = False
    if cluster:
        base_env["TRACKER_QUEUE_URL"] = url
        use_storage = storage_commands(base_env)
        if not use_storage and not os.environ.get("LOAD_NO_STORAGE"):
            raise SystemExit(
                "`flask storage` does not exist in this tree (the S3-compatible store is not "
                "merged yet): the two-server run needs it to keep the letters in one store. "
                "LOAD_NO_STORAGE=1 runs it anyway with each letter on the local disk and "
                "`flask storage verify` NOT run, and then ends FAILED for that.")
    accounts = work / "accounts.json"
    runner = Cluster(work)
    try:
        if use_storage:
            s3_port = free_port()
            base_env.update(TRACKER_STORAGE_URL="s3://tracker-load/files",
                            TRACKER_S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
                            TRACKER_S3_ACCESS_KEY="test", TRACKER_S3_SECRET_KEY="test")
        if os.environ.get("LOAD_SKIP_SETUP") and accounts.exists():
            # Only for trying settings: the database keeps what the previous run did to it.
            step(f"reusing {database} and {accounts} (LOAD_SKIP_SETUP)")
            if use_storage:
                raise SystemExit("LOAD_SKIP_SETUP cannot reuse the object store (moto keeps "
                                 "it in memory)")
            if accounts_needed > len(json.loads(accounts.read_text(encoding="utf-8"))):
                raise SystemExit("more users than accounts: users would share them and collide")
        else:
            shutil.rmtree(work, ignore_errors=True)
            (work / "instance").mkdir(parents=True)
            step(f"fresh database {database}")
            recreate_database(pg, database)
            dev_env = {**base_env, "TRACKER_ENV": "development"}
            if use_storage:
                step(f"object store: moto_server on 127.0.0.1:{s3_port}, bucket tracker-load")
                start_moto(runner, s3_port)
                run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], dev_env)
                run([BIN / "flask", "--app", "wsgi", "storage", "init"], dev_env)
            step("migrations, demo data and work for the simulated users")
            run([BIN / "python", ROOT / "load" / "setup_data.py",
                 "--users", str(accounts_needed),
                 "--stock", env("LOAD_STOCK", "20" if mode == "saturate" else "12"),
                 "--bulk", env("LOAD_BULK", "3000"), "--probes", probes,
                 *(["--emails"] if cluster else []), "--out", accounts], dev_env)

        prod_env = {**base_env, "TRACKER_ENV": "production",
                    "TRACKER_SECRET_KEY": secrets.token_hex(32),
                    "TRACKER_PUBLIC_BASE_URL": "https://tracker.example.gov.cn"}
        if cluster:
            # A local SMTP server that accepts and drops every message: the moves' e-mails
            # go through the job queue and its consumer as in production.
            smtp_port = free_port()
            step(f"mail: an SMTP sink on 127.0.0.1:{smtp_port} (aiosmtpd)")
            sink = runner.spawn([BIN / "python", "-m", "aiosmtpd", "-n", "-c",
                                 "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{smtp_port}"],
                                dict(os.environ), "smtp.log")
            runner.others.append(sink)
            wait_port(smtp_port, sink, runner.work / "smtp.log")
            prod_env.update(TRACKER_SMTP_HOST="127.0.0.1", TRACKER_SMTP_PORT=str(smtp_port))
        ports = [port + i for i in range(n_servers)]
        per_server = max(1, workers // n_servers)
        for p in ports:
            if port_in_use(p):
                raise SystemExit(f"127.0.0.1:{p} is in use (another load test?): set LOAD_PORT")
        for i, p in enumerate(ports):
            name = "gunicorn.log" if n_servers == 1 else f"gunicorn-{i + 1}.log"
            step(f"gunicorn {i + 1}/{n_servers}: {per_server} workers, production mode, "
                 f"127.0.0.1:{p} (gunicorn.conf.py)")
            (work / f"server-{i + 1}").mkdir(exist_ok=True)
            (work / f"access-{i + 1}.log").unlink(missing_ok=True)  # gunicorn appends
            process = runner.spawn(
                [BIN / "gunicorn", "--config", ROOT / "gunicorn.conf.py",
                 "--workers", per_server, "--bind", f"127.0.0.1:{p}", "--timeout", "120",
                 "--access-logfile", work / f"access-{i + 1}.log",
                 *control_socket(work / f"server-{i + 1}")], prod_env, name)
            runner.servers.append((process, work / name, p))
        started = time.time()
        for process, log, p in runner.servers:
            wait_ready(f"http://127.0.0.1:{p}/login", process, log)
        print(f"servers ready in {time.time() - started:.1f} s (the workers warm the letter "
              "fonts first)")
        consumer = None
        if cluster:
            step("job queue on PostgreSQL, one consumer (flask jobs worker)")
            consumer = runner.spawn([BIN / "flask", "--app", "wsgi", "jobs", "worker",
                                     "--workers", "2"], prod_env, "jobs-worker.log")
            runner.others.append(consumer)
            time.sleep(3)
            if consumer.poll() is not None:
                print((work / "jobs-worker.log").read_text(errors="replace")[-3000:])
                raise SystemExit("the job queue's consumer did not start")

        locust_env = {**os.environ, "LOAD_ACCOUNTS": str(accounts), "LOAD_MODE": mode,
                      "LOAD_DATABASE": database,
                      "LOAD_APP_PIDS": ",".join(str(p.pid) for p, _, _ in runner.servers),
                      "LOAD_EXTRA_PIDS": str(consumer.pid) if consumer else "",
                      "LOAD_HOSTS": ",".join(f"http://127.0.0.1:{p}" for p in ports)
                      if cluster else ""}
        run_started = time.time()
        if mode == "realistic":
            report_path = work / "report.json"
            report_path.unlink(missing_ok=True)
            step(f"locust: {users} users for {run_time}, pauses {env('LOAD_WAIT', '5,15')} s")
            locust(work, f"http://127.0.0.1:{ports[0]}", users, env("LOAD_SPAWN_RATE", "2"),
                   run_time, {**locust_env, "LOAD_REPORT": str(report_path)}, "locust")
            reports = {"realistic": load_report(report_path)}
        else:
            reports = saturate(work, ports[0], locust_env, page_users, sat_users, probes)
        queue_left = 0
        if consumer is not None:
            step("job queue: waiting for the consumer to finish what the run queued")
            queue_left = drain_queue(prod_env)
        # The app servers and the consumer stop before the checks (their logs complete); the
        # object store stays up for `flask storage verify`.
        runner.stop([p for p, _, _ in runner.servers] + ([consumer] if consumer else []))
        return check_and_report(SimpleNamespace(
            mode=mode, reports=reports, work=work, pg=pg, database=database,
            prod_env=prod_env, run_started=run_started, cluster=cluster,
            use_storage=use_storage, queue_left=queue_left, ports=ports, runner=runner,
            consumer=consumer, users=users, run_time=run_time, workers=workers,
            n_servers=n_servers, page_users=page_users, probes=probes))
    finally:
        runner.stop()


def check_and_report(done: SimpleNamespace) -> int:
    """The checks after the run, the summary, the JSON report; the exit status."""
    reports, work, pg, database = done.reports, done.work, done.pg, done.database
    prod_env, run_started, cluster = done.prod_env, done.run_started, done.cluster
    use_storage, queue_left, ports = done.use_storage, done.queue_left, done.ports
    runner, consumer, mode = done.runner, done.consumer, done.mode
    users, run_time, workers = done.users, done.run_time, done.workers
    n_servers, page_users, probes = done.n_servers, done.page_users, done.probes
    if any(report is None for report in reports.values()):
        print("locust wrote no report for: "
              + ", ".join(k for k, r in reports.items() if r is None) + " (see above)")
        return 1
    step("audit chain")
    flask = [BIN / "flask", "--app", "wsgi"]
    audit = subprocess.run([*flask, "audit", "verify"], cwd=ROOT, env=prod_env,
                           capture_output=True, text=True, check=False)
    print((audit.stdout + audit.stderr).strip())
    step("document numbers")
    duplicates = duplicate_numbers(pg, database)
    print(f"duplicate document numbers: {len(duplicates)}"
          + "".join(f"\n  {n} x{c}" for n, c in duplicates[:20]))
    left = work_left(pg, database)
    issued = letters_issued(pg, database, run_started)
    problems: list[str] = []
    if cluster:
        step("the letters in the object store (flask storage verify)")
        if use_storage:
            storage = subprocess.run([*flask, "storage", "verify"], cwd=ROOT, env=prod_env,
                                     capture_output=True, text=True, check=False)
            print((storage.stdout + storage.stderr).strip()[-3000:])
            if storage.returncode:
                problems.append("flask storage verify failed")
        else:
            print("NOT CHECKED: `flask storage` does not exist in this tree (LOAD_NO_STORAGE=1)")
            problems.append("the object store was NOT checked (LOAD_NO_STORAGE=1)")
        step("job queue")
        runs = job_runs(pg, database, run_started)
        print("job runs since the start: " + (", ".join(f"{k} {v}" for k, v in runs.items())
                                              or "none") + f"; left on the queue: {queue_left}")
        if runs.get("failed") or runs.get("interrupted"):
            problems.append("jobs failed on the queue (see jobs-worker.log and job_runs)")
        if queue_left:
            problems.append(f"{queue_left} jobs still on the queue")
        mail = outbox(pg, database, run_started)
        print("e-mails written since the start: " + (", ".join(
            f"{k} {v}" for k, v in mail.items()) or "none"))
        if mail.get("failed"):
            problems.append("e-mails failed (see outbox.last_error)")
        counts = [count_lines(work / f"access-{i + 1}.log") for i in range(n_servers)]
        print("requests per server: " + ", ".join(
            f"127.0.0.1:{p} {c}" for p, c in zip(ports, counts)))
        if min(counts) == 0:
            problems.append("a server got no request")

    server_errors = sum(log.read_text(errors="replace").count("Traceback")
                        for _, log, _ in runner.servers)
    if consumer is not None:
        server_errors += (work / "jobs-worker.log").read_text(errors="replace").count("Traceback")
    if mode == "realistic":
        print_realistic(reports["realistic"], users, run_time, workers, n_servers)
    else:
        print_saturation(reports, page_users, probes, work, workers, n_servers)
    for name, report in reports.items():
        for failure in report["failures"][:20]:
            print(f"  FAILURE ({name}) x{failure['count']} {failure['name']}: {failure['error']}")
        for exception in report["exceptions"][:20]:
            print(f"  EXCEPTION in the locustfile ({name}) x{exception['count']}: "
                  f"{exception['error']}")
    print("work left in the load units: " + ", ".join(f"{k} {v}" for k, v in left.items()))
    print(f"letters issued during the run: {issued}")
    print(f"audit chain: {'ok' if audit.returncode == 0 else 'BROKEN'}; "
          f"duplicate document numbers: {len(duplicates)}")
    if server_errors:
        print(f"server logs: {server_errors} tracebacks, see {work}/*.log")
    errors = sum(r["errors_total"] for r in reports.values())
    exceptions = sum(len(r["exceptions"]) for r in reports.values())
    failed = (errors or exceptions or audit.returncode != 0 or duplicates or server_errors
              or problems)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    result = "RESULT: " + ("FAILED" if failed else "ok") + f"; {errors} failed requests"
    if mode == "realistic":
        p95 = reports["realistic"]["steady"]["pages"]["p95"]
        result += (f"; steady-state pages p95 {p95} ms"
                   + (f" (target < {TARGET_P95_MS} ms)" if p95 >= TARGET_P95_MS else ""))
    print(result)
    summary_path = work / "summary.json"
    summary_path.write_text(json.dumps({
        "mode": mode, "servers": n_servers, "workers": workers, "reports": reports,
        "table": saturation_rows(reports, probes) if mode == "saturate" else None,
        "todo_ratios": probe_ratios(saturation_rows(reports, probes))
        if mode == "saturate" else None,
        "audit_ok": audit.returncode == 0, "duplicates": len(duplicates),
        "tracebacks": server_errors, "problems": problems, "letters_issued": issued,
        "work_left": left, "failed": bool(failed)}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    print(f"report: {summary_path}")
    return 1 if failed else 0


# -- the saturation mode ---------------------------------------------------------------------

def saturate(work: Path, port: int, locust_env: dict, page_users: int, sat_users: list[int],
             probes: str) -> dict:
    """One locust run per window; the reports by window name."""
    window = env("LOAD_WINDOW", "12")
    warmup = env("LOAD_WARMUP", "3")
    pages = [p for p in env("LOAD_SAT_PAGES", ",".join(SAT_PAGES)).split(",") if p]
    if not probes:
        pages = [p for p in pages if not p.startswith("todo_")]
    # The mix varies more from request to request than one kind of page: a longer window.
    mix_window = env("LOAD_MIX_WINDOW", str(2 * float(window)))
    plan = [(page, page, page_users, window) for page in pages]
    if "todo_short" in pages and "todo_long" in pages:
        # The two to-do probes again, one after the other, LOAD_SAT_ROUNDS times in all: their
        # ratio is taken per round (the machine drifts less between two adjacent windows
        # than across the run) and the median ratio reported.
        for r in range(2, int(env("LOAD_SAT_ROUNDS", "3")) + 1):
            plan += [(f"{probe}@r{r}", probe, page_users, window)
                     for probe in ("todo_short", "todo_long")]
    plan += [(f"mix@{n}", "mix", n, mix_window) for n in sat_users]
    short, long = (probes.split(",") + ["?", "?"])[:2] if probes else ("?", "?")
    reports = {}
    for name, page, n, seconds in plan:
        report_path = work / f"report-{name}.json"
        report_path.unlink(missing_ok=True)
        step(f"saturate: {LABELS[page].format(short=short, long=long)}, {n} users, "
             f"{seconds} s window")
        # The run time is only a safety net: the locustfile stops itself after the window.
        cap = int(float(seconds) + float(warmup) + 120)
        locust(work, f"http://127.0.0.1:{port}", n, str(n), f"{cap}s",
               {**locust_env, "LOAD_PAGE": page, "LOAD_WINDOW": seconds, "LOAD_WARMUP": warmup,
                "LOAD_REPORT": str(report_path)}, f"locust-{name}")
        reports[name] = load_report(report_path)
        r = reports[name]
        if r and r.get("window"):
            w, c = r["window"], r["window"].get("cpu") or {}
            print(f"   {w['requests']} requests, {w['rps']} req/s, app "
                  f"{c.get('app_ms_per_request')} ms/req, db {c.get('db_ms_per_request')} "
                  f"ms/req, load average {c.get('loadavg')}")
    return reports


def saturation_rows(reports: dict, probes: str) -> list[dict]:
    """The table's rows: figures per window and the ratio to the baseline page."""
    short, long = (probes.split(",") + ["?", "?"])[:2] if probes else ("?", "?")
    base = None
    if reports.get(BASELINE) and reports[BASELINE]["window"].get("cpu"):
        c = reports[BASELINE]["window"]["cpu"]
        base = (c["app_ms_per_request"] or 0) + (c["db_ms_per_request"] or 0)
    rows = []
    for name, report in reports.items():
        if not report or not report.get("window"):
            continue
        w = report["window"]
        c = w.get("cpu") or {}
        page = name.split("@")[0]
        app, db = c.get("app_ms_per_request"), c.get("db_ms_per_request")
        both = (app or 0) + (db or 0) if app is not None else None
        rows.append({
            "window": name, "label": LABELS[page].format(short=short, long=long),
            "users": report["users"], "requests": w["requests"], "rps": w["rps"],
            "errors": w["errors"],
            "posts": w["login_count"] if page == "login" else w["post_count"], "idle_work": w.get("idle_work", 0),
            "p50": w["every"]["p50"], "p95": w["every"]["p95"], "p99": w["every"]["p99"],
            "app_ms": app, "db_ms": db, "app_db_ms": round(both, 2) if both is not None else None,
            "ratio": round(both / base, 2) if base and both is not None else None,
            "pg_all_ms": c.get("pg_all_ms_per_request"),
            "locust_ms": c.get("locust_ms_per_request"),
            "app_db_ms_per_post": c.get("app_db_ms_per_post"),
            "cores": c.get("cores"), "loadavg": c.get("loadavg"),
        })
    return rows


def probe_ratios(rows: list[dict]) -> list[float]:
    """The to-do probes' long / short app+db CPU, per round (adjacent windows)."""
    by = {r["window"]: r for r in rows}
    ratios = []
    for suffix in ["", *sorted({w.split("@")[1] for w in by if w.startswith("todo_short@")},
                               key=lambda tag: int(tag[1:]))]:
        tag = f"@{suffix}" if suffix else ""
        short, long = by.get(f"todo_short{tag}"), by.get(f"todo_long{tag}")
        if short and long and short["app_db_ms"] and long["app_db_ms"]:
            ratios.append(long["app_db_ms"] / short["app_db_ms"])
    return ratios


def print_saturation(reports: dict, page_users: int, probes: str, work: Path, workers: int,
                     servers: int) -> None:
    step("summary: saturation (closed loop, no pauses)")
    print(f"{servers} server(s), {workers} gunicorn workers in all; each kind of page alone "
          f"with {page_users} users, then the mix; CPU = user+system over the window "
          "(app: gunicorn masters+workers; db: PostgreSQL processes of the load database)")
    rows = saturation_rows(reports, probes)
    head = (f"{'':34}{'users':>6}{'req/s':>7}{'p50':>6}{'p95':>6}{'p99':>6}"
            f"{'app':>7}{'db':>6}{'app+db':>8}{'x base':>7}{'pg all':>7}{'locust':>7}{'err':>5}")
    print(head)
    print(f"{'':34}{'':6}{'':7}{'ms':>6}{'ms':>6}{'ms':>6}{'CPU ms per request':>28}"
          f"{'':7}{'ms':>7}")
    for row in rows:
        print(f"{row['label'][:33]:34}{row['users']:>6}{row['rps']:>7}{row['p50']:>6}"
              f"{row['p95']:>6}{row['p99']:>6}{_f(row['app_ms']):>7}{_f(row['db_ms']):>6}"
              f"{_f(row['app_db_ms']):>8}{_f(row['ratio']):>7}{_f(row['pg_all_ms']):>7}"
              f"{_f(row['locust_ms']):>7}{row['errors']:>5}")
    for row in rows:
        if row["window"] in ("actions", "login") and row["app_db_ms_per_post"]:
            what = "login" if row["window"] == "login" else "POST"
            print(f"  {row['label']}: {row['posts']} {what}s in the window, app+db "
                  f"{row['app_db_ms_per_post']} ms per {what} with the other requests of its "
                  "task" + (f"; {row['idle_work']} work tasks found nothing to do"
                            if row["idle_work"] else ""))
    ratios = probe_ratios(rows)
    if ratios:
        print(f"to-do page CPU, long list / short list ({probes.replace(',', ' vs ')} rows), "
              f"per round: {', '.join(f'{r:.2f}' for r in ratios)}; median "
              f"{statistics.median(ratios):.2f} (target: within 1.2)")
    loads = [r["loadavg"] for r in rows if r["loadavg"]]
    if loads:
        print(f"load average (1 min) at the windows' ends: "
              f"{min(l[1][0] for l in loads)}–{max(l[1][0] for l in loads)}")
    print(f"per-window reports: {work}/report-*.json")


def _f(value) -> str:
    return "-" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


# -- the realistic mode ------------------------------------------------------------------------

def print_realistic(report: dict, users: int, run_time: str, workers: int, servers: int) -> None:
    step("summary")
    print(f"{users} users, {run_time}, pauses {env('LOAD_WAIT', '5,15')} s, {servers} server(s), "
          f"{workers} gunicorn workers in all")
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
        c = r.get("cpu")
        if c:
            print(f"  CPU per request: app {c['app_ms_per_request']} ms, db "
                  f"{c['db_ms_per_request']} ms (all PostgreSQL {c['pg_all_ms_per_request']} ms"
                  + (f", job queue consumer {c['extra_ms_per_request']} ms" if c["extra_s"]
                     else "") + f"); cores used: {c['cores']}; load average {c['loadavg']}")
    print("steady state by request (ms):")
    for name, s in report["steady"].get("by_name", {}).items():
        print(f"  {name:34}{s['count']:>7}  p50 {s['p50']:>5}  p95 {s['p95']:>5}"
              f"  p99 {s['p99']:>5}")


# -- helpers -----------------------------------------------------------------------------------

def locust(work: Path, host: str, users: int, spawn_rate: str, run_time: str, env_vars: dict,
           name: str) -> int:
    """Run locust headless; its own output goes to NAME.log (shown when it fails)."""
    log = work / f"{name}.log"
    with log.open("w") as stream:
        result = subprocess.run(
            [str(c) for c in (BIN / "locust", "-f", ROOT / "load" / "locustfile.py",
                              "--headless", "--host", host, "--users", str(users),
                              "--spawn-rate", spawn_rate, "--run-time", run_time,
                              "--stop-timeout", "30", "--only-summary", "--csv", work / name,
                              "--loglevel", "WARNING")],
            cwd=ROOT, env=env_vars, stdout=stream, stderr=subprocess.STDOUT, check=False)
    if result.returncode:
        print(f"locust exited with {result.returncode} (its output: {log}):")
        print(log.read_text(errors="replace")[-1500:])
    return result.returncode


def load_report(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def storage_commands(env_vars: dict) -> bool:
    """Whether this tree has `flask storage` (the object store's commands)."""
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "storage", "--help"],
                            cwd=ROOT, env={**env_vars, "TRACKER_ENV": "development"},
                            capture_output=True, text=True, check=False)
    return result.returncode == 0


def start_moto(runner: Cluster, port: int) -> None:
    moto = BIN / "moto_server"
    if not moto.exists():
        raise SystemExit("moto_server is missing: pip install 'moto[server]' (the load extra)")
    process = runner.spawn([moto, "-H", "127.0.0.1", "-p", str(port)], dict(os.environ),
                           "moto.log")
    runner.others.append(process)
    wait_port(port, process, runner.work / "moto.log")


def wait_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not port_in_use(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{log.stem} did not start on port {port} (see {log})")
        time.sleep(0.2)


def drain_queue(env_vars: dict, seconds: float = 90) -> int:
    """Wait until the queue holds nothing to run now; what is left then."""
    code = ("from tracker import create_app; from tracker.jobs import queue; "
            "app = create_app(); ctx = app.app_context(); ctx.push(); "
            "print(queue.pending_count())")
    deadline = time.monotonic() + seconds
    left = -1
    while time.monotonic() < deadline:
        out = subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, env=env_vars,
                             capture_output=True, text=True, check=False)
        try:
            left = int(out.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            print(out.stdout[-2000:] + out.stderr[-2000:])
            return -1
        if left == 0:
            return 0
        time.sleep(2)
    return left


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def control_socket(folder: Path) -> list[str]:
    """gunicorn 27 opens a control socket, by default ~/.gunicorn/gunicorn.ctl, shared by every
    gunicorn of the same user on the machine: keep each server's in its own folder."""
    from importlib.metadata import version

    major = int(version("gunicorn").split(".")[0])
    return ["--control-socket", str(folder / "gunicorn.ctl")] if major >= 27 else []


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as stream:
        return sum(1 for _ in stream)


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


def letters_issued(pg: str, database: str, since: float) -> int:
    with connect(pg, database) as conn:
        return conn.execute(
            "SELECT count(*) FROM replies WHERE issued_at >= to_timestamp(%s) AT TIME ZONE 'UTC'",
            (since,)).fetchone()[0]


def job_runs(pg: str, database: str, since: float) -> dict[str, int]:
    with connect(pg, database) as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM job_runs "
            "WHERE started_at >= to_timestamp(%s) AT TIME ZONE 'UTC' GROUP BY 1 ORDER BY 1",
            (since,)).fetchall()
    return dict(rows)


def outbox(pg: str, database: str, since: float) -> dict[str, int]:
    """The e-mail and SMS messages written since the start, by what became of them."""
    with connect(pg, database) as conn:
        rows = conn.execute("""
            SELECT CASE WHEN sent_at IS NOT NULL THEN 'sent'
                        WHEN failed_at IS NOT NULL THEN 'failed' ELSE 'waiting' END, count(*)
            FROM outbox WHERE created_at >= to_timestamp(%s) AT TIME ZONE 'UTC'
            GROUP BY 1 ORDER BY 1""", (since,)).fetchall()
    return dict(rows)


def wait_ready(url: str, server: subprocess.Popen, log: Path, seconds: float = 90) -> None:
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


if __name__ == "__main__":
    sys.exit(main())
