"""In a real browser: the supervising clerk registers and assigns an item; the health unit's
clerk acknowledges it from the to-do list."""
from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

TITLE = "关于加强基层卫生人才队伍建设的建议"
NUMBER = "212"
HEALTH = "省卫生健康委员会"
HR = "省人力资源和社会保障厅"


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("heading", name="我的待办").is_visible()


def assignment_row(page, unit: str):
    return page.locator("table.assignments tbody tr[id^=assignment-]").filter(has_text=unit)


def test_register_assign_and_acknowledge(live_server, browser, artifacts):
    base, ids = live_server.url, live_server.ids
    errors: list[str] = []

    def watch(page) -> None:
        # A CSP violation or a script error shows up in the console: the page must be clean.
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))

    # -- the supervising clerk registers the item ---------------------------------------
    clerk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = clerk.new_page()
    watch(page)
    log_in(page, base, "clerk")
    page.get_by_role("link", name="登记", exact=True).click()
    page.get_by_label("会议").select_option(label=live_server.names.meeting)
    page.get_by_label("编号").fill(NUMBER)
    page.get_by_label("案由（标题）").fill(TITLE)
    page.locator("input[name='authors-0-name']").fill("李华")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url(re.compile(r"/proposals/\d+$"))
    proposal_url = page.url
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert page.locator(".badge.state").first.inner_text() == "已登记"

    # -- ... and assigns it: health leads, hr co-handles --------------------------------
    page.locator(".actions").get_by_role("link", name="交办").click()
    page.get_by_label("主办单位").select_option(label=HEALTH)
    page.check(f"input[name='co_unit_ids'][value='{ids.hr}']")
    page.get_by_role("button", name="交办", exact=True).click()
    page.wait_for_url(proposal_url)

    for unit, role in ((HEALTH, "主办"), (HR, "会办")):
        row = assignment_row(page, unit)
        assert row.count() == 1, f"{unit} is not listed as a handling unit"
        assert role in row.inner_text()
        assert row.locator(".astate").inner_text() == "待签收"
    timeline = page.locator("ul.timeline")
    assert timeline.get_by_text("交办", exact=True).count() >= 1
    assert HEALTH in timeline.inner_text() and HR in timeline.inner_text()
    page.screenshot(path=str(artifacts / "detail-after-assign.png"), full_page=True)

    # -- the health unit's clerk acknowledges it from the to-do list --------------------
    unit_context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    unit_page = unit_context.new_page()
    watch(unit_page)
    log_in(unit_page, base, "health_clerk")
    todo_row = unit_page.locator("table.todo tbody tr").filter(has_text=TITLE)
    assert todo_row.count() == 1
    assert "待签收" in todo_row.inner_text()
    todo_row.get_by_role("link", name="签收").click()
    unit_page.get_by_role("button", name="签收", exact=True).click()
    unit_page.wait_for_url(proposal_url)
    assert assignment_row(unit_page, HEALTH).locator(".astate").inner_text() == "已签收"
    assert assignment_row(unit_page, HR).locator(".astate").inner_text() == "待签收"
    assert unit_page.locator("ul.timeline").get_by_text("签收", exact=True).count() >= 1
    unit_page.screenshot(path=str(artifacts / "detail-after-accept.png"), full_page=True)

    # The item has left health's to-do list as 待签收.
    unit_page.get_by_role("link", name="待办", exact=True).click()
    remaining = unit_page.locator("table.todo tbody tr").filter(has_text=TITLE)
    assert remaining.count() == 0 or "待签收" not in remaining.inner_text()

    unit_context.close()
    clerk.close()
    assert not errors, f"browser console errors: {errors}"
