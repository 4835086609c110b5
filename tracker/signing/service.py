"""Signing and verification inside the app: the unit's key, the configured roots and the
archive of issued letters (their SHA-256 and verification codes)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from tracker.signing import codes
from tracker.signing.keys import trust_roots
from tracker.signing.pdf import Verification, inspect


def verify_url(code: str) -> str:
    """The address in a letter's QR code: the configured public base URL, never the Host."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{code}"


@dataclass
class Archive:
    """Where the issued letters are: replies provides it at app wiring (its init_app)."""

    by_hash: Callable[[str], object | None] | None = None  # sha256 -> issued reply
    by_code: Callable[[str], object | None] | None = None  # normalised code -> issued reply
    stored_file: Callable[[object], bytes | None] | None = None  # reply -> its stored PDF
    # reply -> True when its letter is not for the public (不予公开): the code then opens its
    # facts and the comparison of an uploaded file, and the download only for users who
    # may see the item.
    withheld: Callable[[object], bool] | None = None
    may_see: Callable[[object, object], bool] | None = None  # (user, reply) -> bool


ARCHIVE = Archive()


def provide_archive(*, by_hash, by_code, stored_file, withheld=None, may_see=None) -> None:
    ARCHIVE.by_hash, ARCHIVE.by_code, ARCHIVE.stored_file = by_hash, by_code, stored_file
    ARCHIVE.withheld, ARCHIVE.may_see = withheld, may_see


def may_download(user, reply) -> bool:
    """Whoever holds the code may download a letter, unless it is not for the public: then
    only a logged-in user who may see the item."""
    if ARCHIVE.withheld is None or not ARCHIVE.withheld(reply):
        return True
    return bool(getattr(user, "is_authenticated", False) and ARCHIVE.may_see is not None
                and ARCHIVE.may_see(user, reply))


def issued_by_hash(sha256: str):
    return ARCHIVE.by_hash(sha256)


def reply_by_code(text: str):
    code = codes.normalise(text)
    if code is None:
        return None
    return ARCHIVE.by_code(code)


def stored_letter(reply) -> bytes | None:
    """The reply's issued letter as stored at issue (None: not found in the store)."""
    return ARCHIVE.stored_file(reply)


def verify_file(data: bytes) -> tuple[Verification, object | None]:
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
