"""Sign a rendered letter (PAdES, visible seal) and check a signed PDF, with pyHanko.

Both work on bytes and need no app or database; tracker.signing.service adds the unit's
key, the configured roots and the archive of issued letters.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime

from tracker.core.time import CST

# pyHanko logs every untrusted or broken signature with a traceback; the verdict says it.
logging.getLogger("pyhanko.sign.validation").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

FIELD_NAME = "UnitSeal"
log = logging.getLogger(__name__)


def sign_letter(pdf: bytes, key, seal_box: dict, *, reason: str = "答复函发文",
                location: str = "", field_name: str = FIELD_NAME) -> bytes:
    """The letter with a PAdES signature whose visible appearance is the seal image, placed
    on ``seal_box`` ({"page": index, "rect": [x1, y1, x2, y2]} in PDF points)."""
    from PIL import Image
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    seal = Image.open(io.BytesIO(key.seal_png))
    seal.load()
    x1, y1, x2, y2 = seal_box["rect"]
    box_w, box_h = x2 - x1, y2 - y1
    # Keep the seal's proportions inside the box (centred).
    scale = min(box_w / seal.width, box_h / seal.height)
    w, h = seal.width * scale, seal.height * scale
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    rect = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    style = StaticStampStyle(
        background=PdfImage(seal), border_width=0, background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0)))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location or None, name=key.subject)
    pdf_signer = signers.PdfSigner(
        meta, key.signer, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=seal_box["page"], box=rect))
    out = io.BytesIO()
    # A fixed reservation (room for the CMS with the chain) spares pyHanko a trial signature.
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), output=out,
                        bytes_reserved=16384)
    return out.getvalue()


@dataclass
class Check:
    ok: bool
    label: str
    text: str


@dataclass
class Signer:
    """Who made one signature, as its certificate says, and when."""

    name: str
    unit: str | None
    issuer: str
    signed_at: datetime | None


@dataclass
class Verification:
    """The verdict on one file: each check in plain Chinese, and who signed it when."""

    checks: list[Check] = field(default_factory=list)
    # Every signature's signer, in signing order (a countersigned letter has several).
    signers: list[Signer] = field(default_factory=list)

    @property
    def signer(self) -> str | None:
        """All signers' names, first signer first."""
        return "、".join(s.name for s in self.signers) or None

    @property
    def signer_unit(self) -> str | None:
        return self.signers[0].unit if len(self.signers) == 1 else None

    @property
    def issuer(self) -> str | None:
        return "、".join(dict.fromkeys(s.issuer for s in self.signers)) or None

    @property
    def signed_at(self) -> datetime | None:
        """When the last signature was made (the file's final, signed form)."""
        times = [s.signed_at for s in self.signers if s.signed_at is not None]
        return times[-1] if times else None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, ok: bool, label: str, text: str) -> None:
        self.checks.append(Check(ok, label, text))

    @property
    def summary(self) -> str:
        if self.ok:
            return "验证通过：此文件是本系统签发的原件，签名有效，签名后未被改动。"
        first = next(c for c in self.checks if not c.ok)
        return f"验证未通过：{first.text}"


def _name(name) -> str:
    """A human name of an asn1crypto Name: CN, else O, else the whole."""
    native = name.native
    return native.get("common_name") or native.get("organization_name") or name.human_friendly


def inspect(data: bytes, roots: list) -> Verification:
    """Check the signature(s) of ``data`` against the trusted ``roots``; never raises."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = Verification()
    if not data.lstrip()[:5] == b"%PDF-":
        result.add(False, "文件格式", "这不是 PDF 文件。")
        return result
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 — a hostile file must give a verdict, not a 500
        log.info("unreadable PDF: %s", _short(exc))
        result.add(False, "文件格式", "PDF 文件已损坏或被改动，无法读取其结构。")
        return result
    if not signatures:
        result.add(False, "数字签名", "文件中没有数字签名：它不是本系统签发的答复函，"
                                     "或签名已被去掉。")
        return result
    result.add(True, "数字签名", f"文件中有 {len(signatures)} 个数字签名。")
    signatures = sorted(signatures, key=_signed_revision)
    for index, sig in enumerate(signatures):
        prefix = f"第 {index + 1} 个签名：" if len(signatures) > 1 else ""
        try:
            context = ValidationContext(trust_roots=list(roots), allow_fetching=False,
                                        revocation_mode="soft-fail")
            status = validate_pdf_signature(sig, context)
        except Exception as exc:  # noqa: BLE001 — broken signature bytes, bad CMS…
            log.info("unverifiable signature: %s", _short(exc))
            result.add(False, "签名完整性", f"{prefix}签名数据已损坏或被改动，无法核验。")
            continue
        cert = status.signing_cert
        reported = status.signer_reported_dt
        signer = Signer(name=_name(cert.subject),
                        unit=cert.subject.native.get("organization_name"),
                        issuer=_name(cert.issuer),
                        signed_at=reported.astimezone(CST) if reported else None)
        result.signers.append(signer)
        if status.intact and status.valid:
            result.add(True, "签名完整性", f"{prefix}签名有效，签名后文件内容没有被改动。")
        elif not status.intact:
            result.add(False, "签名完整性", f"{prefix}签名后文件内容被改动过（与签名时的摘要不符）。")
        else:
            result.add(False, "签名完整性", f"{prefix}签名值无效（签名数据与证书不符）。")
        if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
            result.add(True, "签名范围", f"{prefix}签名覆盖整个文件。")
        else:
            result.add(False, "签名范围", f"{prefix}签名没有覆盖整个文件：签名之后文件又被追加或改动过。")
        if not (status.intact and status.valid):
            result.add(False, "证书信任", f"{prefix}签名无效，不再核验签名证书。")
        elif status.trusted:
            result.add(True, "证书信任", f"{prefix}签名证书由受信任的机构签发（{signer.issuer}）。")
        else:
            result.add(False, "证书信任", f"{prefix}签名证书不是由受信任的根证书签发"
                                          f"（证书持有人：{signer.name}；签发者：{signer.issuer}）。")
    return result


def _signed_revision(sig) -> int:
    """The revision a signature covers: earlier signatures cover earlier revisions."""
    try:
        return int(sig.signed_revision)
    except Exception:  # noqa: BLE001 — a signature whose revision is unknown goes last
        return 1 << 30


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:120]
