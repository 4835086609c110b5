"""In a real browser: as the clerk types a title on the registration page, similar items of
any year appear beside the form, a near-duplicate of the same meeting flagged; the drafter
inserts a paragraph of the unit's past reply into the draft at the cursor."""
from __future__ import annotations

import pytest

from tests.browser.test_login_and_assign import log_in
from tests.similar.conftest import handled
from tests.support.handling import world_rows
from tracker.extensions import db
from tracker.handling import operations

pytestmark = pytest.mark.browser

OLD = "关于加快推进异地就医直接结算的建议"
SAME_MEETING = "关于加快推进跨省异地就医费用直接结算的建议"
PARAGRAPH = "我委已实现住院费用跨省直接结算全覆盖。"


def _seed(app, ids):
    with app.test_request_context():
        w = world_rows(ids)
        handled(w, OLD, "rated", meeting=w.cppcc, reply=f"一、基本情况\n{PARAGRAPH}")
        same = handled(w, SAME_MEETING, meeting=w.meeting)
        new = handled(w, "关于完善异地就医结算服务的建议", "assigned", meeting=w.meeting)
        (assignment,) = new.assignments
        operations.accept_assignment(assignment, w.health_clerk)
        operations.dispatch_assignment(assignment, w.health_clerk,
                                       section_id=w.health_section.id,
                                       drafter_id=w.health_drafter.id)
        db.session.commit()
        return same.number, assignment.id


def test_typing_a_title_shows_similar_items(live_server, browser, artifacts):
    base = live_server.url
    number, assignment_id = _seed(live_server.app, live_server.ids)
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    # -- registration: the panel fills as the title is typed -------------------------------
    log_in(page, base, "clerk")
    page.goto(base + "/proposals/new")
    page.get_by_label("会议").select_option(label=live_server.names.meeting)
    panel = page.locator(".similar-panel")
    assert "输入案由后" in panel.inner_text()
    page.get_by_label("案由（标题）").press_sequentially("建议加快落实跨省就医费用直接结算", delay=20)
    panel.locator(".similar-item").first.wait_for()
    titles = panel.locator(".similar-title").all_inner_texts()
    assert OLD in titles[:5] and SAME_MEETING in titles[:5]
    old = panel.locator(".similar-item").filter(has_text=OLD)
    assert "已评价" in old.inner_text() and "满意" in old.inner_text()
    assert "省卫生健康委员会" in old.inner_text()
    flag = panel.locator(".similar-item").filter(has_text=SAME_MEETING).locator(".duplicate-flag")
    assert flag.inner_text() == f"可能与第{number}号重复，或可并案"
    assert old.locator(".duplicate-flag").count() == 0  # another meeting: similar, not flagged
    page.screenshot(path=str(artifacts / "similar-registration.png"), full_page=True)

    # -- the draft editor: a past paragraph inserted at the cursor ---------------------------
    drafter = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = drafter.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, base, "health_drafter")
    page.goto(f"{base}/assignments/{assignment_id}/actions/save_draft")
    past = page.locator(".past-replies")
    assert OLD in past.inner_text()
    editor = page.locator("textarea#body")
    editor.fill("一、基本情况\n二、下一步工作")
    editor.evaluate("e => e.setSelectionRange(6, 6)")  # after 一、基本情况
    past.locator("li").filter(has_text=PARAGRAPH).get_by_role("button", name="插入").click()
    assert editor.input_value() == f"一、基本情况\n{PARAGRAPH}\n二、下一步工作"
    page.screenshot(path=str(artifacts / "similar-draft.png"), full_page=True)
    assert errors == []
