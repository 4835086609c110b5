"""The file store's two backends behave alike: local folders (today's layout, files 600 in
folders 700) and an S3 server reached over HTTP (moto_server); keys are checked, the app never
creates a bucket, the signing passwords are never objects."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.storage import BUCKET, object_names, raw_client, s3_settings
from tracker import config as tracker_config
from tracker.files.store import MissingObject, S3Store, StoreError, s3_client, store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most shells start with, so that loose defaults would show."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(params=["local", "s3"])
def backend(request, app, ctx):
    if request.param == "s3":
        request.getfixturevalue("on_s3")
    return store()


def test_objects_round_trip_on_both_backends(backend):
    backend.put("uploads/a1.pdf", b"%PDF-one")
    backend.put("uploads/batches/batch-7.pdf", b"%PDF-batch")
    backend.put("letters/b2.pdf", b"%PDF-letter")
    backend.put("signing/units/c3.p12", b"p12")
    assert backend.get("uploads/a1.pdf") == b"%PDF-one"
    assert backend.exists("letters/b2.pdf") and not backend.exists("letters/none.pdf")
    listed = dict(backend.iterate("uploads/"))
    assert {"uploads/a1.pdf": 8, "uploads/batches/batch-7.pdf": 10}.items() <= listed.items()
    assert all(k.startswith("uploads/") for k in listed)
    assert ("signing/units/c3.p12", 3) in list(backend.iterate("signing/"))
    backend.put("uploads/a1.pdf", b"%PDF-replaced")
    assert backend.get("uploads/a1.pdf") == b"%PDF-replaced"
    backend.delete("uploads/a1.pdf")
    backend.delete("uploads/a1.pdf")  # already gone: nothing to do
    with pytest.raises(MissingObject):
        backend.get("uploads/a1.pdf")


@pytest.mark.parametrize("key", ["../x.pdf", "uploads/../x.pdf", "uploads/", "other/x.pdf",
                                 "uploads/.hidden", "/etc/passwd", "uploads//x", "uploads/a b"])
def test_keys_outside_the_namespaces_are_refused(backend, key):
    for call in (lambda: backend.put(key, b"x"), lambda: backend.get(key),
                 lambda: backend.delete(key)):
        with pytest.raises(ValueError):
            call()


def test_the_local_backend_keeps_todays_layout_and_modes(app, ctx, usual_umask):
    target = store()
    assert target.url == "file:"
    target.put("uploads/x1.pdf", b"%PDF-")
    target.put("letters/x2.pdf", b"%PDF-")
    target.put("signing/units/x3.png", b"png")
    for folder, name in ((app.config["UPLOAD_DIR"], "x1.pdf"), (app.config["LETTER_DIR"], "x2.pdf"),
                         (Path(app.config["SIGNING_DIR"]) / "units", "x3.png")):
        path = Path(folder) / name
        assert path.is_file() and mode(path) == 0o600 and mode(path.parent) == 0o700
        assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no partials


def test_a_file_an_older_installation_left_is_read_where_it_is(app, ctx):
    old = Path(app.config["UPLOAD_DIR"]) / "0123abcd.pdf"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"%PDF-old")
    assert store().get("uploads/0123abcd.pdf") == b"%PDF-old"
    assert ("uploads/0123abcd.pdf", 8) in list(store().iterate("uploads/"))


def test_the_signing_passwords_file_is_never_an_object(app, ctx, monkeypatch):
    units = Path(app.config["SIGNING_DIR"]) / "units"
    units.mkdir(parents=True, exist_ok=True)
    (units / "k.p12").write_bytes(b"p12")
    # Even when an operator puts the passwords file among the keys, it is not listed.
    inside = units / "passwords.json"
    inside.write_text('{"k.p12": "secret"}')
    monkeypatch.setitem(app.config, "SIGNING_PASSWORDS_FILE", str(inside))
    try:
        listed = [key for key, _ in store().iterate("signing/")]
    finally:
        inside.unlink()  # the folder is the session's: leave no stray file to later tests
    assert "signing/units/k.p12" in listed
    assert not any("passwords" in key for key in listed)


def test_config_takes_the_storage_settings_from_the_environment(monkeypatch):
    settings = {"STORAGE_URL": "s3://tracker-load/files",
                "S3_ENDPOINT_URL": "http://127.0.0.1:9999", "S3_ACCESS_KEY": "test",
                "S3_SECRET_KEY": "test"}
    for key, value in settings.items():
        monkeypatch.setenv(f"TRACKER_{key}", value)
    cfg = tracker_config.load({"SECRET_KEY": "x" * 40})
    assert {k: cfg[k] for k in settings} == settings
    assert cfg["S3_REGION"] == "us-east-1"
    for bad in ("s3://", "s3://Bad_Bucket/x", "http://example.com/x", "ftp://x"):
        monkeypatch.setenv("TRACKER_STORAGE_URL", bad)
        with pytest.raises(RuntimeError, match="TRACKER_STORAGE_URL"):
            tracker_config.load({"SECRET_KEY": "x" * 40})


def test_one_client_per_process_with_checksums_only_when_required(app, ctx, on_s3):
    first, second = store(), store()
    assert isinstance(first, S3Store) and first is second
    client = first.client
    assert client is s3_client(first.settings)
    config = client.meta.config
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.s3["addressing_style"] == "path"
    assert client.meta.endpoint_url == on_s3.endpoint
    first.put("letters/p.pdf", b"%PDF-")
    assert object_names(on_s3, "letters/") == ["letters/p.pdf"]  # the prefix is kept


def test_the_app_never_creates_a_bucket_storage_init_does(app, s3_server, monkeypatch):
    bucket = "tracker-absent"
    for key, value in s3_settings(s3_server, f"s3://{bucket}/files").items():
        monkeypatch.setitem(app.config, key, value)
    client = raw_client(s3_server)
    names = lambda: {b["Name"] for b in client.list_buckets()["Buckets"]}  # noqa: E731
    with app.app_context():
        with pytest.raises(StoreError, match="flask storage init"):
            store().put("uploads/x.pdf", b"%PDF-")
        assert not store().exists("uploads/x.pdf")
    assert bucket not in names()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["storage", "init"])
    assert result.exit_code == 0, result.output
    assert f"已创建存储桶 {bucket}" in result.output and bucket in names()
    again = runner.invoke(args=["storage", "init"])
    assert again.exit_code == 0 and "已存在" in again.output
    with app.app_context():
        store().put("uploads/x.pdf", b"%PDF-")
        assert store().get("uploads/x.pdf") == b"%PDF-"
    assert BUCKET != bucket


def test_an_unreachable_server_is_a_store_error(app, ctx, monkeypatch):
    for key, value in s3_settings("http://127.0.0.1:9", "s3://nowhere/x").items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "S3_REGION", "eu-west-1")  # a client of its own
    with pytest.raises(StoreError):
        store().get("letters/x.pdf")
