"""In a real browser, without an account: an author opens their personal rating link, is told
what is missing, answers, sees the thanks, and finds the link used up when opening it again."""
from __future__ import annotations

import pytest

from tests.ratings.test_public_rating import CO, LEAD, make_issued, ratings_of

pytestmark = pytest.mark.browser


def test_an_author_rates_the_reply_through_the_link(live_server, browser, artifacts):
    base, app = live_server.url, live_server.app
    item = make_issued(app, live_server.ids, authors=(LEAD, CO))
    link = f"{base}/rate/{item.tokens[0]}"

    errors: list[str] = []
    requests: list[tuple[str, str | None]] = []
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    # The 422 and 404 answers of the page itself are logged as "failed to load"; anything
    # else (a CSP violation, a script error, a missing asset) is a problem.
    expected = ("status of 422", "status of 404")
    page.on("console", lambda m: m.type == "error" and not any(e in m.text for e in expected)
            and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append((r.url, r.headers.get("referer"))))
    page.on("response", lambda r: r.status >= 400 and r.url != link
            and errors.append(f"{r.status} {r.url}"))

    # -- the page of the link: the item, the reply, the form; only this author --------------
    response = page.goto(link)
    assert response.status == 200
    assert page.get_by_role("heading", name="对答复进行评价").is_visible()
    assert "李华代表：您好" in page.locator("p.greeting").inner_text()
    assert item.title in page.locator("dd.item-title").inner_text()
    assert page.locator("dd.item-unit").inner_text() == "省卫生健康委员会"
    assert item.doc_number in page.locator("dd.item-doc-number").inner_text()
    assert "我委高度重视基层卫生人才队伍建设。" in page.locator(".reply-letter").inner_text()
    body = page.locator("body").inner_text()
    assert "王芳" not in body and CO["phone"] not in body and LEAD["phone"] not in body
    page.screenshot(path=str(artifacts / "rating-form.png"), full_page=True)

    # -- submitted without the required answers: messages, the form again -----------------
    page.get_by_label("意见和建议").fill("希望加快落实。")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector(".rating-errors")
    assert "请选择对办理工作的评价。" in page.locator("body").inner_text()
    assert "请选择承办单位是否与您联系过。" in page.locator("body").inner_text()
    assert page.get_by_label("意见和建议").input_value() == "希望加快落实。"
    page.screenshot(path=str(artifacts / "rating-missing.png"), full_page=True)

    # -- all answers: thanks ---------------------------------------------------------------
    page.get_by_role("group", name="对办理工作的评价").get_by_label("满意（90 分及以上）").check()
    page.get_by_label("办理工作评分").fill("96")
    page.get_by_role("group", name="对办理结果的评价").get_by_label("基本满意（60–89 分）").check()
    page.get_by_role("group", name="承办单位是否与您联系过").get_by_label("联系过").check()
    page.get_by_label("联系方式").select_option(label="面商")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector(".rating-thanks")
    thanks = page.locator(".rating-thanks").inner_text()
    assert "感谢您的评价" in thanks and item.doc_number in thanks
    assert page.get_by_role("button", name="提交评价").count() == 0
    page.screenshot(path=str(artifacts / "rating-thanks.png"), full_page=True)

    # -- the link again: used up -----------------------------------------------------------
    response = page.goto(link)
    assert response.status == 404
    assert "您已提交过对该答复的评价" in page.locator(".refused-message").inner_text()
    assert page.locator("form").count() == 0
    page.screenshot(path=str(artifacts / "rating-used.png"), full_page=True)

    context.close()
    assert not errors, f"browser console errors: {errors}"
    # The token never travels in a Referer (the page's own CSS requests included).
    assert not [url for url, referer in requests if referer and "/rate/" in referer]
    (rating,) = ratings_of(app, item.reply_id)
    assert (rating.handling.value, rating.handling_score, rating.result.value) == (
        "satisfied", 96, "basic")
    assert rating.contact_method == "face" and rating.comments == "希望加快落实。"
