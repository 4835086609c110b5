"""The S3 server of the storage tests (moto_server in a subprocess) and helpers to point the
app at it and look into it directly."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

BUCKET = "tracker-test"
CREDENTIALS = {"S3_ACCESS_KEY": "test", "S3_SECRET_KEY": "test", "S3_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def start_s3_server(folder):
    """Run ``moto_server`` on a free local port until the block ends; yield its URL."""
    port = _free_port()
    log = (folder / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited: {(folder / 'moto.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def s3_settings(endpoint: str, url: str) -> dict:
    return {"STORAGE_URL": url, "S3_ENDPOINT_URL": endpoint, **CREDENTIALS}


def use_s3(app, endpoint: str, monkeypatch, *, bucket: str = BUCKET):
    """Point ``app`` at a new prefix of ``bucket`` (created if absent, as `storage init`
    would) for the test; a namespace with the URL, prefix and a raw client to look in."""
    from tracker.files.store import store

    prefix = f"t-{uuid.uuid4().hex[:12]}"
    url = f"s3://{bucket}/{prefix}"
    for key, value in s3_settings(endpoint, url).items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        target = store()
        target.init()
    return SimpleNamespace(url=url, bucket=bucket, prefix=prefix, endpoint=endpoint,
                           store=target, client=raw_client(endpoint))


def raw_client(endpoint: str):
    """A boto3 client of the tests' own, to look into the bucket behind the app's back."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(s3={"addressing_style": "path"},
                                      request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required"))


def object_names(s3, namespace: str = "") -> list[str]:
    """The keys (without the test's prefix) of the objects under ``namespace``."""
    listing = s3.client.list_objects_v2(Bucket=s3.bucket, Prefix=f"{s3.prefix}/{namespace}")
    return sorted(item["Key"][len(s3.prefix) + 1:] for item in listing.get("Contents", []))


def read_object(s3, key: str) -> bytes:
    return s3.client.get_object(Bucket=s3.bucket, Key=f"{s3.prefix}/{key}")["Body"].read()
