"""并案: items joined under a lead item, handled once, answered each with its own letter."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.merging import permissions
    from tracker.merging.views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals["merging_permissions"] = permissions
