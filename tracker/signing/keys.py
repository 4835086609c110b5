"""Each unit's signing key (a PKCS#12 file) and seal image, their passwords, trusted roots.

Keys and seals are objects of the file store (tracker.files.store) under ``signing/units/``
with random names (locally: SIGNING_DIR/units); the unit row names them. A unit's password
is read from the environment (TRACKER_SIGNING_PASSWORD_<unit id>) or from the local JSON
file SIGNING_PASSWORDS_FILE ({"<key file name>": "…"}, mode 600): never from the database,
never from the shared store. Trusted roots are local files too.
"""
from __future__ import annotations

import io
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app

from tracker.core.errors import DomainError, ValidationFailed
from tracker.files.storage import private_folder
from tracker.files.store import MissingObject, StoreError, store

SEAL_MAX_BYTES = 2 * 1024 * 1024
P12_MAX_BYTES = 1024 * 1024
SEAL_MIN_PIXELS = 200
CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")


class SigningFailed(DomainError):
    """The letter could not be signed (no key, wrong password, expired certificate…):
    nothing was issued."""

    status = 409


@dataclass
class UnitKey:
    """What signing a letter of one unit needs, loaded and checked."""

    signer: object          # pyhanko.sign.signers.SimpleSigner
    seal_png: bytes
    subject: str
    not_after: datetime


def signing_dir() -> Path:
    return private_folder(Path(current_app.config["SIGNING_DIR"]))


UNITS = "signing/units/"


def unit_file_key(name: str) -> str:
    """The store key of a unit's key or seal file named ``name`` on the unit row."""
    return UNITS + name


def _env_name(unit_id: int) -> str:
    return f"TRACKER_SIGNING_PASSWORD_{unit_id}"


def _passwords_file() -> Path:
    return Path(current_app.config["SIGNING_PASSWORDS_FILE"])


def _read_passwords() -> dict[str, str]:
    path = _passwords_file()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SigningFailed(f"签名密码文件 {path.name} 无法读取（{exc}），请联系系统管理员。") \
            from None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def unit_password(unit) -> str | None:
    """The unit's PKCS#12 password: the environment variable first, then the file."""
    from_env = os.environ.get(_env_name(unit.id))
    if from_env is not None:
        return from_env
    return _read_passwords().get(unit.sign_p12_name or "")


def store_password(unit, key_name: str, password: str) -> None:
    """Keep the key file's password in the passwords file (mode 600), unless the
    environment sets the unit's password."""
    if os.environ.get(_env_name(unit.id)) is not None:
        return
    path = _passwords_file()
    private_folder(path.parent)
    passwords = _read_passwords()
    passwords[key_name] = password
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        json.dump(passwords, stream, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def subject_name(cert: x509.Certificate) -> str:
    """The certificate holder as people read it: its common name (or organisation)."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = cert.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)[:200]
    return cert.subject.rfc4514_string()[:200]


def _open_p12(data: bytes, password: str | None, field: str):
    """(key, certificate, chain) of a PKCS#12 file, or a message naming what is wrong."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None)
    except ValueError:
        raise _failure(field,
                       "证书文件无法打开：密码不对，或文件不是 PKCS#12（.p12/.pfx）格式。") from None
    except Exception:  # noqa: BLE001 — any parser failure means the same to the user
        raise _failure(field,
                       "证书文件无法打开：文件已损坏或不是 PKCS#12（.p12/.pfx）格式。") from None
    if key is None or cert is None:
        raise _failure(field, "证书文件里没有私钥和证书，不能用来签名。")
    return key, cert, chain


def _failure(field: str | None, message: str) -> DomainError:
    if field:
        return ValidationFailed(message, {field: [message]})
    return SigningFailed(message)


def _check_dates(cert: x509.Certificate, field: str | None) -> None:
    now = datetime.now(UTC)
    if cert.not_valid_after_utc <= now:
        raise _failure(field, f"签名证书已于 {cert.not_valid_after_utc:%Y年%m月%d日} 过期，"
                              "请上传新的证书。")
    if cert.not_valid_before_utc > now:
        raise _failure(field, f"签名证书自 {cert.not_valid_before_utc:%Y年%m月%d日} 起才生效。")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise _failure(field, "该证书不允许用于数字签名（密钥用途不含 digitalSignature）。")


def check_seal(data: bytes, field: str = "seal") -> None:
    """A transparent PNG of a usable size."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > SEAL_MAX_BYTES:
        raise ValidationFailed("印章图片过大（不超过 2 MB）。", {field: ["印章图片过大（不超过 2 MB）。"]})
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValidationFailed("印章图片必须是 PNG 格式。", {field: ["印章图片必须是 PNG 格式。"]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            size, has_alpha = image.size, image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info)
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationFailed("印章图片已损坏，无法读取。",
                               {field: ["印章图片已损坏，无法读取。"]}) from None
    if min(size) < SEAL_MIN_PIXELS:
        message = f"印章图片太小（{size[0]}×{size[1]} 像素，至少 {SEAL_MIN_PIXELS}×{SEAL_MIN_PIXELS}）。"
        raise ValidationFailed(message, {field: [message]})
    if not has_alpha:
        message = "印章图片必须是透明背景的 PNG（带透明通道），否则会遮住单位名称和日期。"
        raise ValidationFailed(message, {field: [message]})


def install_unit_keys(unit, *, p12: bytes | None, password: str | None,
                      seal: bytes | None) -> None:
    """Check and store a unit's new PKCS#12 file (with its password) and/or seal image.

    Everything is checked before anything is written; the caller commits the unit row.
    """
    if p12 is None and seal is None:
        raise ValidationFailed("请选择证书文件或印章图片。", {"p12": ["请选择证书文件或印章图片。"]})
    cert = None
    if p12 is not None:
        if len(p12) > P12_MAX_BYTES:
            raise ValidationFailed("证书文件过大（不超过 1 MB）。", {"p12": ["证书文件过大（不超过 1 MB）。"]})
        _, cert, _ = _open_p12(p12, password, "password")
        _check_dates(cert, "p12")
    if seal is not None:
        check_seal(seal)
    elif not unit.seal_name:
        raise ValidationFailed("请同时上传本单位的印章图片（透明背景 PNG）。",
                               {"seal": ["请同时上传本单位的印章图片（透明背景 PNG）。"]})
    target = store()
    written: list[str] = []
    try:
        if p12 is not None:
            name = f"{secrets.token_hex(16)}.p12"
            written.append(unit_file_key(name))
            target.put(unit_file_key(name), p12)
            store_password(unit, name, password or "")
            unit.sign_p12_name = name
            unit.sign_subject = subject_name(cert)
            unit.sign_not_after = cert.not_valid_after_utc.replace(tzinfo=None)
        if seal is not None:
            name = f"{secrets.token_hex(16)}.png"
            written.append(unit_file_key(name))
            target.put(unit_file_key(name), seal)
            unit.seal_name = name
    except Exception as exc:
        for key in written:
            try:
                target.delete(key)
            except StoreError:
                current_app.logger.exception("could not delete %s", key)
        if isinstance(exc, StoreError):
            raise SigningFailed("证书或印章无法保存（文件存储暂时不可用），请稍后重试。") from exc
        raise


def seal_bytes(unit) -> bytes | None:
    """The unit's seal image, or None (none uploaded, or not in the store)."""
    if not unit.seal_name:
        return None
    try:
        return store().get(unit_file_key(unit.seal_name))
    except MissingObject:
        return None
    except StoreError:
        current_app.logger.exception("the seal of unit %s could not be read", unit.id)
        return None


def unit_key(unit) -> UnitKey:
    """The unit's signer, checked now: raises SigningFailed with the reason in Chinese."""
    from pyhanko.sign import signers

    name = unit.display_name
    if not unit.sign_p12_name:
        raise SigningFailed(f"{name}尚未配置签名证书，答复函无法签名，未发文。"
                            "请系统管理员在“单位管理 → 电子签名”中上传证书和印章。")
    seal = seal_bytes(unit)
    if seal is None:
        raise SigningFailed(f"{name}尚未上传印章图片，答复函无法签名，未发文。")
    try:
        data = store().get(unit_file_key(unit.sign_p12_name))
    except MissingObject:
        raise SigningFailed(f"{name}的签名证书文件不见了，答复函无法签名，未发文。"
                            "请系统管理员重新上传证书。") from None
    except StoreError:
        current_app.logger.exception("the key of unit %s could not be read", unit.id)
        raise SigningFailed(f"{name}的签名证书文件暂时无法读取（文件存储不可用），答复函未发文，"
                            "请稍后重试。") from None
    password = unit_password(unit)
    if password is None:
        raise SigningFailed(f"{name}的签名证书密码未配置（环境变量 {_env_name(unit.id)} "
                            "或签名密码文件），答复函无法签名，未发文。")
    try:
        _, cert, _ = _open_p12(data, password, None)
        _check_dates(cert, None)
    except SigningFailed as exc:
        raise SigningFailed(f"{name}：{exc.message}答复函未发文。") from None
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[],
                                                   passphrase=password.encode("utf-8"))
    return UnitKey(signer=signer, seal_png=seal, subject=subject_name(cert),
                   not_after=cert.not_valid_after_utc)


def trust_root_files(spec: str, folder: Path) -> list[Path]:
    """The files TRUST_ROOTS names (files, or the certificate files in folders, separated
    by os.pathsep); empty means every certificate file in ``folder``/trust."""
    places = [Path(p) for p in spec.split(os.pathsep) if p] or [folder / "trust"]
    files: list[Path] = []
    for place in places:
        if place.is_dir():
            files.extend(sorted(p for p in place.iterdir() if p.suffix.lower() in CERT_SUFFIXES))
        elif place.is_file():
            files.append(place)
    return files


def certificate_blobs(path: Path) -> list[bytes]:
    """The DER blobs of a PEM file (a bundle may hold several) or of a DER file."""
    from asn1crypto import pem

    data = path.read_bytes()
    return [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) \
        else [data]


def trust_roots() -> list:
    """The configured trusted root certificates (asn1crypto objects for pyHanko)."""
    from asn1crypto import x509 as asn1_x509

    spec = str(current_app.config.get("TRUST_ROOTS") or "")
    roots = []
    for path in trust_root_files(spec, signing_dir()):
        for der in certificate_blobs(path):
            try:
                roots.append(asn1_x509.Certificate.load(der))
            except ValueError:
                current_app.logger.warning("trusted root %s is not a certificate", path)
    return roots
