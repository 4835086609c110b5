"""`flask search rebuild`: the whole index built again from its sources."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.search import index


@click.group("search", help="全文检索索引。")
def search_group() -> None:
    pass


@search_group.command("rebuild", help="从建议提案、答复、意见、联系记录和批示重建全文检索索引。")
@with_appcontext
def rebuild_command() -> None:
    def progress(done: int, total: int) -> None:
        if done == total or done % 10000 < index.BATCH:
            click.echo(f"  {done}/{total}")

    figures = index.rebuild(progress)
    db.session.commit()
    click.echo(f"已重建：{figures['items']} 件建议提案，{figures['rows']} 条索引，"
               f"用时 {figures['seconds']:.1f} 秒。")
