"""Files written for a transaction (the signed letter of 发文) live or die with it: removed
when it rolls back or is abandoned, kept for good once it commits — savepoints included; on
the local folders and on an S3 server alike."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.files.storage import put_in_transaction
from tracker.files.store import store


@pytest.fixture(autouse=True, params=["local", "s3"])
def backend(request):
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    return request.param


def _touch_database() -> None:
    db.session.scalar(select(User.id).limit(1))


def _key(name: str, tmp_path) -> str:
    return f"letters/{tmp_path.name}-{name}"


def _exists(key: str) -> bool:
    return store().exists(key)


def test_a_committed_file_is_kept_even_when_the_session_rolls_back_later(ctx, tmp_path):
    path = _key("issued.pdf", tmp_path)
    _touch_database()
    put_in_transaction(path, b"%PDF-issued")
    db.session.commit()
    _touch_database()
    db.session.rollback()
    db.session.close()
    assert store().get(path) == b"%PDF-issued"


def test_a_rolled_back_file_is_removed(ctx, tmp_path):
    path = _key("never-issued.pdf", tmp_path)
    _touch_database()
    put_in_transaction(path, b"%PDF-")
    assert _exists(path)  # readable until the transaction ends
    db.session.rollback()
    assert not _exists(path)


def test_a_file_written_outside_a_transaction_belongs_to_the_next_one(ctx, tmp_path):
    db.session.rollback()
    dropped, kept = _key("dropped.pdf", tmp_path), _key("kept.pdf", tmp_path)
    put_in_transaction(dropped, b"%PDF-")
    _touch_database()
    db.session.rollback()
    put_in_transaction(kept, b"%PDF-")
    _touch_database()
    db.session.commit()
    assert not _exists(dropped) and _exists(kept)


def test_an_abandoned_session_removes_its_file(ctx, tmp_path):
    path = _key("abandoned.pdf", tmp_path)
    _touch_database()
    put_in_transaction(path, b"%PDF-")
    db.session.remove()  # the end of a request that never committed
    assert not _exists(path)


def test_savepoints_hand_their_files_to_the_outer_transaction(ctx, tmp_path):
    inner_dropped, inner_kept, outer_dropped = (_key(f"{n}.pdf", tmp_path) for n in "abc")
    _touch_database()
    try:
        with db.session.begin_nested():
            put_in_transaction(inner_dropped, b"%PDF-")
            raise RuntimeError
    except RuntimeError:
        pass
    assert not _exists(inner_dropped)  # its savepoint rolled back
    with db.session.begin_nested():
        put_in_transaction(inner_kept, b"%PDF-")
    assert _exists(inner_kept)
    db.session.commit()
    assert _exists(inner_kept)

    _touch_database()
    with db.session.begin_nested():
        put_in_transaction(outer_dropped, b"%PDF-")
    db.session.rollback()  # released savepoint, outer transaction rolled back
    assert not _exists(outer_dropped)
