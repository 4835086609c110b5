"""A throw-away certificate authority for the demo and the tests (`flask letters demo-ca`).

It writes under SIGNING_DIR: demo-ca/ (the CA's key and certificate), trust/demo-ca.pem (so
verification trusts it) and, per unit, a PKCS#12 file and a drawn seal installed as if an
administrator had uploaded them. Keys are ECDSA P-256 (fast to make). Never for production.
"""
from __future__ import annotations

import functools
import io
import math
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tracker.files.storage import private_folder, write_private
from tracker.signing.keys import certificate_blobs, install_unit_keys, signing_dir, trust_root_files

CA_NAME = "建议提案办理系统演示根证书（仅供测试）"
CA_ORG = "建议提案办理系统（演示）"
SEAL_RED = (204, 20, 30)


def _name(common: str, org: str = "演示单位") -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=not ca,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                         decipher_only=False)


def ensure_ca(folder: Path | None = None):
    """The demo CA's (key, certificate), created on first use; its root is trusted."""
    base = folder or signing_dir()
    ca_dir = base / "demo-ca"
    key_path, cert_path = private_folder(ca_dir) / "ca-key.pem", ca_dir / "ca.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        name = _name(CA_NAME, CA_ORG)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(_usage(ca=True), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
        write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    trust = private_folder(base / "trust")
    write_private(trust / "demo-ca.pem", cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def trusted_demo_roots(trust_spec: str, folder: Path) -> list[Path]:
    """The trust-root files (as TRUST_ROOTS and ``folder`` = SIGNING_DIR name them) that hold
    the demo CA, recognised by content: its name, a certificate it issued, or the fingerprint
    of a certificate kept in a demo-ca/ folder (this SIGNING_DIR's or the default one)."""
    from tracker.config import INSTANCE_DIR

    known: set[bytes] = set()
    for ca_dir in {folder / "demo-ca", INSTANCE_DIR / "signing" / "demo-ca"}:
        if ca_dir.is_dir():
            for path in ca_dir.iterdir():
                if path.suffix.lower() in (".pem", ".crt", ".cer", ".der") and path.is_file():
                    known.update(certificate_blobs(path))
    found = []
    for path in trust_root_files(trust_spec, folder):
        if path.name == "demo-ca.pem" or any(
                der in known or _is_demo(der) for der in certificate_blobs(path)):
            found.append(path)
    return found


def _is_demo(der: bytes) -> bool:
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return False
    for name in (cert.subject, cert.issuer):
        values = {a.value for a in name.get_attributes_for_oid(NameOID.COMMON_NAME)}
        values |= {a.value for a in name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)}
        if CA_NAME in values or CA_ORG in values:
            return True
    return False


def unit_p12(ca, unit_name: str, password: str, *, days: int = 730,
             not_before: datetime | None = None) -> bytes:
    """A PKCS#12 file with a new key and a certificate for ``unit_name`` from the demo CA."""
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(_name(unit_name, unit_name))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(
        unit_name.encode("utf-8"), key, cert, [ca_cert],
        serialization.BestAvailableEncryption(password.encode("utf-8")))


def _seal_font(size: int):
    from PIL import ImageFont

    from tracker.letters.fonts import find_face

    for name in ("方正小标宋简体", "FandolSong-Bold", "FandolHei-Regular",
                 "Noto Serif CJK SC:bold", "Noto Sans CJK SC:bold", "Noto Sans CJK SC"):
        face = find_face(name)
        if face is not None:
            return ImageFont.truetype(face.path, size, index=face.index)
    raise RuntimeError("没有可用的中文字体来绘制演示印章：请运行 make fonts 或安装 fonts-noto-cjk")


@functools.lru_cache(maxsize=32)
def draw_seal(unit_name: str, purpose: str = "建议提案办理专用章") -> bytes:
    """A round red seal on a transparent background: the unit's name along the upper arc,
    a five-pointed star in the centre and the purpose below it (PNG bytes)."""
    from PIL import Image, ImageDraw

    size = 600
    scale = 2  # draw large, shrink for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = SEAL_RED + (235,)
    ring = 22 * scale
    draw.ellipse((ring // 2, ring // 2, big - ring // 2, big - ring // 2), outline=colour,
                 width=ring)
    centre = big / 2
    # The star.
    r_out, r_in = 92 * scale, 36 * scale
    points = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(angle), centre + r * math.sin(angle)))
    draw.polygon(points, fill=colour)
    # The name along the arc, from lower left over the top to lower right.
    text = unit_name[:20]
    n = len(text)
    span = min(210.0, 26.0 * (n - 1) + 10) if n > 1 else 0.0
    outer = centre - ring - 8 * scale
    step = (outer - 40 * scale) * math.radians(span) / (n - 1) if n > 1 else 80 * scale
    glyph = int(min(80 * scale, step * 0.9))
    font = _seal_font(glyph)
    radius = outer - glyph * 0.55
    for i, char in enumerate(text):
        angle = -span / 2 + (span * i / (n - 1) if n > 1 else 0)
        tile = Image.new("RGBA", (glyph * 2, glyph * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((glyph, glyph), char, font=font, fill=colour, anchor="mm")
        tile = tile.rotate(-angle, resample=Image.BICUBIC)
        rad = math.radians(angle - 90)
        x, y = centre + radius * math.cos(rad), centre + radius * math.sin(rad)
        image.alpha_composite(tile, (int(x - glyph), int(y - glyph)))
    small = _seal_font(int(36 * scale))
    draw.text((centre, centre + 135 * scale), purpose, font=small, fill=colour, anchor="mm")
    image = image.resize((size, size), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def provision(unit, ca=None, *, days: int = 730) -> None:
    """Give ``unit`` a demo certificate (random password) and a drawn seal."""
    password = secrets.token_urlsafe(12)
    p12 = unit_p12(ca or ensure_ca(), unit.name, password, days=days)
    install_unit_keys(unit, p12=p12, password=password, seal=draw_seal(unit.name))
