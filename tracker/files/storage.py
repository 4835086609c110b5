"""Checked, randomly named uploads; private local files; objects that live or die with a
transaction (on whichever store is configured: tracker.files.store)."""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.datastructures import FileStorage

from tracker.config import ALLOWED_UPLOADS
from tracker.core.errors import ValidationFailed
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.files.store import MissingObject, Store, store

# The first bytes each allowed type must start with: the type is judged by content.
MAGIC = {
    "pdf": [b"%PDF-"],
    "docx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "png": [b"\x89PNG\r\n\x1a\n"],
}


UPLOADS = "uploads/"


def upload_dir() -> Path:
    """The local uploads folder (the local backend's ``uploads/``)."""
    return private_folder(Path(current_app.config["UPLOAD_DIR"]))


# --- files only the app's user may read -----------------------------------------------------
#
# Uploads, letters, signing keys and the SQLite database hold personal data and secrets: files
# are 600 and their folders 700 whatever the process's umask, and older, looser ones are
# tightened when next used.

def _tighten(path: Path, mode: int) -> None:
    """Take away group and other access (mode 700 or 600) unless that is already so."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except OSError:  # not ours (a shared folder): say so, but the app must still start
        logger.warning("could not restrict %s to mode %o", path, mode)


def private_folder(path: Path) -> Path:
    """``path`` as a folder only the app's user can open (700), created if missing.

    An existing shared folder is left alone: one with the sticky bit (/tmp, /var/tmp) or
    owned by another user is never the app's own, and closing it would break the machine.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        info = path.stat()
    except OSError:
        return path
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
        logger.warning("not restricting the shared folder %s", path)
        return path
    _tighten(path, 0o700)
    return path


def write_private(path: Path, content: bytes) -> None:
    """Write ``path`` (created or replaced) readable by the app's user only (600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        os.fchmod(stream.fileno(), 0o600)  # an existing file keeps its mode on open
        stream.write(content)


def private_sqlite_file(database: str | None) -> None:
    """Create the SQLite file 600 in a 700 folder before SQLite does (it would use 644);
    its -wal and -shm files take the database file's mode."""
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return
    path = Path(database)
    private_folder(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is a new database
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
                 path.with_name(path.name + "-journal")):
        if each.exists():
            _tighten(each, 0o600)


def check_upload(upload: FileStorage, field: str) -> tuple[bytes, str]:
    """Return the content and extension of an acceptable upload, or raise naming the field."""
    name = (upload.filename or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = "、".join(sorted({e.upper() for e in ALLOWED_UPLOADS if e != "jpeg"}))
    if ext not in ALLOWED_UPLOADS:
        raise ValidationFailed(
            "附件类型不允许。", {field: [f"只接受以下类型的文件：{allowed}。"]}
        )
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise ValidationFailed(
            "附件过大。", {field: [f"附件不能超过 {current_app.config['MAX_UPLOAD_MB']} MB。"]}
        )
    if not content:
        raise ValidationFailed("附件为空。", {field: ["上传的文件是空的。"]})
    if not any(content.startswith(m) for m in MAGIC[ext]):
        raise ValidationFailed(
            "附件内容与类型不符。", {field: [f"文件内容不是有效的 {ext.upper()} 文件。"]}
        )
    return content, ext


def store_upload(upload: FileStorage, *, field: str, proposal_id: int, unit_id: int,
                 actor_id: int) -> Attachment:
    """Check and store an upload under a random name; add its row to the session.

    The file lives or dies with the transaction: an action refused after the upload was
    stored (a stale version: 409) leaves no file without a row behind.
    """
    content, ext = check_upload(upload, field)
    stored = f"{secrets.token_hex(16)}.{ext}"
    put_in_transaction(UPLOADS + stored, content)
    original = Path((upload.filename or "").replace("\\", "/")).name[:200] or f"附件.{ext}"
    attachment = Attachment(
        proposal_id=proposal_id,
        unit_id=unit_id,
        original_name=original,
        stored_name=stored,
        content_type=ALLOWED_UPLOADS[ext],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by_id=actor_id,
    )
    db.session.add(attachment)
    return attachment


def attachment_key(attachment: Attachment) -> str:
    return UPLOADS + attachment.stored_name


def read_attachment(attachment: Attachment) -> bytes | None:
    """The stored file's content, or None when the store has no such object."""
    try:
        return store().get(attachment_key(attachment))
    except MissingObject:
        return None


# --- files that belong to a transaction ----------------------------------------------------
#
# An object put for rows that are not committed yet (the signed letter of 发文, an upload)
# must not outlive them: it is deleted from the store when its transaction ends without
# committing (rollback, a failed COMMIT, the session closed), and kept for good once the
# outermost transaction has committed. A savepoint that commits hands its objects to the
# enclosing transaction. The same holds on every backend (local folders, S3).

_WRITTEN = "files_written"  # session.info: {owning transaction: _Written}
logger = logging.getLogger(__name__)


class _Written:
    __slots__ = ("committed", "objects")

    def __init__(self) -> None:
        self.objects: list[tuple[Store, str]] = []
        self.committed = False


def _owner(transaction: SessionTransaction) -> SessionTransaction:
    """The savepoint or outermost transaction that commits or rolls back for this one."""
    while transaction.parent is not None and not transaction.nested:
        transaction = transaction.parent
    return transaction


def put_in_transaction(key: str, content: bytes) -> None:
    """Put an object that is deleted again unless the session's current transaction
    commits."""
    target = store()
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None:
        transaction = session.begin()  # the object belongs to the next commit, not to none
    written = session.info.setdefault(_WRITTEN, {})
    written.setdefault(_owner(transaction), _Written()).objects.append((target, key))
    target.put(key, content)  # registered first: a put that fails half-way is deleted too


@event.listens_for(db.session, "after_commit")
def _committed(session: Session) -> None:
    written = session.info.get(_WRITTEN)
    if written:
        # Fired for a released savepoint as well; the savepoint is still the current one.
        current = session.get_nested_transaction() or session.get_transaction()
        if current is not None and current in written:
            written[current].committed = True


@event.listens_for(db.session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    written = session.info.get(_WRITTEN)
    if not written or transaction not in written:
        return
    entry = written.pop(transaction)
    if entry.committed:
        if transaction.parent is not None:  # a savepoint: the outer transaction decides
            outer = written.setdefault(_owner(transaction.parent), _Written())
            outer.objects.extend(entry.objects)
        return
    for target, key in entry.objects:
        try:
            target.delete(key)
        except Exception:  # cleanup must not break the rollback; the object is named in the log
            logger.exception("could not delete %s from %s after its transaction rolled back",
                             key, target.url)
