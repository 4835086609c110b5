"""Small helpers shared by the views."""
from __future__ import annotations

from flask import abort, flash, request
from werkzeug.routing import IntegerConverter

from tracker.core.errors import ValidationFailed
from tracker.core.forms import MAX_ID  # the largest id or page number taken from a URL
from tracker.extensions import db


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every route: a number too large for an id does not match (404)."""

    def __init__(self, url_map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def me():
    """The signed-in user itself, not Flask-Login's proxy: a list page asks the workflow's
    who-may checks hundreds of times, and each attribute read through the proxy costs a
    context lookup."""
    from flask_login import current_user

    return current_user._get_current_object()


def int_arg(name: str, maximum: int = MAX_ID) -> int | None:
    """A positive whole number from the query string; None when absent, not one, or too large.

    ASCII digits only: "²" and "١٢" are digits to str.isdigit() but int() refuses the first.
    """
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= maximum else None


def load_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def apply_errors(form, exc: ValidationFailed) -> None:
    """Show an operation's field errors on the form that was posted, once each (those of
    hidden fields, which the page never shows, as messages at the top)."""
    for name, messages in exc.errors.items():
        field = form._fields.get(name.split("-")[0])
        if field is not None and getattr(field.widget, "input_type", None) != "hidden":
            # The form's own validation may have raised this very error (run_action passes
            # the form's errors on): each message is shown once.
            shown = list(field.errors or [])
            field.errors = shown + [m for m in messages if m not in shown]
        elif field is not None:
            for message in messages:
                flash(f"页面数据「{field.label.text}」有误：{message}请刷新页面后重新提交。",
                      "danger")
        else:
            for message in messages:
                flash(message, "danger")
    flash(exc.message, "danger")


FAILED = object()


def attempt(form, operation):
    """Run an operation for a posted form and commit once; when it refuses the input, roll
    back, show the errors on the form and return FAILED."""
    try:
        result = operation()
    except ValidationFailed as exc:
        db.session.rollback()
        apply_errors(form, exc)
        return FAILED
    db.session.commit()
    return result
