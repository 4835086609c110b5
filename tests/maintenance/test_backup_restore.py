"""Backup and restore drills on the database the suite runs on (SQLite or PostgreSQL).

The data is built through the real operations and committed; the backup is taken while a
thread keeps registering items, the restore is checked against the database's contents.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tests.support.base import ON_POSTGRES
from tests.support.maintenance import (
    assignment_state,
    chain,
    flask_cli,
    register_item,
    summary,
    world_with_an_accepted_item,
)
from tracker import create_app
from tracker.config import normalise_db_url
from tracker.extensions import db
from tracker.maintenance.backup import manifest_path
from tracker.proposals.models import Proposal

SUFFIX = ".dump" if ON_POSTGRES else ".sqlite3"


def _proposal_exists(app, proposal_id: int) -> bool:
    with app.app_context():
        found = db.session.scalar(select(func.count()).select_from(Proposal)
                                  .where(Proposal.id == proposal_id))
        db.session.remove()
        return found == 1


def test_backup_while_the_app_writes_then_restore_drops_later_rows(live_app, tmp_path):
    ids = world_with_an_accepted_item(live_app)
    before = summary(live_app)

    # The app stays live: a clerk keeps registering items while the backup runs.
    stop, started = threading.Event(), threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def keep_registering() -> None:
        try:
            while not stop.is_set():
                written.append(register_item(live_app, ids, title=f"并发登记的建议{len(written)}"))
                started.set()
                time.sleep(0.02)  # a busy office, not a benchmark: leave the CPU to the backup
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            started.set()

    writer = threading.Thread(target=keep_registering)
    writer.start()
    try:
        assert started.wait(30)
        done = flask_cli(live_app, tmp_path, "backup")  # as cron runs it: the default path
    finally:
        stop.set()
        writer.join(60)
    assert not failures, failures
    assert done.returncode == 0, done.stderr
    [path] = (tmp_path / "instance" / "backups").glob(f"tracker-*Z{SUFFIX}")
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    assert str(path) in done.stdout and "各表行数" in done.stdout
    assert "audit_events" in done.stdout and str(path.stat().st_size) in done.stdout
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["size"] == path.stat().st_size
    assert path.stat().st_mode & 0o077 == 0  # personal data: readable by the owner only
    counts = manifest["tables"]
    assert set(counts) == set(before["tables"])
    # A snapshot taken somewhere in the middle of the writes: the events and the chain head
    # belong to the same moment as the items.
    registered = counts["proposals"] - before["tables"]["proposals"]
    assert 1 <= registered <= len(written)
    assert counts["audit_events"] == manifest["audit_head"]["seq"]
    assert counts["audit_events"] - before["tables"]["audit_events"] == registered
    assert counts["users"] == before["tables"]["users"]

    later = register_item(live_app, ids, title="备份之后登记的建议")
    after_backup = summary(live_app)
    assert after_backup["tables"]["proposals"] == counts["proposals"] + (
        len(written) - registered) + 1

    done = live_app.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    assert done.exit_code == 0, done.output
    assert "行数与备份清单一致" in done.output and "哈希链校验通过" in done.output

    restored = summary(live_app)
    assert restored["tables"] == counts
    assert restored["audit_head"] == manifest["audit_head"]
    assert not _proposal_exists(live_app, later)
    assert all(_proposal_exists(live_app, p) == (i < registered) for i, p in enumerate(written))
    assert assignment_state(live_app, ids["assignment"]) == "accepted"
    report = chain(live_app)
    assert report.ok, report.problems
    assert report.count == manifest["audit_head"]["seq"]

    # The restored database takes new work: sequences and the chain head came back too.
    again = register_item(live_app, ids, title="恢复之后登记的建议")
    assert _proposal_exists(live_app, again)
    assert summary(live_app)["tables"]["proposals"] == counts["proposals"] + 1
    assert chain(live_app).ok


def test_restore_refuses_a_database_with_data_without_yes(live_app, tmp_path):
    ids = world_with_an_accepted_item(live_app)
    runner = live_app.test_cli_runner()
    path = tmp_path / f"copy{SUFFIX}"
    assert runner.invoke(args=["backup", "--output", str(path)]).exit_code == 0
    later = register_item(live_app, ids)
    before = summary(live_app)

    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code == 1
    assert "不是空的" in refused.output and "--yes" in refused.output
    assert summary(live_app) == before and _proposal_exists(live_app, later)

    again = runner.invoke(args=["backup", "--output", str(path)])
    assert again.exit_code == 1 and "已存在" in again.output  # a backup is never overwritten


@contextmanager
def _new_installation(tmp_path):
    """The URL of another, empty database: a new SQLite file, or a new PostgreSQL database
    (the backup's schema lives on in the suite's database, and is never overwritten)."""
    from tests.support.base import PG_URL

    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    url = make_url(normalise_db_url(PG_URL))
    name = "restore_" + uuid.uuid4().hex[:10]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def test_restore_into_an_empty_database_needs_no_confirmation(live_app, tmp_path):
    from tests.support.base import build_app, fresh_database

    world_with_an_accepted_item(live_app)
    path = tmp_path / f"copy{SUFFIX}"
    assert live_app.test_cli_runner().invoke(args=["backup", "-o", str(path)]).exit_code == 0
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))

    if ON_POSTGRES:
        # Another schema of the same database: the backup's own schema is still there, live;
        # restoring would replace it under the other schema's name. Refused, nothing touched.
        live = summary(live_app)
        with fresh_database(tmp_path, migrated=False) as url:
            other = create_app({"DATABASE_URL": url, "TESTING": True,
                                "SECRET_KEY": live_app.config["SECRET_KEY"]})
            result = other.test_cli_runner().invoke(args=["restore", str(path)])
            assert result.exit_code == 1 and "同名模式" in result.output
            assert summary(other)["tables"] == {}
            with other.app_context():
                db.engine.dispose()
        assert summary(live_app) == live

    # A new installation: migrated (so only the seeded rows), nothing else.
    with _new_installation(tmp_path) as url:
        new = build_app(url, tmp_path)
        try:
            result = new.test_cli_runner().invoke(args=["restore", str(path)])
            assert result.exit_code == 0, result.output
            assert summary(new)["tables"] == manifest["tables"]
            assert chain(new).ok
        finally:
            with new.app_context():
                db.session.remove()
                db.engine.dispose()


def _tamper(app, source: Path, target: Path, seq: int) -> None:
    """A copy of the backup in which event ``seq`` names another actor, made by someone who
    can switch the audit table's guards off (in the copy, not in the live database)."""
    if not ON_POSTGRES:
        shutil.copy(source, target)
        con = sqlite3.connect(target)
        con.execute("DROP TRIGGER audit_events_no_update")
        con.execute("UPDATE audit_events SET actor_name = '篡改者' WHERE seq = ?", (seq,))
        con.commit()
        con.close()
        return
    from tracker.maintenance.backup import _run, _tool

    url = make_url(normalise_db_url(app.config["DATABASE_URL"]))
    scratch = "tamper_" + uuid.uuid4().hex[:10]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
    copy = create_engine(url.set(database=scratch))
    libpq = [f"--host={url.host}", f"--port={url.port or 5432}", f"--username={url.username}",
             f"--dbname={scratch}"]
    try:
        with app.app_context():
            _run([_tool("pg_restore"), "--no-owner", "--exit-on-error", *libpq, str(source)])
            with copy.begin() as conn:
                conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
                conn.execute(text("UPDATE audit_events SET actor_name = '篡改者' WHERE seq = :s"),
                             {"s": seq})
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
            schema = json.loads(manifest_path(source).read_text(encoding="utf-8"))["schema"]
            _run([_tool("pg_dump"), "--format=custom", f'--schema="{schema}"',
                  f"--file={target}", *libpq])
    finally:
        copy.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{scratch}" WITH (FORCE)')
        admin.dispose()


def test_a_tampered_backup_is_refused_or_reported_broken(live_app, tmp_path):
    ids = world_with_an_accepted_item(live_app)
    runner = live_app.test_cli_runner()
    path = tmp_path / f"good{SUFFIX}"
    assert runner.invoke(args=["backup", "-o", str(path)]).exit_code == 0
    manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    bad = tmp_path / f"bad{SUFFIX}"
    _tamper(live_app, path, bad, seq=2)
    later = register_item(live_app, ids, title="备份之后登记的建议")
    live = summary(live_app)

    # With the manifest that came with the backup: the checksum differs, nothing is touched.
    shutil.copy(manifest_path(path), manifest_path(bad))
    refused = runner.invoke(args=["restore", str(bad), "--yes"])
    assert refused.exit_code == 1
    assert "校验值不符" in refused.output
    assert summary(live_app) == live and _proposal_exists(live_app, later)

    # Someone who rewrote the manifest as well: the restore runs, the audit check fails.
    content = bad.read_bytes()
    import hashlib

    manifest.update(size=len(content), sha256=hashlib.sha256(content).hexdigest())
    manifest_path(bad).write_text(json.dumps(manifest), encoding="utf-8")
    reported = runner.invoke(args=["restore", str(bad), "--yes"])
    assert reported.exit_code == 1, reported.output
    assert "未通过核对" in reported.output
    assert "第 2 条事件的内容已被改动" in reported.output
    restored = summary(live_app)
    assert restored["tables"] == manifest["tables"]  # the counts alone cannot tell
    assert not _proposal_exists(live_app, later)
    report = chain(live_app)
    assert not report.ok and any("第 2 条" in p for p in report.problems)
    with live_app.app_context():
        from tracker.audit.models import AuditEvent

        assert db.session.scalar(select(AuditEvent.actor_name).where(AuditEvent.seq == 2)) \
            == "篡改者"
        db.session.remove()

    # The untouched backup puts everything right again.
    good = runner.invoke(args=["restore", str(path), "--yes"])
    assert good.exit_code == 0, good.output
    assert chain(live_app).ok


def test_a_backup_without_its_manifest_is_not_restored(live_app, tmp_path):
    world_with_an_accepted_item(live_app)
    runner = live_app.test_cli_runner()
    path = tmp_path / f"copy{SUFFIX}"
    assert runner.invoke(args=["backup", "-o", str(path)]).exit_code == 0
    manifest_path(path).unlink()
    before = summary(live_app)
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1 and "找不到备份清单" in result.output
    assert summary(live_app) == before
