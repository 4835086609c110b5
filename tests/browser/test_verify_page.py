"""In a real browser, without logging in: /verify passes an issued letter and fails a copy
with one byte flipped; the letter's page by its code shows its record and its file."""
from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.signing.test_verify_pages import byte_range, flipped, issue_letter

pytestmark = pytest.mark.browser


def test_verify_page_shows_both_verdicts(live_server, browser, artifacts, tmp_path):
    base = live_server.url
    # Signing uses pyHanko's synchronous API (asyncio.run), which cannot run inside the
    # event loop Playwright keeps in this thread: issue the letter from another thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        letter = pool.submit(issue_letter, live_server.app, live_server.ids).result()
    original = tmp_path / f"{letter.doc_number}.pdf"
    original.write_bytes(letter.pdf)
    _, first_end, _, _ = byte_range(letter.pdf)
    streams = [(m.end(), letter.pdf.index(b"endstream", m.end()))
               for m in re.finditer(rb"(?<!end)stream\r?\n", letter.pdf[:first_end])]
    start, end = max(streams, key=lambda span: span[1] - span[0])
    tampered = tmp_path / "改过一个字节的答复函.pdf"
    tampered.write_bytes(flipped(letter.pdf, (start + end) // 2))

    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    # -- the page, opened by someone who has not logged in -------------------------------
    page.goto(base + "/verify")
    assert page.url == base + "/verify"
    assert page.get_by_role("heading", name="答复函真伪验证").is_visible()
    assert page.locator(".verdict").count() == 0
    page.screenshot(path=str(artifacts / "verify-form.png"), full_page=True)

    # -- the issued letter: passes -------------------------------------------------------
    page.get_by_label("答复函 PDF 文件").set_input_files(str(original))
    page.get_by_role("button", name="上传并验证").click()
    page.wait_for_selector(".verdict")
    verdict = page.locator(".verdict").inner_text()
    assert "验证通过" in verdict and "验证未通过" not in verdict
    assert "alert-success" in page.locator(".verdict").get_attribute("class")
    assert "省卫生健康委员会" in page.locator("dd.signer").inner_text()
    assert "北京时间" in page.locator("dd.signed-at").inner_text()
    checks = page.locator("ul.verify-checks li")
    assert checks.count() >= 5
    assert page.locator("ul.verify-checks li.check-failed").count() == 0
    page.screenshot(path=str(artifacts / "verify-passed.png"), full_page=True)

    # -- from the verdict to the letter's record, and its stored file --------------------
    page.get_by_role("link", name=letter.doc_number).click()
    page.wait_for_url(f"{base}/verify/{letter.code}")
    assert page.locator("dd.doc-number").inner_text() == letter.doc_number
    assert page.locator("dd.unit").inner_text() == "省卫生健康委员会"
    assert page.locator("dd.letter-title").inner_text().endswith("号代表建议的答复")
    page.screenshot(path=str(artifacts / "verify-letter.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载存档的答复函（PDF）").click()
    download = download_info.value
    assert download.suggested_filename == f"{letter.doc_number}.pdf"
    assert hashlib.sha256(open(download.path(), "rb").read()).hexdigest() == letter.sha256

    # -- a copy with one byte flipped: fails ---------------------------------------------
    page.goto(base + "/verify")
    page.get_by_label("答复函 PDF 文件").set_input_files(str(tampered))
    page.get_by_role("button", name="上传并验证").click()
    page.wait_for_selector(".verdict")
    verdict = page.locator(".verdict").inner_text()
    assert "验证未通过" in verdict and "签名后文件内容被改动过" in verdict
    assert "alert-danger" in page.locator(".verdict").get_attribute("class")
    assert page.locator("ul.verify-checks li.check-failed").count() >= 1
    page.screenshot(path=str(artifacts / "verify-failed.png"), full_page=True)

    # -- a file over the size limit: a clear message on the same page --------------------
    too_large = tmp_path / "too-large.pdf"
    too_large.write_bytes(b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    page.get_by_label("答复函 PDF 文件").set_input_files(str(too_large))
    page.get_by_role("button", name="上传并验证").click()
    page.wait_for_selector(".verify-error")
    assert "验证的文件不能超过 10 MB" in page.locator(".verify-error").inner_text()
    assert page.locator(".verdict").count() == 0

    context.close()
    # (Chromium reports the 413 status itself on the console; nothing else may be there.)
    errors = [e for e in errors if "status of 413" not in e]
    assert not errors, f"browser console errors: {errors}"
