"""Similar items: past and present items like the one being registered or read, near-duplicate
flags at registration, and a unit's past replies beside the draft editor."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.similar import cli, jobs, stored  # noqa: F401 (jobs: the queue's task)

    stored.install()
    app.cli.add_command(cli.similar_group)
