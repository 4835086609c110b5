"""In a real browser, without logging in: the portal lists a published reply, its search box
finds it by words of the public text (marked) and not by a removed word, the reply's page
shows the standard header and offers the public PDF, and the statistics page opens."""
from __future__ import annotations

import json

import pytest

from tests.similar.conftest import handled
from tests.support.handling import world_rows
from tracker.core.time import today
from tracker.core.touched import items_touched
from tracker.extensions import db
from tracker.files.store import store
from tracker.publication.models import Publication
from tracker.replies.queries import current_reply

pytestmark = pytest.mark.browser

PUBLIC = "［已删除］代表：\n一、基本情况\n我委已实现门诊慢特病费用跨省直接结算全覆盖。"
PDF = b"%PDF-1.4\n% the public version\n%%EOF\n"


def _published(app, ids) -> int:
    """A published version as publish() writes it (its letter not rendered here: the
    browser's process cannot render beside Playwright)."""
    with app.test_request_context():
        w = world_rows(ids)
        item = handled(w, "关于加快推进异地就医直接结算的建议", "replied",
                       reply="一、基本情况\n我委已实现门诊慢特病费用跨省直接结算全覆盖。")
        reply = current_reply(item.assignments[0])
        store().put("letters/public/browser-test.pdf", PDF)
        row = Publication(
            reply_id=reply.id, proposal_id=item.id, unit_id=w.health.id, version=1,
            mode="full", index_number="112202813400415897/2026-00001", category="医疗卫生",
            issuer=w.health.name, written_on=today(), title="对第1号建议的答复",
            doc_number=reply.doc_number, published_on=today(), public_text=PUBLIC,
            letter_data=json.dumps({}), removals="[]", pdf_name="browser-test.pdf",
            pdf_sha256="0" * 64, pdf_size=len(PDF), confirmed_by_id=w.health_clerk.id,
            confirmed_by_name=w.health_clerk.full_name)
        db.session.add(row)
        db.session.flush()
        items_touched(db.session, [item.id])
        db.session.commit()
        return row.id


def test_the_public_finds_and_reads_a_published_reply(live_server, browser, artifacts):
    base = live_server.url
    publication_id = _published(live_server.app, live_server.ids)
    errors: list[str] = []
    page = browser.new_context(viewport={"width": 1300, "height": 1000},
                               locale="zh-CN").new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + "/public/")
    assert page.locator(".portal-entry").count() == 1
    box = page.get_by_role("searchbox", name="检索")
    box.fill("慢特病")
    page.get_by_role("button", name="检索").click()
    page.wait_for_url("**/public/?q=*")
    assert page.locator(".portal-entry .snippet mark").first.inner_text() == "慢特病"
    page.screenshot(path=str(artifacts / "portal-search.png"), full_page=True)
    page.locator(".portal-entry a").first.click()
    page.wait_for_url(f"**/public/{publication_id}")
    header = page.locator("#doc-header").inner_text()
    for label in ("索引号", "分类", "发文机关", "成文日期", "标题", "发文字号", "发布日期"):
        assert label in header
    assert "112202813400415897/2026-00001" in header
    assert "门诊慢特病费用跨省直接结算" in page.locator("#public-text").inner_text()
    href = page.get_by_role("link").filter(has_text="下载 PDF").get_attribute("href")
    pdf = page.request.get(base + href)
    assert pdf.status == 200 and pdf.body() == PDF
    page.screenshot(path=str(artifacts / "portal-page.png"), full_page=True)

    page.goto(base + "/public/?q=基层医疗")  # words of no public text
    assert page.locator(".portal-entry").count() == 0
    assert "没有找到符合条件的公开答复" in page.inner_text("main")
    page.goto(base + "/public/statistics")
    assert page.locator("#public-stats tbody tr").count() >= 2  # a unit and the total
    assert errors == []
