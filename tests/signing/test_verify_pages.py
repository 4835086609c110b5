"""The public verification pages: /verify (upload a PDF), /verify/<code> (an issued letter's
record) and /verify/<code>/letter.pdf, used without logging in."""
from __future__ import annotations

import hashlib
import io
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.support.handling import _model_for, bring_to
from tracker.extensions import db

UNIT = "省卫生健康委员会"
PASSED = "验证通过"
FAILED = "验证未通过"


# -- helpers ----------------------------------------------------------------------------------

def issue_letter(app, world) -> SimpleNamespace:
    """A letter issued (rendered and signed) for a fresh item of the health unit, committed."""
    from tracker.accounts.models import User
    from tracker.handling.models import Assignment
    from tracker.replies.letter import issue_with_letter, stored_letter

    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        assignment_id = bring_to(w, "signed").id
        db.session.commit()
    with app.test_request_context():
        assignment = db.session.get(Assignment, assignment_id)
        clerk = db.session.scalar(select(User).where(User.username == "health_clerk"))
        reply = issue_with_letter(assignment, clerk)
        db.session.commit()
        proposal = assignment.proposal
        letter = SimpleNamespace(
            code=reply.verify_code, doc_number=reply.doc_number, sha256=reply.pdf_sha256,
            pdf=stored_letter(reply), cert=reply.signed_by_cert,
            issued_at=reply.issued_at, meeting=proposal.meeting.name, number=proposal.number)
        db.session.remove()
    return letter


def anonymous(make_client):
    """A visitor who has not logged in, with the CSRF token of the verification page."""
    client = make_client()
    client.fetch_token("/verify")
    return client


def upload(client, content: bytes, name: str = "答复函.pdf", **fields):
    return client.post_form("/verify", {"file": (io.BytesIO(content), name), **fields},
                            content_type="multipart/form-data")


def text_of(response) -> str:
    """The page's visible text, roughly (tags dropped, whitespace collapsed)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def verdict(response) -> str:
    match = re.search(r'class="alert [^"]*verdict[^"]*"[^>]*>(.*?)</div>',
                      response.get_data(as_text=True), flags=re.S)
    assert match, "no verdict on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def flipped(data: bytes, position: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


def byte_range(pdf: bytes) -> list[int]:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf)
    assert match, "the letter has no signature"
    return [int(n) for n in match.groups()]


# -- the page itself --------------------------------------------------------------------------

def test_verify_page_is_public_and_explains_the_checks(make_client, database):
    client = make_client()
    response = client.get("/verify")
    assert response.status_code == 200  # not sent to /login
    text = text_of(response)
    for words in ("答复函真伪验证", "签名人和签名时间", "签名完整性", "签名范围", "证书信任",
                  "本系统签发", "按验证码查询", "不超过 10 MB"):
        assert words in text, words
    assert 'enctype="multipart/form-data"' in response.get_data(as_text=True)
    # The anonymous visitor got a session cookie that carries the form's CSRF token.
    assert "tracker_session=" in response.headers.get("Set-Cookie", "")
    assert "no-store" in response.headers["Cache-Control"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_upload_without_csrf_token_is_refused(make_client, database):
    client = make_client()
    client.get("/verify")
    response = client.post("/verify", data={"file": (io.BytesIO(b"%PDF-1.4"), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "页面已过期或请求来源无法验证" in response.get_data(as_text=True)


def test_no_file_chosen_gives_a_form_error(make_client, database):
    response = anonymous(make_client).post_form("/verify", {})
    assert response.status_code == 200
    assert "请选择要验证的 PDF 文件。" in text_of(response)
    assert "verdict" not in response.get_data(as_text=True)


# -- verdicts ---------------------------------------------------------------------------------

def test_an_issued_letter_passes(app, world, make_client):
    letter = issue_letter(app, world)
    response = upload(anonymous(make_client), letter.pdf)
    assert response.status_code == 200
    assert verdict(response).startswith("✓ 验证通过：此文件是本系统签发的原件")
    text = text_of(response)
    assert f"签名人 {UNIT}" in text
    assert re.search(r"签名时间 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d（北京时间）", text)
    for line in ("✓ 签名完整性", "✓ 签名范围", "✓ 证书信任", "✓ 本系统签发"):
        assert line in text, line
    assert "✗" not in text
    assert f"对应答复函 {letter.doc_number}" in text
    assert f'href="/verify/{letter.code}"' in response.get_data(as_text=True)


def test_a_letter_with_one_byte_flipped_fails(app, world, make_client):
    letter = issue_letter(app, world)
    client = anonymous(make_client)
    _, first_end, _, _ = byte_range(letter.pdf)
    # Bytes the signature covers, in places a reader need not parse (the middle of the
    # largest stream, an embedded font; an object's end keyword), so the verdict must come
    # from the digest.
    streams = [(m.end(), letter.pdf.index(b"endstream", m.end()))
               for m in re.finditer(rb"(?<!end)stream\r?\n", letter.pdf[:first_end])]
    start, end = max(streams, key=lambda span: span[1] - span[0])
    middle = (start + end) // 2
    signed_parts = {
        "a content stream in the middle of the letter": middle,
        "the last object's end keyword, before %%EOF": letter.pdf.rindex(b"endobj") + 1,
    }
    other_parts = {
        "inside the signature value": first_end + 10,
        "the startxref offset, just before %%EOF": len(letter.pdf) - 10,
    }
    assert letter.pdf.rstrip().endswith(b"%%EOF")
    for where, position in {**signed_parts, **other_parts}.items():
        response = upload(client, flipped(letter.pdf, position))
        assert response.status_code == 200, where
        shown = verdict(response)
        assert shown.startswith(f"✗ {FAILED}："), (where, shown)
        text = text_of(response)
        assert PASSED not in text, where
        if where in signed_parts:
            assert "签名后文件内容被改动过" in shown, (where, shown)
            assert "✗ 本系统签发" in text, where


def _render_signed_by_stranger(app, tmp_path) -> bytes:
    """A letter signed with a certificate from a CA this tracker does not trust."""
    from pyhanko.sign import signers

    from tracker.letters import render_letter_report
    from tracker.letters.samples import sample_letter
    from tracker.signing import democa
    from tracker.signing.keys import UnitKey
    from tracker.signing.pdf import sign_letter

    with app.app_context():
        stranger_ca = democa.ensure_ca(tmp_path / "stranger")  # its root is trusted nowhere
        p12 = democa.unit_p12(stranger_ca, "冒名顶替委员会", "pw-stranger")
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[],
                                                       passphrase=b"pw-stranger")
        key = UnitKey(signer=signer, seal_png=democa.draw_seal("冒名顶替委员会"),
                      subject="冒名顶替委员会", not_after=None)
        pdf, report = render_letter_report(sample_letter(1, signature=True))
        return sign_letter(pdf, key, report["seal_box"])


def test_a_letter_signed_by_an_unknown_certificate_names_the_trust_failure(
        app, make_client, database, tmp_path):
    pdf = _render_signed_by_stranger(app, tmp_path)
    response = upload(anonymous(make_client), pdf)
    assert response.status_code == 200
    shown = verdict(response)
    assert shown.startswith(f"✗ {FAILED}：")
    text = text_of(response)
    assert "签名人 冒名顶替委员会" in text
    assert "✓ 签名完整性" in text  # the file is intact ...
    assert "✗ 证书信任" in text and "签名证书不是由受信任的根证书签发" in text  # ... but untrusted
    assert "✗ 本系统签发" in text


def test_a_pdf_without_signature(app, make_client, database):
    from tracker.letters import render_letter
    from tracker.letters.samples import sample_letter

    with app.app_context():
        pdf = render_letter(sample_letter(1))
    response = upload(anonymous(make_client), pdf)
    assert response.status_code == 200
    assert verdict(response).startswith(f"✗ {FAILED}：文件中没有数字签名")
    assert "签名人 （无）" in text_of(response)


@pytest.mark.parametrize("content, name", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "seal.png"),
    ("这是一份答复函的文字稿。".encode(), "答复函.pdf"),
    (b"", "empty.pdf"),
    (b"PK\x03\x04" + b"\x00" * 40, "答复.docx"),
])
def test_a_file_that_is_not_a_pdf(make_client, database, content, name):
    response = upload(anonymous(make_client), content, name)
    assert response.status_code == 200
    assert verdict(response) == f"✗ {FAILED}：这不是 PDF 文件。"


@pytest.mark.parametrize("content", [
    b"%PDF-1.7\n",
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    b"%PDF-1.4\n" + bytes(range(256)) * 20,
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/AcroForm<</Fields[2 0 R]>>>>endobj\n"
    b"2 0 obj<</FT/Sig/V<</ByteRange[0 1 2 3]/Contents<00>>>>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n",
])
def test_a_broken_pdf_gets_a_verdict_not_an_error(make_client, database, content):
    response = upload(anonymous(make_client), content)
    assert response.status_code == 200
    assert verdict(response).startswith(f"✗ {FAILED}：")


def test_a_letter_stored_before_signing_existed_is_recognised(app, world, make_client):
    """Letters issued before letters were signed have no verification code."""
    from tracker.accounts.models import User
    from tracker.files.store import store
    from tracker.letters import render_letter
    from tracker.letters.samples import sample_letter
    from tracker.replies import operations

    with app.test_request_context():
        pdf = render_letter(sample_letter(1))
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        assignment = bring_to(w, "signed")
        store().put("letters/before-signing.pdf", pdf)
        clerk = db.session.scalar(select(User).where(User.username == "health_clerk"))
        reply = operations.issue_reply(assignment, clerk, letter={
            "pdf_name": "before-signing.pdf", "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            "pdf_size": len(pdf)})
        db.session.commit()
        doc_number = reply.doc_number
    response = upload(anonymous(make_client), pdf)
    assert response.status_code == 200
    assert verdict(response).startswith(f"✗ {FAILED}：文件中没有数字签名")
    text = text_of(response)
    assert f"✓ 本系统签发 ：与本系统存档的答复函（{doc_number}）逐字节一致" in text
    assert f"对应答复函 {doc_number}" in text


def test_an_unexpected_failure_still_gives_a_verdict(make_client, database, monkeypatch):
    from tracker.signing import service

    def broken(data):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(service, "verify_file", broken)
    response = upload(anonymous(make_client), b"%PDF-1.4\n")
    assert response.status_code == 200
    assert verdict(response).startswith(f"✗ {FAILED}：核验过程中出现意外错误")
    assert "secret detail" not in response.get_data(as_text=True)


def test_an_oversized_upload_gets_a_clear_message(app, make_client, database, monkeypatch):
    client = anonymous(make_client)
    # Over the verification limit (10 MB by default), under the app's general upload limit.
    response = upload(client, b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    assert response.status_code == 413
    assert "上传的文件过大：验证的文件不能超过 10 MB" in text_of(response)
    assert 'enctype="multipart/form-data"' in response.get_data(as_text=True)  # may retry
    # Over the app's general limit too: still this page, with this limit.
    response = upload(client, b"%PDF-1.4\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert response.status_code == 413
    assert "验证的文件不能超过 10 MB" in text_of(response)
    # Just over a smaller configured limit, where the request itself is still let in.
    monkeypatch.setitem(app.config, "VERIFY_MAX_MB", 1)
    response = upload(client, b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    assert response.status_code == 413
    assert "验证的文件不能超过 1 MB" in text_of(response)
    # The page still works afterwards.
    assert upload(client, b"not a pdf").status_code == 200


# -- the letter's record by its code ----------------------------------------------------------

def test_letter_page_shows_the_record_and_offers_the_stored_file(app, world, make_client):
    from tracker.core.time import to_local

    letter = issue_letter(app, world)
    client = make_client()
    response = client.get(f"/verify/{letter.code}")
    assert response.status_code == 200
    text = text_of(response)
    issued = to_local(letter.issued_at).date()
    assert f"文号 {letter.doc_number}" in text
    assert f"成文日期 {issued.year}年{issued.month}月{issued.day}日" in text
    assert f"发文单位 {UNIT}" in text
    assert f"标题 对{letter.meeting}第{letter.number}号代表建议的答复" in text
    assert f"签名证书 {letter.cert}" in text and letter.cert
    assert letter.sha256 in text
    assert "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert f'href="/verify/{letter.code}/letter.pdf"' in html
    assert f'name="letter_code" type="hidden" value="{letter.code}"' in html
    # Grouped, lower case or without dashes: the same letter.
    grouped = "-".join(letter.code[i:i + 4] for i in range(0, 16, 4))
    for typed in (grouped, grouped.lower(), letter.code.lower()):
        again = client.get(f"/verify/{typed}")
        assert again.status_code == 200 and letter.doc_number in text_of(again), typed

    download = client.get(f"/verify/{letter.code}/letter.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == letter.sha256
    assert download.data == letter.pdf
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition and "%E5%90%89%E5%8D%AB" in disposition  # 吉卫
    assert "no-store" in download.headers["Cache-Control"]
    assert client.get(f"/verify/{grouped.lower()}/letter.pdf").data == letter.pdf


def test_the_code_box_leads_to_the_letter(app, world, make_client):
    letter = issue_letter(app, world)
    client = make_client()
    grouped = "-".join(letter.code[i:i + 4] for i in range(0, 16, 4))
    response = client.get("/verify", query_string={"code": f"  {grouped.lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{letter.code}"
    bad = client.get("/verify", query_string={"code": "ABC-123"})
    assert bad.status_code == 200
    assert "验证码格式不正确" in text_of(bad) and 'value="ABC-123"' in bad.get_data(as_text=True)


def test_uploading_on_a_letter_page_compares_with_that_letter(app, world, make_client):
    letter = issue_letter(app, world)
    client = make_client()
    client.fetch_token(f"/verify/{letter.code}")
    same = upload(client, letter.pdf, letter_code=letter.code)
    assert "此文件就是验证码" in text_of(same) and letter.doc_number in text_of(same)
    other = upload(client, flipped(letter.pdf, 1000), letter_code=letter.code)
    assert "此文件不是验证码 " in text_of(other)
    assert verdict(other).startswith(f"✗ {FAILED}")


@pytest.mark.parametrize("code", [
    "ABCD-EFGH-JKLM-NPQR",    # well formed, never issued
    "abcdefghjkmnpqrs",       # the same in lower case, without dashes
    "abc",                    # malformed: too short
    "ABCD-EFGH-JKLM-NPQ0",    # 0 is not in the alphabet
    "x" * 300,                # far too long
    "%3Cscript%3E",           # markup
])
def test_an_unknown_or_malformed_code_is_a_clear_404(make_client, database, code):
    client = make_client()
    for path in (f"/verify/{code}", f"/verify/{code}/letter.pdf"):
        response = client.get(path)
        assert response.status_code == 404, path
        text = text_of(response)
        assert "验证码不存在" in text, path
        assert "<script>" not in response.get_data(as_text=True)
        assert "no-store" in response.headers["Cache-Control"]


def test_a_letter_whose_file_went_missing_is_a_clear_404(app, world, make_client):
    from tracker.files.store import store
    from tracker.replies.letter import letter_key
    from tracker.replies.models import Reply

    letter = issue_letter(app, world)
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.verify_code == letter.code))
        store().delete(letter_key(reply))
    response = make_client().get(f"/verify/{letter.code}/letter.pdf")
    assert response.status_code == 404
    assert "暂时无法提供" in text_of(response)


def test_pages_never_take_addresses_from_the_host_header(app, world, make_client):
    letter = issue_letter(app, world)
    client = make_client()
    base = app.config["PUBLIC_BASE_URL"]
    evil = {"Host": "evil.example"}
    page = client.get(f"/verify/{letter.code}", headers=evil)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "evil.example" not in html
    assert f"{base}/verify/{letter.code}" in html  # the address printed in the QR code
    lookup = client.get("/verify", query_string={"code": letter.code}, headers=evil)
    assert "evil.example" not in lookup.headers["Location"]
    form_page = client.get("/verify", headers=evil).get_data(as_text=True)
    assert "evil.example" not in form_page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form_page).group(1)
    checked = client.post("/verify", headers=evil, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(letter.pdf), "a.pdf"), "csrf_token": token})
    assert checked.status_code == 200
    assert "evil.example" not in checked.get_data(as_text=True)
    assert f'href="/verify/{letter.code}"' in checked.get_data(as_text=True)


def test_a_countersigned_letter_names_every_signer_in_order(app, world, make_client):
    """A letter signed again by a second unit: the headline names both, first signer first."""
    from pyhanko.sign import signers

    from tracker.signing import democa
    from tracker.signing.keys import UnitKey
    from tracker.signing.pdf import sign_letter

    letter = issue_letter(app, world)
    second = "省教育厅会签处"
    with app.app_context():
        p12 = democa.unit_p12(democa.ensure_ca(), second, "pw-second")
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[],
                                                       passphrase=b"pw-second")
        key = UnitKey(signer=signer, seal_png=democa.draw_seal(second), subject=second,
                      not_after=None)
        both = sign_letter(letter.pdf, key, {"page": 0, "rect": [60, 60, 160, 160]},
                           field_name="CounterSeal")
    response = upload(anonymous(make_client), both)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = re.search(r'<dd class="[^"]*\bsigner\b[^"]*">(.*?)</dd>', html, flags=re.S)
    assert match, "no 签名人 on the page"
    headline = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))
    assert UNIT in headline and second in headline, headline
    assert headline.index(UNIT) < headline.index(second), headline
    text = text_of(response)
    assert "文件中有 2 个数字签名" in text
    assert "第 1 个签名" in text and "第 2 个签名" in text


def test_a_withheld_letter_is_downloaded_only_by_users_who_may_see_it(app, world, make_client):
    """不予公开: whoever holds the code sees the letter's facts and can compare a file, but the
    stored file goes only to a logged-in user who may see the item (issue 20)."""
    from tracker.replies.models import Reply

    letter = issue_letter(app, world)
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.verify_code == letter.code))
        reply.publication, reply.withhold_reason = "withheld", "privacy"
        db.session.commit()
    public = anonymous(make_client)
    page = public.get(f"/verify/{letter.code}")
    assert page.status_code == 200
    assert f"文号 {letter.doc_number}" in text_of(page) and "该答复函不予公开" in text_of(page)
    assert f'href="/verify/{letter.code}/letter.pdf"' not in page.get_data(as_text=True)
    refused = public.get(f"/verify/{letter.code}/letter.pdf")
    assert refused.status_code == 403 and refused.mimetype == "text/html"
    assert letter.pdf not in refused.data and "不予公开" in text_of(refused)
    same = upload(public, letter.pdf, letter_code=letter.code)
    assert "此文件就是验证码" in text_of(same)
    for username, allowed in (("health_clerk", True), ("clerk", True), ("edu_clerk", False)):
        user = make_client()
        user.login(username)
        download = user.get(f"/verify/{letter.code}/letter.pdf")
        assert (download.status_code == 200 and download.data == letter.pdf) is allowed, username
        offered = f'href="/verify/{letter.code}/letter.pdf"' in user.get(
            f"/verify/{letter.code}").get_data(as_text=True)
        assert offered is allowed, username
