"""Helpers for the fault drills: the database's whole contents, and a throw-away PostgreSQL
cluster of the test's own that may be stopped and started at will."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import inspect, select, text

from tests import factories
from tracker.extensions import db


def contents(app) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order, read through a fresh session."""
    with app.app_context():
        db.session.remove()
        tables = sorted(inspect(db.engine).get_table_names())
        rows = {}
        for table in tables:
            found = db.session.execute(text(f'SELECT * FROM "{table}"')).all()
            rows[table] = sorted((tuple(r) for r in found), key=repr)
        db.session.remove()
        return rows


def changed_tables(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """The tables whose rows differ: name -> (rows before, rows after)."""
    return {t: (len(before.get(t, [])), len(after.get(t, [])))
            for t in sorted(set(before) | set(after)) if before.get(t) != after.get(t)}


def world(app) -> SimpleNamespace:
    """The standard world, committed; its rows' ids."""
    with app.test_request_context():
        data = factories.build_world()
        db.session.commit()
        return SimpleNamespace(**{k: v.id for k, v in data.items()})


def world_objects(ids: SimpleNamespace) -> SimpleNamespace:
    """The world's rows loaded in the current session (inside an app context)."""
    from tests.support.handling import _model_for

    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(ids).items()})


def audit_actions(app, object_id: int, action: str) -> int:
    from tracker.audit.models import AuditEvent

    with app.app_context():
        n = len(db.session.scalars(select(AuditEvent.id).where(
            AuditEvent.object_type == "assignment", AuditEvent.object_id == object_id,
            AuditEvent.action == action, AuditEvent.outcome == "success")).all())
        db.session.remove()
        return n


def _pg_bin() -> Path | None:
    def version(path: str) -> float:
        try:
            return float(Path(path).parent.parent.name)
        except ValueError:
            return 0.0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version)
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnCluster:
    """initdb'd into a temporary folder, listening on a free port of 127.0.0.1 only."""

    def __init__(self, bindir: Path):
        self.bin = bindir
        self.root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # The server refuses to run as root: the folder belongs to `postgres`, the tools
        # run as that user.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}\n{log}")

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--no-sync", "--no-instructions")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=30 -c shared_buffers=16MB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.root / "log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "30",
                  "stop")

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
