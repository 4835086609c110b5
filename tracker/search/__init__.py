"""Full-text search in Chinese over the items and everything written about them
(tracker.search.text: the terms; index: keeping the index; query: searching). The pages
that search are the desk's (the item list and 全文检索)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.search import cli, index, text

    index.install()
    app.jinja_env.globals.update(highlight=text.highlight)
    app.cli.add_command(cli.search_group)
