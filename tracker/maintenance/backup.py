"""Online backup and checked restore of the configured database.

SQLite is copied with sqlite3's backup API (one read transaction: a consistent snapshot while
the app keeps writing); PostgreSQL with ``pg_dump -Fc`` of the app's schema, run on a snapshot
exported from a REPEATABLE READ transaction, so the row counts written to the manifest are
those of the dump itself. A restore refuses a file whose checksum differs from its manifest,
then checks the restored row counts and audit chain head against the manifest and verifies
the audit hash chain.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from tracker.extensions import db

FORMAT = "tracker-backup/1"
# Rows the migrations insert into an empty database: they do not make it "not empty".
SEEDED_TABLES = frozenset({"alembic_version", "audit_head", "calendar_days",
                           "redaction_rules",  # the default rules (migration f8a9b0c1d2e3)
                           # SQLite FTS5's own bookkeeping of the (empty) search index
                           "search_fts_data", "search_fts_config", "search_fts_idx",
                           "search_fts_docsize"})
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}
TOOL_TIMEOUT = 3600  # seconds; pg_dump/pg_restore of a large database


class MaintenanceError(Exception):
    """A backup or restore that cannot go ahead; the message is for the operator."""


@dataclass
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: dict

    @property
    def size(self) -> int:
        return int(self.manifest["size"])


@dataclass
class RestoreResult:
    manifest: dict
    counts: dict[str, int]
    head: dict | None
    chain_count: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- the configured database -------------------------------------------------------------

def database_kind() -> str:
    """'sqlite' or 'postgresql', from the configured engine."""
    name = db.engine.dialect.name
    if name not in SUFFIX:
        raise MaintenanceError(f"不支持备份该类型的数据库：{name}")
    return name


def manifest_path(path: Path) -> Path:
    """The manifest lies beside the backup: ``<backup file>.json``."""
    return path.with_name(path.name + ".json")


def default_path(kind: str) -> Path:
    """instance/backups/tracker-<UTC timestamp>.sqlite3 (or .dump)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(current_app.instance_path) / "backups" / f"tracker-{stamp}{SUFFIX[kind]}"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(rows: Callable[[str], list], kind: str) -> list[str]:
    if kind == "sqlite":
        found = rows("SELECT name FROM sqlite_master WHERE type = 'table' "
                     "AND name NOT LIKE 'sqlite_%'")
    else:
        found = rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(r[0] for r in found)


def _summary(rows: Callable[[str], list], kind: str) -> dict:
    """Row counts per table, the audit chain head and the schema revision."""
    tables = _tables(rows, kind)
    counts = {t: int(rows(f"SELECT count(*) FROM {_quote(t)}")[0][0]) for t in tables}
    head = None
    if "audit_head" in tables:
        found = rows("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        if found:
            head = {"seq": int(found[0][0]), "last_hash": found[0][1]}
    revision = None
    if "alembic_version" in tables:
        found = rows("SELECT version_num FROM alembic_version")
        revision = found[0][0] if found else None
    return {"tables": counts, "audit_head": head, "alembic_revision": revision}


def _live_summary() -> dict:
    kind = database_kind()
    with db.engine.connect() as conn:
        return _summary(lambda sql: conn.exec_driver_sql(sql).fetchall(), kind)


def is_empty() -> bool:
    """True when no table holds rows beyond what the migrations seed."""
    counts = _live_summary()["tables"]
    return not any(n for table, n in counts.items() if table not in SEEDED_TABLES)


def _sqlite_file() -> Path:
    url = db.engine.url
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise MaintenanceError("内存中的 SQLite 数据库无法备份或恢复。")
    return Path(url.database)


# --- PostgreSQL client tools ---------------------------------------------------------------

def _tool(name: str) -> str:
    """pg_dump / pg_restore: TRACKER_PG_BIN_DIR, else PATH, else the newest Debian version."""
    folder = current_app.config.get("PG_BIN_DIR") or os.environ.get("TRACKER_PG_BIN_DIR")
    if folder:
        candidate = Path(folder) / name
        if not os.access(candidate, os.X_OK):
            raise MaintenanceError(f"找不到 {candidate}（TRACKER_PG_BIN_DIR）。")
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.parent.name)
        except ValueError:
            return 0.0

    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if installed:
        return installed[-1]
    raise MaintenanceError(f"找不到 PostgreSQL 客户端程序 {name}，请安装 postgresql-client "
                           "或设置 TRACKER_PG_BIN_DIR。")


def _libpq() -> tuple[str, dict]:
    """The configured URL as a libpq connection string; the password goes in the environment
    (never on a command line that `ps` shows)."""
    from psycopg.conninfo import make_conninfo

    url = db.engine.url
    params: dict[str, str] = {}
    for key, value in url.query.items():
        params[key] = value[-1] if isinstance(value, tuple) else value
    if url.host:
        params["host"] = url.host
    if url.port:
        params["port"] = str(url.port)
    if url.username:
        params["user"] = url.username
    if url.database:
        params["dbname"] = url.database
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return make_conninfo(**params), env


def _run(args: list[str], env: dict | None = None) -> str:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MaintenanceError(f"{Path(args[0]).name} 无法运行：{exc}") from exc
    if done.returncode != 0:
        raise MaintenanceError(f"{Path(args[0]).name} 失败（退出码 {done.returncode}）：\n"
                               f"{done.stderr.strip()}")
    return done.stdout


# --- backup --------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _backup_sqlite(partial: Path) -> dict:
    source_path = _sqlite_file()
    if not source_path.exists():
        raise MaintenanceError(f"数据库文件不存在：{source_path}")
    source = sqlite3.connect(str(source_path), timeout=30)
    target = sqlite3.connect(str(partial))
    try:
        # One step (pages=-1): the whole copy runs in one read transaction, so it is a
        # consistent snapshot; in WAL mode the app's writers are not held up meanwhile.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        return _summary(lambda sql: target.execute(sql).fetchall(), "sqlite")
    finally:
        target.close()
        source.close()


def _backup_postgres(partial: Path) -> dict:
    conninfo, env = _libpq()
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        # The counts below and pg_dump read the same snapshot, held until the dump is done.
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        schema = conn.execute(text("SELECT current_schema()")).scalar_one_or_none()
        if schema is None:
            raise MaintenanceError(
                "配置的数据库中没有可备份的模式（search_path 指向的模式不存在）。")
        summary = _summary(lambda sql: conn.exec_driver_sql(sql).fetchall(), "postgresql")
        _run([_tool("pg_dump"), "--format=custom", f"--schema={_quote(schema)}",
              f"--snapshot={snapshot}", f"--file={partial}", "--no-password",
              f"--dbname={conninfo}"], env)
        conn.rollback()
    summary["schema"] = schema
    return summary


def backup(output: Path | None = None) -> BackupResult:
    """Back up the configured database while the app runs; write the manifest beside it."""
    kind = database_kind()
    path = Path(output) if output else default_path(kind)
    meta = manifest_path(path)
    for existing in (path, meta):
        if existing.exists():
            raise MaintenanceError(f"{existing} 已存在，不会覆盖，请换一个文件名。")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".partial-{secrets.token_hex(4)}")
    # The copy holds everyone's personal data: readable by the owner only, from the start.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        summary = _backup_sqlite(partial) if kind == "sqlite" else _backup_postgres(partial)
        manifest = {
            "format": FORMAT,
            "database": kind,
            "created_at": created_at,
            "file": path.name,
            "size": partial.stat().st_size,
            "sha256": _sha256(partial),
            **summary,
        }
        meta_partial = meta.with_name(meta.name + ".partial")
        meta_partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                encoding="utf-8")
        meta_partial.chmod(0o600)
        os.replace(partial, path)
        os.replace(meta_partial, meta)
    except BaseException:
        partial.unlink(missing_ok=True)
        meta.with_name(meta.name + ".partial").unlink(missing_ok=True)
        raise
    return BackupResult(path, meta, manifest)


# --- restore -------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict:
    """The backup's manifest, checked against the file (format, kind, size, SHA-256)."""
    meta = manifest_path(path)
    try:
        manifest = json.loads(meta.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MaintenanceError(f"找不到备份清单 {meta}，无法核对，未恢复。") from None
    except (OSError, ValueError) as exc:
        raise MaintenanceError(f"备份清单 {meta} 无法读取：{exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise MaintenanceError(f"{meta} 不是本系统的备份清单。")
    kind = database_kind()
    if manifest.get("database") != kind:
        raise MaintenanceError(f"该备份来自 {manifest.get('database')} 数据库，"
                               f"当前配置的是 {kind}，未恢复。")
    if path.stat().st_size != manifest.get("size") or _sha256(path) != manifest.get("sha256"):
        raise MaintenanceError(
            "备份文件与清单中的大小或校验值不符（文件可能已损坏或被改动），未恢复。")
    return manifest


def _restore_sqlite(path: Path) -> None:
    target_path = _sqlite_file()
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        verdict = source.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise MaintenanceError(f"备份文件已损坏（{verdict}），未恢复。")
        db.session.remove()
        db.engine.dispose()  # the app's pooled connections must not outlive the old content
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(str(target_path), timeout=30)
        try:
            # The backup API in reverse: page by page under SQLite's own write lock, in one
            # transaction, so the live file is replaced whole or not at all; the triggers
            # guarding audit_events do not fire on a page copy.
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    except sqlite3.Error as exc:
        raise MaintenanceError(f"恢复 SQLite 数据库失败：{exc}") from exc
    finally:
        source.close()


def _restore_postgres(path: Path, manifest: dict) -> None:
    conninfo, env = _libpq()
    schema = manifest.get("schema")
    if not schema:
        raise MaintenanceError("备份清单中缺少模式名，未恢复。")
    toc = _run([_tool("pg_restore"), "--list", str(path)], env)
    if f"SCHEMA - {schema} " not in toc:
        raise MaintenanceError(f"备份文件中没有模式 {schema}，与清单不符，未恢复。")
    with db.engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar_one_or_none()
        first = conn.execute(text(
            "SELECT trim(both '\"' from split_part(current_setting('search_path'), ',', 1))"
        )).scalar_one()
        target = current or first
        if not target or target == "$user":
            raise MaintenanceError("无法确定要恢复到哪个模式（search_path），未恢复。")
        if target != schema and conn.execute(text(
                "SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first():
            raise MaintenanceError(f"备份来自模式 {schema}，而数据库中另有同名模式（当前配置使用 "
                                   f"{target}）；为免覆盖它，未恢复。")
    db.session.remove()
    db.engine.dispose()
    old = f"{target[:40]}_before_restore_{secrets.token_hex(4)}"
    # The audit table's triggers refuse DELETE and TRUNCATE, so the old tables are not
    # emptied: the schema is set aside whole, the dump creates its schema anew in one
    # transaction (renamed to the configured one if the names differ), and only then is the
    # old schema dropped -- or put back if anything failed.
    with db.engine.begin() as conn:
        had_schema = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"),
                                  {"s": target}).first() is not None
        if had_schema:
            conn.exec_driver_sql(f"ALTER SCHEMA {_quote(target)} RENAME TO {_quote(old)}")
    try:
        _run([_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner",
              "--no-password", f"--dbname={conninfo}", str(path)], env)
        if schema != target:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER SCHEMA {_quote(schema)} RENAME TO {_quote(target)}")
    except Exception:
        with db.engine.begin() as conn:
            if schema != target:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_quote(target)} CASCADE")
            if had_schema:
                conn.exec_driver_sql(f"ALTER SCHEMA {_quote(old)} RENAME TO {_quote(target)}")
        raise
    if had_schema:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
            conn.exec_driver_sql(f"DROP SCHEMA {_quote(old)} CASCADE")
    db.engine.dispose()


def restore(path: Path, *, overwrite: bool = False) -> RestoreResult:
    """Restore the backup at ``path`` into the configured database, then check it."""
    from tracker.audit.log import verify_chain

    path = Path(path)
    manifest = read_manifest(path)
    if not overwrite and not is_empty():
        raise MaintenanceError(
            "当前数据库不是空的，恢复将覆盖其中全部数据。确认无误后请加 --yes 重新执行。")
    if manifest["database"] == "sqlite":
        _restore_sqlite(path)
    else:
        _restore_postgres(path, manifest)

    summary = _live_summary()
    problems: list[str] = []
    expected, actual = manifest.get("tables", {}), summary["tables"]
    for table in sorted(set(expected) | set(actual)):
        if expected.get(table) != actual.get(table):
            want = "无此表" if table not in expected else f"{expected[table]} 行"
            got = "无此表" if table not in actual else f"{actual[table]} 行"
            problems.append(f"表 {table}：备份清单为 {want}，恢复后为 {got}")
    if summary["audit_head"] != manifest.get("audit_head"):
        problems.append("审计日志链尾与备份清单不符")
    db.session.remove()
    chain = verify_chain()
    db.session.remove()
    problems += [f"审计日志：{p}" for p in chain.problems]
    return RestoreResult(manifest, actual, summary["audit_head"], chain.count, problems)
