"""`flask storage migrate` copies every object between the local folders and an S3 server,
each read back and compared by SHA-256 (and with the database's hash where it keeps one),
skipping what is already there; `flask storage verify` checks a store against the database.
Signing passwords are never copied."""
from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support.handling import _model_for, bring_to
from tests.support.storage import object_names, read_object, use_s3
from tracker.extensions import db
from tracker.files.store import S3Store, open_store, store
from tracker.replies.models import Reply

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _rows(world) -> SimpleNamespace:
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})


def _files_of_a_working_office(app, world) -> SimpleNamespace:
    """In the configured store: the world's keys and seals, an upload, an issued letter."""
    from werkzeug.datastructures import FileStorage

    from tracker.files.storage import store_upload
    from tracker.replies.letter import issue_with_letter

    with app.test_request_context():
        w = _rows(world)
        assignment = bring_to(w, "signed")
        upload = store_upload(FileStorage(io.BytesIO(PDF), filename="a.pdf"), field="file",
                              proposal_id=assignment.proposal_id, unit_id=w.health.id,
                              actor_id=w.health_clerk.id)
        db.session.commit()
        reply = issue_with_letter(assignment, w.health_clerk, release_locks=False)
        db.session.commit()
        return SimpleNamespace(upload=f"uploads/{upload.stored_name}",
                               letter=f"letters/{reply.pdf_name}", sha256=reply.pdf_sha256,
                               p12=f"signing/units/{w.health.sign_p12_name}",
                               seal=f"signing/units/{w.health.seal_name}", reply_id=reply.id)


def _s3_target(app, s3_server, monkeypatch) -> str:
    """S3 settings in the config (the app still stores locally); a fresh, empty prefix."""
    s3 = use_s3(app, s3_server, monkeypatch)
    monkeypatch.setitem(app.config, "STORAGE_URL", "")
    return s3


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["storage", *args])


def _output(result) -> str:
    """Everything printed (click 8.2 keeps stderr apart from, and also in, output)."""
    stderr = getattr(result, "stderr", "") or ""
    return result.output if stderr in result.output else result.output + stderr


def test_local_to_s3_copies_everything_checked_and_is_resumable(app, world, s3_server,
                                                                monkeypatch):
    files = _files_of_a_working_office(app, world)
    s3 = _s3_target(app, s3_server, monkeypatch)

    first = _run(app, "migrate", "--from", "file:", "--to", s3.url)
    assert first.exit_code == 0, _output(first)
    assert "全部一致" in first.output and "问题 0 个" in first.output
    copied = object_names(s3)
    for key in (files.upload, files.letter, files.p12, files.seal):
        assert key in copied, key
        assert read_object(s3, key) == open_store("file:", app.config).get(key), key
    assert hashlib.sha256(read_object(s3, files.letter)).hexdigest() == files.sha256
    # Never the passwords: no such object, and no object holds the unit's password.
    assert Path(app.config["SIGNING_PASSWORDS_FILE"]).is_file()
    assert not any("password" in key for key in copied)
    password = "pw-省卫生健康委员会".encode()  # tests.factories.give_keys
    assert all(password not in read_object(s3, key) for key in copied)

    # Run again: nothing copied, everything found identical and skipped.
    again = _run(app, "migrate", "--from", "", "--to", s3.url)
    assert again.exit_code == 0, _output(again)
    assert "新复制 0 个" in again.output and f"跳过 {len(copied)} 个" in again.output

    # The S3 copy passes verification; switched over, the app serves from it.
    verified = _run(app, "verify", "--store", s3.url)
    assert verified.exit_code == 0, _output(verified)
    monkeypatch.setitem(app.config, "STORAGE_URL", s3.url)
    assert _run(app, "verify").exit_code == 0
    with app.app_context():
        assert isinstance(store(), S3Store)
        from tracker.replies.letter import stored_letter

        letter = stored_letter(db.session.get(Reply, files.reply_id))
        assert hashlib.sha256(letter).hexdigest() == files.sha256


def test_a_corrupted_object_is_found_and_a_rerun_repairs_it(app, world, s3_server,
                                                            monkeypatch):
    files = _files_of_a_working_office(app, world)
    s3 = _s3_target(app, s3_server, monkeypatch)
    assert _run(app, "migrate", "--from", "file:", "--to", s3.url).exit_code == 0

    broken = bytearray(read_object(s3, files.letter))
    broken[len(broken) // 2] ^= 0x01
    s3.client.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}/{files.letter}", Body=bytes(broken))
    result = _run(app, "verify", "--store", s3.url)
    assert result.exit_code == 1
    assert "SHA-256 与数据库记录不符" in _output(result) and files.letter in _output(result)

    s3.client.delete_object(Bucket=s3.bucket, Key=f"{s3.prefix}/{files.seal}")
    missing = _run(app, "verify", "--store", s3.url)
    assert missing.exit_code == 1 and f"缺失：省卫生健康委员会的印章图片（{files.seal}）" \
        in _output(missing)

    repaired = _run(app, "migrate", "--from", "file:", "--to", s3.url)
    assert repaired.exit_code == 0, _output(repaired)
    assert "新复制 2 个" in repaired.output
    assert _run(app, "verify", "--store", s3.url).exit_code == 0


def test_a_source_that_differs_from_the_database_fails_the_migration(app, world, s3_server,
                                                                     monkeypatch):
    files = _files_of_a_working_office(app, world)
    s3 = _s3_target(app, s3_server, monkeypatch)
    local = Path(app.config["UPLOAD_DIR"]) / files.upload.split("/", 1)[1]
    local.write_bytes(PDF + b"tampered")
    result = _run(app, "migrate", "--from", "file:", "--to", s3.url)
    assert result.exit_code == 1
    assert "源文件的 SHA-256 与数据库记录不符" in _output(result)
    assert files.upload in _output(result)
    assert "失败" in _output(result)


def test_a_copy_that_reads_back_different_fails_the_migration(app, world, s3_server,
                                                              monkeypatch):
    _files_of_a_working_office(app, world)
    s3 = _s3_target(app, s3_server, monkeypatch)
    real_put = S3Store.put

    def lossy_put(self, key, data):  # a server that damages what it keeps
        real_put(self, key, data[:-1] if key.startswith("letters/") else data)

    monkeypatch.setattr(S3Store, "put", lossy_put)
    result = _run(app, "migrate", "--from", "file:", "--to", s3.url)
    assert result.exit_code == 1
    assert "复制后读回的内容与源文件不符：letters/" in _output(result)


def test_a_file_the_database_names_but_no_store_holds_fails(app, world, s3_server,
                                                            monkeypatch):
    files = _files_of_a_working_office(app, world)
    s3 = _s3_target(app, s3_server, monkeypatch)
    store_ = open_store("file:", app.config)
    store_.delete(files.letter)
    result = _run(app, "migrate", "--from", "file:", "--to", s3.url)
    assert result.exit_code == 1
    assert "数据库记录的文件在源和目标中都不存在：答复函" in _output(result)
    assert _run(app, "verify").exit_code == 1


def test_s3_to_local_copies_everything_into_the_usual_layout(app, on_s3, world, tmp_path):
    files = _files_of_a_working_office(app, world)  # stored on S3 this time
    assert files.letter in object_names(on_s3)
    root = tmp_path / "moved"
    result = _run(app, "migrate", "--from", on_s3.url, "--to", f"file:{root}")
    assert result.exit_code == 0, _output(result)
    for key, path in ((files.upload, root / files.upload), (files.letter, root / files.letter),
                      (files.p12, root / files.p12), (files.seal, root / files.seal)):
        assert path.read_bytes() == read_object(on_s3, key), key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert _run(app, "verify", "--store", f"file:{root}").exit_code == 0
    again = _run(app, "migrate", "--from", on_s3.url, "--to", f"file://{root}")
    assert again.exit_code == 0 and "新复制 0 个" in again.output


def test_migrate_refuses_bad_addresses_and_the_same_store(app, world):
    bad = _run(app, "migrate", "--from", "file:", "--to", "s3:/nobucket")
    assert bad.exit_code == 2 and "存储地址应为" in _output(bad)
    same = _run(app, "migrate", "--from", "file:", "--to", "")
    assert same.exit_code == 1 and "同一个存储" in _output(same)


@pytest.fixture(params=["local", "s3"])
def backend(request):
    """The configured store: the local folders, or the S3 server (before the world is
    built, so that its keys and seals go there)."""
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    return request.param


def test_verify_passes_on_a_consistent_store(app, backend, world):
    _files_of_a_working_office(app, world)
    result = _run(app, "verify")
    assert result.exit_code == 0, _output(result)
    assert "问题 0 个" in result.output and "全部一致" in result.output
