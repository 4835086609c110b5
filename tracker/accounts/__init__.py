


def init_app(app) -> None:
    """The roles for the templates."""
    from tracker.accounts.models import ROLE_LABELS, Role

    app.jinja_env.globals.update(Role=Role, ROLE_LABELS=ROLE_LABELS)
