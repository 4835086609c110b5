"""One store for every file the app keeps: uploads, issued letters, the units' keys and seals.

A file is named by a key under one of the namespaces ``uploads/``, ``letters/`` and
``signing/units/``. STORAGE_URL chooses where the keys live:

- empty (or ``file:``): the local folders as always — ``uploads/…`` in UPLOAD_DIR,
  ``letters/…`` in LETTER_DIR, ``signing/units/…`` in SIGNING_DIR/units; files 600, folders
  700. ``file:/some/root`` keeps the same three folders under one root (root/uploads,
  root/letters, root/signing/units), for moving files to a new place.
- ``s3://bucket[/prefix]``: an S3-compatible server (S3_ENDPOINT_URL, S3_REGION,
  S3_ACCESS_KEY, S3_SECRET_KEY), so that every app server reads what any other wrote.

Signing passwords are never stored here (tracker.signing.keys keeps them in the environment
or a local file), and the app never creates a bucket: `flask storage init` does.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app

from tracker.config import check_storage_url, s3_bucket_and_prefix
from tracker.core.errors import DomainError

logger = logging.getLogger(__name__)

NAMESPACES = ("uploads/", "letters/", "signing/units/")
# A key is a namespace and a relative name of plain segments (no "..", no hidden files).
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")


class StoreError(DomainError):
    """The store could not be used (unreachable, refused, misconfigured). A request that
    meets it answers 503 with a message for the user (and rolls back, deleting what its
    transaction put); ``str()`` is the detail, for the log and the operator."""

    status = 503

    def __init__(self, detail: str,
                 message: str = "文件存储暂时不可用，操作未完成，请稍后重试；如持续出现请联系系统管理员。"):
        super().__init__(message)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class MissingObject(StoreError, KeyError):
    """No object under that key."""

    status = 404

    def __init__(self, key: str):
        super().__init__(key, "找不到该文件。")


def check_key(key: str) -> str:
    """``key`` when it is a namespace followed by plain path segments; else ValueError."""
    namespace = next((n for n in NAMESPACES if key.startswith(n)), None)
    rest = key[len(namespace):] if namespace else ""
    if not rest or not all(_SEGMENT.fullmatch(part) for part in rest.split("/")):
        raise ValueError(f"not a store key: {key!r}")
    return key


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store(Protocol):
    """What every backend offers; keys are checked by check_key."""

    url: str

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...  # MissingObject when absent
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...  # absent: nothing to do
    def iterate(self, prefix: str) -> Iterator[tuple[str, int]]: ...  # (key, size), sorted
    def init(self) -> str: ...  # make the place ready; a sentence for the operator


# --- local folders -----------------------------------------------------------------------

class LocalStore:
    """The namespaces as folders on this machine, laid out as the app always kept them."""

    def __init__(self, url: str, roots: dict[str, Path], *, skip: tuple[Path, ...] = ()):
        self.url = url
        self.roots = roots
        # Files that must never be listed as objects (the signing passwords file).
        self._skip = {p.resolve() for p in skip}

    def _path(self, key: str) -> Path:
        check_key(key)
        namespace = next(n for n in NAMESPACES if key.startswith(n))
        return self.roots[namespace].joinpath(*key[len(namespace):].split("/"))

    def put(self, key: str, data: bytes) -> None:
        from tracker.files.storage import private_folder, write_private

        path = self._path(key)
        private_folder(path.parent)
        # Written beside and renamed: a reader never sees half a file; a crash leaves at most
        # a hidden .partial file, which is never listed.
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        try:
            write_private(partial, data)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise MissingObject(key) from None
        except OSError as exc:
            raise StoreError(f"{key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def iterate(self, prefix: str) -> Iterator[tuple[str, int]]:
        for namespace in NAMESPACES:
            if not (namespace.startswith(prefix) or prefix.startswith(namespace)):
                continue
            root = self.roots[namespace]
            if not root.is_dir():
                continue
            found = []
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if _SEGMENT.fullmatch(d)]
                for name in files:
                    path = Path(folder, name)
                    if not _SEGMENT.fullmatch(name) or path.resolve() in self._skip:
                        continue
                    key = namespace + path.relative_to(root).as_posix()
                    if key.startswith(prefix):
                        found.append((key, path.stat().st_size))
            yield from sorted(found)

    def init(self) -> str:
        from tracker.files.storage import private_folder

        for root in self.roots.values():
            private_folder(root)
        return "本地文件夹已就绪：" + "、".join(str(r) for r in self.roots.values())


# --- S3 ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str
    region: str
    access_key: str
    secret_key: str


_CLIENTS: dict[tuple, object] = {}
_CLIENTS_LOCK = threading.Lock()


def s3_client(settings: S3Settings):
    """The process's boto3 client for these settings, made on first use (clients are
    thread-safe; a forked worker makes its own)."""
    cache_key = (os.getpid(), settings)
    client = _CLIENTS.get(cache_key)
    if client is not None:
        return client
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(cache_key)
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                # boto3 ≥ 1.36 adds CRC checksums to every request by default; many
                # S3-compatible servers refuse or mangle them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=10, read_timeout=60)
            credentials = {}
            if settings.access_key or settings.secret_key:
                credentials = {"aws_access_key_id": settings.access_key,
                               "aws_secret_access_key": settings.secret_key}
            # Empty keys: boto3's usual chain (AWS_* variables, ~/.aws, an instance role).
            client = boto3.session.Session().client(
                "s3", endpoint_url=settings.endpoint_url or None,
                region_name=settings.region or None, config=config, **credentials)
            _CLIENTS[cache_key] = client
    return client


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class S3Store:
    """The namespaces as objects in one bucket, under an optional prefix."""

    def __init__(self, url: str, bucket: str, prefix: str, settings: S3Settings):
        self.url = url
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.settings = settings

    @property
    def client(self):
        return s3_client(self.settings)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _call(self, what: str, key: str, method: str, **params):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **params)
        except ClientError as exc:
            code = _error_code(exc)
            if code in ("NoSuchKey", "404", "NotFound"):
                raise MissingObject(key) from None
            if code == "NoSuchBucket":
                detail = f"存储桶 {self.bucket} 不存在（请先运行 flask storage init）。"
            else:
                detail = f"{what} {key}: {code or exc}"
        except BotoCoreError as exc:  # connection refused, timeouts, bad credentials setup
            detail = f"{what} {key}: {exc}"
        logger.error("S3 store %s: %s", self.url, detail)
        raise StoreError(detail)

    def put(self, key: str, data: bytes) -> None:
        self._call("put", key, "put_object", Key=self._name(key), Body=data,
                   ContentLength=len(data))

    def get(self, key: str) -> bytes:
        response = self._call("get", key, "get_object", Key=self._name(key))
        body = response["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self._call("head", key, "head_object", Key=self._name(key))
        except MissingObject:
            return False
        return True

    def delete(self, key: str) -> None:
        self._call("delete", key, "delete_object", Key=self._name(key))

    def iterate(self, prefix: str) -> Iterator[tuple[str, int]]:
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    try:
                        check_key(key)
                    except ValueError:  # not one of ours (another app's object)
                        continue
                    yield key, int(item["Size"])
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(f"list {prefix}: {_error_code(exc) or exc}") from exc

    def init(self) -> str:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
            return f"存储桶 {self.bucket} 已存在。"
        except ClientError as exc:
            if _error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise StoreError(f"存储桶 {self.bucket}：{_error_code(exc) or exc}") from exc
        params = {}
        if self.settings.region and self.settings.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
        self.client.create_bucket(Bucket=self.bucket, **params)
        return f"已创建存储桶 {self.bucket}。"


# --- which store ---------------------------------------------------------------------------

def open_store(url: str, config) -> Store:
    """The store ``url`` names, with the folders and S3 settings of ``config``."""
    url = check_storage_url(url)
    passwords = Path(str(config.get("SIGNING_PASSWORDS_FILE") or "/nonexistent"))
    if url.startswith("s3://"):
        bucket, prefix = s3_bucket_and_prefix(url)
        settings = S3Settings(str(config.get("S3_ENDPOINT_URL") or ""),
                              str(config.get("S3_REGION") or ""),
                              str(config.get("S3_ACCESS_KEY") or ""),
                              str(config.get("S3_SECRET_KEY") or ""))
        return S3Store(url, bucket, prefix, settings)
    if url in ("", "file:"):
        roots = {"uploads/": Path(config["UPLOAD_DIR"]), "letters/": Path(config["LETTER_DIR"]),
                 "signing/units/": Path(config["SIGNING_DIR"]) / "units"}
    else:
        rest = url[len("file:"):]
        root = Path(rest[2:] if rest.startswith("//") else rest)
        roots = {"uploads/": root / "uploads", "letters/": root / "letters",
                 "signing/units/": root / "signing" / "units"}
    return LocalStore(url or "file:", roots, skip=(passwords,))


def store() -> Store:
    """The configured store of the current app (one per configuration, kept on the app)."""
    config = current_app.config
    settings = tuple(str(config.get(k) or "") for k in (
        "STORAGE_URL", "UPLOAD_DIR", "LETTER_DIR", "SIGNING_DIR", "SIGNING_PASSWORDS_FILE",
        "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY"))
    stores = current_app.extensions.setdefault("tracker_stores", {})
    found = stores.get(settings)
    if found is None:
        found = stores[settings] = open_store(settings[0], config)
    return found
