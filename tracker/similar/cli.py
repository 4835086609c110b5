"""`flask similar fill`: the items' stored similar lists ranked ahead of their pages."""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext

from tracker.similar import stored


@click.group("similar", help="相似建议提案。")
def similar_group() -> None:
    pass


@similar_group.command("fill", help="为尚无相似列表的建议提案计算相似列表（升级或批量导入之后）。")
@click.option("--all", "every", is_flag=True, help="全部重新计算。")
@with_appcontext
def fill_command(every: bool) -> None:
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done == total or done % 1000 == 0:
            click.echo(f"  {done}/{total}")

    count = stored.fill(every=every, progress=progress)
    click.echo(f"已计算 {count} 件建议提案的相似列表，用时 {time.perf_counter() - started:.1f} 秒。")
