"""Issued letters are signed (PAdES, the unit's seal) and verifiable; signing failures leave
the reply un-issued with nothing stored."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pdfplumber
import pytest
from flask import current_app
from sqlalchemy import func, select

from tests.handling.conftest import w  # noqa: F401 — the fixture
from tests.support.handling import bring_to
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.files.store import store
from tracker.replies import letter
from tracker.replies.models import DocSeries
from tracker.signing import codes, democa, keys
from tracker.signing.keys import SigningFailed
from tracker.signing.pdf import FIELD_NAME, inspect


def _issue(w):
    assignment = bring_to(w, "signed")
    return assignment, letter.issue_with_letter(assignment, w.health_clerk, release_locks=False)


def _stored(reply) -> bytes:
    return letter.stored_letter(reply)


def _validate(data: bytes, roots):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                revocation_mode="soft-fail")
    return signature, validate_pdf_signature(signature, context)


def test_the_issued_letter_is_signed_valid_trusted_and_covers_the_whole_file(w):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    assignment, reply = _issue(w)
    data = _stored(reply)
    signature, status = _validate(data, keys.trust_roots())
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == "省卫生健康委员会"
    assert signature.field_name == FIELD_NAME
    assert reply.signed_by_cert == "省卫生健康委员会"
    # The visible seal sits on the last page, over the unit name and the date.
    with pdfplumber.open(io.BytesIO(data)) as doc:
        last = doc.pages[-1]
        widgets = [a for a in last.annots if a.get("data", {}).get("FT") == "/Sig"
                   or "Sig" in str(a.get("data", {}).get("FT"))]
        assert len(widgets) == 1
        seal = widgets[0]
        words = last.extract_words()
        unit = next(x for x in words if "省卫生健康委员会" in x["text"])
        date = next(x for x in words if x["text"].endswith("日") and "年" in x["text"])
        for word in (unit, date):
            assert seal["x0"] < (word["x0"] + word["x1"]) / 2 < seal["x1"]
            assert seal["top"] < word["top"] < seal["bottom"]
        assert all(not page.annots for page in doc.pages[:-1])


def test_the_letter_carries_its_verification_code_and_the_configured_address(w, monkeypatch):
    monkeypatch.setitem(current_app.config, "PUBLIC_BASE_URL", "https://jianyi.example.gov.cn")
    _, reply = _issue(w)
    assert codes.normalise(reply.verify_code) == reply.verify_code
    with pdfplumber.open(io.BytesIO(_stored(reply))) as doc:
        text = "".join((p.extract_text() or "") for p in doc.pages).replace(" ", "")
    assert f"核验码：{codes.grouped(reply.verify_code)}" in text
    assert "https://jianyi.example.gov.cn/verify" in text
    assert "127.0.0.1" not in text


def test_one_flipped_byte_fails_verification_wherever_it_is(w):
    _, reply = _issue(w)
    data = _stored(reply)
    roots = keys.trust_roots()
    assert inspect(data, roots).ok
    for position in (len(data) // 5, len(data) // 2, len(data) - 200):
        broken = bytearray(data)
        broken[position] ^= 0x01
        result = inspect(bytes(broken), roots)
        assert not result.ok, position
        assert any(not c.ok for c in result.checks)


def test_a_letter_signed_by_an_unknown_authority_is_not_trusted(w, tmp_path):
    from tracker.letters import render_letter_report
    from tracker.letters.samples import sample_letter

    other_ca = democa.ensure_ca(tmp_path)
    p12 = democa.unit_p12(other_ca, "冒名单位", "pw")
    from pyhanko.sign import signers

    key = keys.UnitKey(signer=signers.SimpleSigner.load_pkcs12_data(p12, [], b"pw"),
                       seal_png=democa.draw_seal("冒名单位"), subject="冒名单位",
                       not_after=datetime.now(UTC))
    pdf, report = render_letter_report(sample_letter(1, signature=True))
    from tracker.signing.pdf import sign_letter

    signed = sign_letter(pdf, key, report["seal_box"])
    result = inspect(signed, keys.trust_roots())
    assert not result.ok
    trust = next(c for c in result.checks if c.label == "证书信任")
    assert not trust.ok and "冒名单位" in trust.text
    intact = next(c for c in result.checks if c.label == "签名完整性")
    assert intact.ok  # the file itself is intact: only the signer is unknown


def _nothing_issued(assignment, before_files: set[str]):
    db.session.refresh(assignment)
    assert assignment.state == "signed"
    reply = letter.queries.current_reply(assignment)
    assert reply.issued_at is None and reply.doc_number is None and reply.pdf_name is None
    assert _letters() == before_files


def _letters() -> set[str]:
    return {key for key, _ in store().iterate("letters/")}


def _attempt(w, assignment) -> SigningFailed:
    before = _letters()
    series_before = db.session.scalar(select(func.coalesce(func.sum(DocSeries.last_number), 0))
                                      .where(DocSeries.unit_id == assignment.unit_id))
    with pytest.raises(SigningFailed) as failure:
        letter.issue_with_letter(assignment, w.health_clerk, release_locks=False)
    _nothing_issued(assignment, before)
    assert db.session.scalar(select(func.coalesce(func.sum(DocSeries.last_number), 0))
                             .where(DocSeries.unit_id == assignment.unit_id)) == series_before
    return failure.value


def test_without_a_key_nothing_is_issued(w):
    assignment = bring_to(w, "signed")
    w.health.sign_p12_name = None
    failure = _attempt(w, assignment)
    assert "尚未配置签名证书" in failure.message and failure.status == 409


def test_a_wrong_password_leaves_the_reply_unissued(w, monkeypatch):
    assignment = bring_to(w, "signed")
    monkeypatch.setenv(f"TRACKER_SIGNING_PASSWORD_{w.health.id}", "not-the-password")
    failure = _attempt(w, assignment)
    assert "密码不对" in failure.message


def test_an_expired_certificate_leaves_the_reply_unissued(w):
    assignment = bring_to(w, "signed")
    # An administrator could not upload it (the form refuses), so put it in place directly.
    p12 = democa.unit_p12(democa.ensure_ca(), "省卫生健康委员会", "old",
                          days=5, not_before=datetime.now(UTC) - timedelta(days=30))
    store().put(keys.unit_file_key("expired.p12"), p12)
    passwords = Path(current_app.config["SIGNING_PASSWORDS_FILE"])
    stored = json.loads(passwords.read_text())
    stored["expired.p12"] = "old"
    passwords.write_text(json.dumps(stored))
    w.health.sign_p12_name = "expired.p12"
    failure = _attempt(w, assignment)
    assert "过期" in failure.message


def test_a_signing_error_is_shown_to_the_clerk_and_nothing_is_issued(app, world, make_client):
    from tests.replies.test_letter_issue import _signed
    from tracker.accounts.models import Unit

    assignment_id = _signed(app, world)
    with app.app_context():
        unit = db.session.get(Unit, world.health)
        saved = unit.sign_p12_name
        unit.sign_p12_name = None
        db.session.commit()
    try:
        clerk = make_client()
        clerk.login("health_clerk")
        response = clerk.post_form(f"/assignments/{assignment_id}/actions/issue")
        assert response.status_code == 409
        assert "尚未配置签名证书" in response.get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.get(Unit, world.health).sign_p12_name = saved
            db.session.commit()


def test_the_cli_exits_zero_only_for_an_intact_trusted_issued_letter(w, app, tmp_path):
    _, reply = _issue(w)
    db.session.flush()
    good = tmp_path / "good.pdf"
    good.write_bytes(_stored(reply))
    flipped = bytearray(good.read_bytes())
    flipped[len(flipped) // 2] ^= 1
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(flipped))
    text = tmp_path / "note.pdf"
    text.write_text("not a pdf")
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["letters", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "验证通过" in ok.output and reply.doc_number in ok.output
    assert "省卫生健康委员会" in ok.output
    for path, expected in ((bad, "签名后文件内容被改动过"), (text, "这不是 PDF 文件")):
        result = runner.invoke(args=["letters", "verify", str(path)])
        assert result.exit_code == 1 and expected in result.output


def test_demo_ca_gives_keys_to_units_without_and_refuses_production(app, w, monkeypatch):
    w.edu.sign_p12_name = None
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["letters", "demo-ca"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    edu = db.session.get(type(w.edu), w.edu.id)
    assert edu.sign_p12_name and keys.unit_key(edu).subject == "省教育厅"
    monkeypatch.setitem(app.config, "ENV", "production")
    refused = app.test_cli_runner().invoke(args=["letters", "demo-ca"])
    assert refused.exit_code == 1 and "生产模式" in refused.output


def test_signing_failed_is_a_domain_error():
    assert issubclass(SigningFailed, DomainError)
