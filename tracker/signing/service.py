"""Signing and verification inside the app: the unit's key, the configured roots and the
archive of issued letters (their SHA-256 and verification codes)."""
from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import select

from tracker.extensions import db
from tracker.replies.models import Reply
from tracker.signing import codes
from tracker.signing.keys import trust_roots
from tracker.signing.pdf import Verification, inspect


def verify_url(code: str) -> str:
    """The address in a letter's QR code: the configured public base URL, never the Host."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{code}"


def issued_by_hash(sha256: str) -> Reply | None:
    return db.session.scalar(select(Reply).where(Reply.pdf_sha256 == sha256,
                                                 Reply.issued_at.is_not(None)))


def reply_by_code(text: str) -> Reply | None:
    code = codes.normalise(text)
    if code is None:
        return None
    return db.session.scalar(select(Reply).where(Reply.verify_code == code,
                                                 Reply.issued_at.is_not(None)))


def verify_file(data: bytes) -> tuple[Verification, Reply | None]:
    """Every check of issue 5 on an uploaded or local file, and the issued reply it is."""
    result = inspect(data, trust_roots())
    reply = None
    if result.checks and result.checks[0].label != "文件格式":
        reply = issued_by_hash(hashlib.sha256(data).hexdigest())
        if reply is not None:
            result.add(True, "本系统签发", f"与本系统存档的答复函（{reply.doc_number}）逐字节一致。")
        else:
            result.add(False, "本系统签发", "本系统没有签发过与此完全相同的文件。")
    return result, reply
