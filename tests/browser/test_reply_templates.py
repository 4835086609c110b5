"""In a real browser: a drafter picks the unit's opening and closing in the draft editor,
the page fills them in (filled for this item), and saving keeps them in the new version."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.browser.test_login_and_assign import log_in
from tests.support.handling import _model_for, bring_to, write_draft
from tracker.extensions import db
from tracker.replies import templates
from tracker.replies.models import DraftVersion

pytestmark = pytest.mark.browser


@pytest.fixture
def drafting(live_server):
    from types import SimpleNamespace

    with live_server.app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(live_server.ids).items()})
        a = bring_to(w, "drafting")
        write_draft(a, w.health_drafter, body="一、基本情况\n我委高度重视基层卫生人才队伍建设。")
        templates.create_template(
            w.health, w.health_clerk, kind="opening", name="卫生健康类开头语",
            text="{您}在{会议名称}上提出的《{建议标题}》（第{编号}号）收悉。现答复如下：")
        templates.create_template(w.health, w.health_clerk, kind="closing", name="卫生健康类结束语",
                                  text="感谢您对{单位名称}工作的关心和支持。")
        db.session.commit()
        ids = SimpleNamespace(assignment=a.id, number=a.proposal.number)
        db.session.remove()
    return ids


def test_a_drafter_picks_an_opening_and_a_closing_and_saves(live_server, browser, drafting,
                                                            artifacts):
    base = live_server.url
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    log_in(page, base, "health_drafter")
    page.goto(f"{base}/assignments/{drafting.assignment}/actions/save_draft")
    picker = page.locator(".template-picker")
    assert not picker.get_by_role("button", name="套用并保存").is_visible()  # the no-JS path
    picker.get_by_label("答复模板").select_option(label="卫生健康类开头语")
    opening = f"《关于加强基层卫生人才队伍建设的建议》（第{drafting.number}号）收悉。现答复如下："
    assert opening in picker.locator("[data-template-preview]").inner_text()
    picker.get_by_role("button", name="填入编辑框").click()
    assert opening in page.locator("textarea[name=opening]").input_value()
    assert page.locator("details.greeting-overrides").get_attribute("open") is not None
    picker.get_by_label("答复模板").select_option(label="卫生健康类结束语")
    picker.get_by_role("button", name="填入编辑框").click()
    assert page.locator("input[name=closing]").input_value() == \
        "感谢您对省卫生健康委员会工作的关心和支持。"
    assert "已填入结束语" in picker.locator("[data-template-status]").inner_text()
    page.screenshot(path=str(artifacts / "reply-templates-editor.png"), full_page=True)
    page.get_by_role("button", name="保存答复稿").click()
    page.wait_for_url(f"{base}/proposals/*")
    with live_server.app.app_context():
        version = db.session.scalar(select(DraftVersion).where(
            DraftVersion.assignment_id == drafting.assignment)
            .order_by(DraftVersion.number.desc()))
        assert version.number == 2
        assert version.opening == (
            f"您在省十四届人大三次会议上提出的{opening}")
        assert version.closing == "感谢您对省卫生健康委员会工作的关心和支持。"
        assert version.body == "一、基本情况\n我委高度重视基层卫生人才队伍建设。"
    assert errors == []
