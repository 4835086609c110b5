"""``flask backup`` and ``flask restore``: the database copied while the app runs, and put back
with its row counts and audit chain checked."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


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
