"""In a real browser: the navigation bar's 全文检索 box finds an item by an author's name and
by words of its issued reply, the matches marked; a unit that does not handle it finds
nothing; the item list's search box highlights the title."""
from __future__ import annotations

import pytest

from tests.browser.test_login_and_assign import log_in
from tests.similar.conftest import handled
from tests.support.handling import world_rows
from tracker.extensions import db

pytestmark = pytest.mark.browser

TITLE = "关于加快推进异地就医直接结算的建议"
REPLY = "一、基本情况\n我委已实现门诊慢特病费用跨省直接结算全覆盖。"


def _seed(app, ids):
    with app.test_request_context():
        w = world_rows(ids)
        item = handled(w, TITLE, "replied", reply=REPLY)
        item.authors[0].name = "赵菁"
        db.session.commit()
        return item.id


def test_searching_from_the_navigation_bar(live_server, browser, artifacts):
    base = live_server.url
    item_id = _seed(live_server.app, live_server.ids)
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "clerk")
    box = page.get_by_role("searchbox", name="全文检索")
    box.fill("赵菁")
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    result = page.locator(".search-results li.card")
    assert result.count() == 1
    assert TITLE in result.inner_text()
    assert result.locator(".search-hit mark").first.inner_text() == "赵菁"
    assert "提出人" in result.locator(".search-hit").first.inner_text()

    box = page.get_by_role("searchbox", name="全文检索")
    box.fill("慢特病")
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    hit = page.locator(".search-results .search-hit").filter(has_text="答复")
    assert hit.locator("mark").inner_text() == "慢特病"
    page.screenshot(path=str(artifacts / "search-reply.png"), full_page=True)
    page.locator(".search-results a").first.click()
    page.wait_for_url(f"**/proposals/{item_id}")

    page.goto(base + "/proposals?q=异地就医")
    assert page.locator("table.proposals mark").first.inner_text() == "异地就医"

    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = other.new_page()
    log_in(page, base, "edu_clerk")
    page.goto(base + "/search?q=慢特病")
    assert page.locator(".search-results li.card").count() == 0
    assert "没有找到与“慢特病”相符的内容" in page.inner_text("main")
    assert errors == []
