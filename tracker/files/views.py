"""Authorised downloads of uploaded files."""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from tracker.core.errors import Hidden
from tracker.core.views import load_or_404
from tracker.files.models import Attachment
from tracker.files.storage import read_attachment

bp = Blueprint("files", __name__)

# Who may download a file is for the package it belongs to: each registers a rule (from its
# init_app) that answers False (refuse), True (allow) or None (not mine, ask the next).
# handling refuses what the user may not see of the item and decides co-opinions; ratings
# decides the scans of paper rating forms; any other file of a visible item is allowed.
DOWNLOAD_RULES: list[Callable[[object, Attachment], bool | None]] = []


def register_download_rule(rule: Callable[[object, Attachment], bool | None]) -> None:
    if rule not in DOWNLOAD_RULES:
        DOWNLOAD_RULES.append(rule)


def can_download(user, attachment: Attachment) -> bool:
    for rule in DOWNLOAD_RULES:
        verdict = rule(user, attachment)
        if verdict is not None:
            return verdict
    return bool(DOWNLOAD_RULES)  # no rule at all: nothing is known, nothing goes out


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    attachment = load_or_404(Attachment, attachment_id)
    if not can_download(current_user, attachment):
        raise Hidden()
    content = read_attachment(attachment)
    if content is None:
        abort(404)
    # At most MAX_UPLOAD_MB: read whole from any store (an S3 object as from a file).
    return send_file(io.BytesIO(content), mimetype=attachment.content_type,
                     as_attachment=True, download_name=attachment.original_name, max_age=0,
                     etag=attachment.sha256)
