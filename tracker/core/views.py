"""Small helpers shared by the views."""
from __future__ import annotations

from flask import abort, flash

from tracker.core.errors import ValidationFailed
from tracker.extensions import db


def load_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def apply_errors(form, exc: ValidationFailed) -> None:
    """Show an operation's field errors on the form that was posted."""
    for name, messages in exc.errors.items():
        field = form._fields.get(name.split("-")[0])
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
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
