


def init_app(app) -> None:
    """The handling helpers of the templates, and who may download an item's files."""
    from tracker.files.views import register_download_rule
    from tracker.handling import permissions, templating

    templating.register(app)
    register_download_rule(permissions.download_rule)
