"""``flask --app wsgi supervision check-facts|refresh-facts``: the dashboard's stored facts."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.extensions import db

supervision_group = AppGroup("supervision", help="督办统计：各交办的统计事实。")


def register_cli(app: Flask) -> None:
    app.cli.add_command(supervision_group)


@supervision_group.command("check-facts")
@click.option("--limit", default=20, show_default=True, help="Differences to list at most.")
def check_facts(limit: int) -> None:
    """Compare every assignment's stored facts, and the running totals, with a fresh count;
    exit 1 on a difference."""
    from tracker.supervision import facts, rollup

    found = [f"交办 {assignment_id}：{name} 存为 {stored!r}，应为 {computed!r}"
             for assignment_id, name, stored, computed in facts.mismatches(limit)]
    found += rollup.differences()[:limit]
    if not found:
        click.echo("统计事实和汇总数与来源数据一致。")
        return
    click.echo(f"统计数据与来源数据不一致（列出 {len(found)} 处）：", err=True)
    for line in found:
        click.echo(f"  {line}", err=True)
    click.echo("可运行 flask --app wsgi supervision refresh-facts 重新计算。", err=True)
    raise SystemExit(1)


@supervision_group.command("refresh-facts")
def refresh_facts() -> None:
    """Recompute every assignment's facts and the running totals from the source rows."""
    from tracker.supervision import facts, rollup

    facts.refresh_all()
    rollup.rebuild()
    db.session.commit()
    click.echo("已重新计算全部交办的统计事实和汇总数。")
