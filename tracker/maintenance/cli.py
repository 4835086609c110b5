"""``flask backup`` and ``flask restore``: the database copied while the app runs, and put back
with its row counts and audit chain checked. ``flask storage init|verify|migrate``: the file
store made ready, checked against the database, and copied to another store."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(storage_group)


def _size(n: int) -> str:
    for unit in ("字节", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "字节" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def _echo_counts(counts: dict[str, int]) -> None:
    width = max((len(t) for t in counts), default=0)
    for table, count in counts.items():
        click.echo(f"  {table.ljust(width)}  {count}")


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Backup file (default: instance/backups/tracker-<UTC time>.sqlite3|.dump).")
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Back up the database while the app runs (SQLite backup API / pg_dump -Fc)."""
    from tracker.maintenance.backup import MaintenanceError, backup

    try:
        result = backup(output)
    except MaintenanceError as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None
    manifest = result.manifest
    click.echo(f"已备份到 {result.path}（{_size(result.size)}，{result.size} 字节）。")
    click.echo("各表行数：")
    _echo_counts(manifest["tables"])
    head = manifest.get("audit_head") or {"seq": 0, "last_hash": "-"}
    click.echo(f"审计日志：共 {head['seq']} 条事件，链尾哈希 {head['last_hash']}")
    click.echo(f"清单：{result.manifest_path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite a database that already holds data.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Restore a backup made by `backup`, then check row counts and the audit chain; exit 1
    when anything does not match."""
    from tracker.maintenance.backup import MaintenanceError, restore

    try:
        result = restore(path, overwrite=yes)
    except MaintenanceError as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None
    manifest = result.manifest
    click.echo(f"已从 {path} 恢复（备份时间 {manifest['created_at']}）。")
    click.echo("各表行数：")
    _echo_counts(result.counts)
    if result.ok:
        click.echo(f"行数与备份清单一致；审计日志完整：共 {result.chain_count} 条事件，"
                   "哈希链校验通过。")
        return
    click.echo("恢复后的数据库未通过核对：", err=True)
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


storage_group = AppGroup("storage", help="The file store: init, verify, migrate.")


def _store_or_exit(url: str | None):
    from tracker.maintenance.storage import store_at

    try:
        return store_at(url)
    except ValueError as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(2) from None


def _report(report, lines: list[str]) -> None:
    for line in lines:
        click.echo(line)
    for problem in report.problems[:200]:
        click.echo(f"  × {problem}", err=True)
    if len(report.problems) > 200:
        click.echo(f"  ……另有 {len(report.problems) - 200} 个问题未列出", err=True)
    if not report.ok:
        click.echo(f"失败：发现 {len(report.problems)} 个问题。", err=True)
        raise SystemExit(1)
    click.echo("全部一致。")


@storage_group.command("init")
@with_appcontext
def storage_init() -> None:
    """Make the configured store ready: create the S3 bucket (or the local folders) if
    absent. The app itself never creates a bucket."""
    from tracker.files.store import StoreError

    target = _store_or_exit(None)
    try:
        click.echo(target.init())
    except (StoreError, OSError) as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None


@storage_group.command("verify")
@click.option("--store", "url", default=None,
              help="Store to check (default: the configured STORAGE_URL).")
@with_appcontext
def storage_verify(url: str | None) -> None:
    """Check that every file the database names is in the store with the recorded SHA-256
    (attachments, issued letters) or at all (keys, seals, print batches); exit 1 if not."""
    from tracker.files.store import StoreError
    from tracker.maintenance import storage

    target = _store_or_exit(url)
    try:
        report = storage.verify(target)
    except StoreError as exc:
        click.echo(f"错误：存储无法访问：{exc}", err=True)
        raise SystemExit(1) from None
    lines = [f"存储：{target.url or 'file:'}",
             f"已检查数据库记录的文件 {report.checked} 个，问题 {len(report.problems)} 个。"]
    letterless = storage.letterless_issued_replies()
    if letterless:
        lines.append(f"另有 {letterless} 件已发文答复没有存档答复函（批量演示数据或早于存档功能），"
                     "无文件可查。")
    _report(report, lines)


@storage_group.command("migrate")
@click.option("--from", "source_url", required=True,
              help="Source store: file: (or empty) for the configured folders, s3://bucket/prefix.")
@click.option("--to", "target_url", required=True, help="Target store, the same forms.")
@with_appcontext
def storage_migrate(source_url: str, target_url: str) -> None:
    """Copy every object (uploads, letters, keys, seals) from one store to another, each read
    back and compared by SHA-256; objects already identical are skipped, so it may be run
    again. Signing passwords are never copied. Exit 1 on any mismatch or missing file."""
    from tracker.files.store import StoreError
    from tracker.maintenance import storage

    source, target = _store_or_exit(source_url), _store_or_exit(target_url)
    click.echo(f"从 {source.url} 复制到 {target.url} ……")
    try:
        report = storage.migrate(source, target, echo=click.echo)
    except (StoreError, ValueError) as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None
    _report(report, [
        f"源中共 {report.checked} 个文件：新复制 {report.copied} 个，"
        f"目标中已有且一致而跳过 {report.skipped} 个，问题 {len(report.problems)} 个。",
        "签名证书密码不在文件存储中，未复制（见 README“文件存储”一节）。"])
