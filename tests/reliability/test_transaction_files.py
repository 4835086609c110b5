"""Files written for a transaction (the signed letter of 发文) live or die with it: removed
when it rolls back or is abandoned, kept for good once it commits — savepoints included."""
from __future__ import annotations

from sqlalchemy import select

from tracker.accounts.models import User
from tracker.extensions import db
from tracker.files.storage import write_in_transaction


def _touch_database() -> None:
    db.session.scalar(select(User.id).limit(1))


def test_a_committed_file_is_kept_even_when_the_session_rolls_back_later(ctx, tmp_path):
    path = tmp_path / "issued.pdf"
    _touch_database()
    write_in_transaction(path, b"%PDF-issued")
    db.session.commit()
    _touch_database()
    db.session.rollback()
    db.session.close()
    assert path.read_bytes() == b"%PDF-issued"


def test_a_rolled_back_file_is_removed(ctx, tmp_path):
    path = tmp_path / "never-issued.pdf"
    _touch_database()
    write_in_transaction(path, b"%PDF-")
    assert path.exists()  # readable until the transaction ends
    db.session.rollback()
    assert not path.exists()


def test_a_file_written_outside_a_transaction_belongs_to_the_next_one(ctx, tmp_path):
    db.session.rollback()
    dropped, kept = tmp_path / "dropped.pdf", tmp_path / "kept.pdf"
    write_in_transaction(dropped, b"%PDF-")
    _touch_database()
    db.session.rollback()
    write_in_transaction(kept, b"%PDF-")
    _touch_database()
    db.session.commit()
    assert not dropped.exists() and kept.exists()


def test_an_abandoned_session_removes_its_file(ctx, tmp_path):
    path = tmp_path / "abandoned.pdf"
    _touch_database()
    write_in_transaction(path, b"%PDF-")
    db.session.remove()  # the end of a request that never committed
    assert not path.exists()


def test_savepoints_hand_their_files_to_the_outer_transaction(ctx, tmp_path):
    inner_dropped, inner_kept, outer_dropped = (tmp_path / f"{n}.pdf" for n in "abc")
    _touch_database()
    try:
        with db.session.begin_nested():
            write_in_transaction(inner_dropped, b"%PDF-")
            raise RuntimeError
    except RuntimeError:
        pass
    assert not inner_dropped.exists()  # its savepoint rolled back
    with db.session.begin_nested():
        write_in_transaction(inner_kept, b"%PDF-")
    assert inner_kept.exists()
    db.session.commit()
    assert inner_kept.exists()

    _touch_database()
    with db.session.begin_nested():
        write_in_transaction(outer_dropped, b"%PDF-")
    db.session.rollback()  # released savepoint, outer transaction rolled back
    assert not outer_dropped.exists()
