"""In a real browser: a drafter imports a whole reply typed in Word, sees where each part
went before anything is saved, saves it and is shown the punctuation that was changed."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.replies.test_word_import import office_letter
from tests.support.handling import _model_for, bring_to
from tracker.extensions import db
from tracker.replies.models import DraftVersion

pytestmark = pytest.mark.browser


def test_a_drafter_imports_a_word_letter_and_saves_it(live_server, browser, artifacts,
                                                      tmp_path):
    app, base = live_server.app, live_server.url
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(live_server.ids).items()})
        assignment = bring_to(w, "drafting")
        db.session.commit()
        aid, number = assignment.id, assignment.proposal.number
        db.session.remove()
    letter = tmp_path / "答复.docx"
    letter.write_bytes(office_letter(number))

    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.get_by_label("用户名").fill("health_drafter")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/assignments/{aid}/actions/save_draft")

    page.locator("input[name='docx']").set_input_files(str(letter))
    page.get_by_role("button", name="导入并预览").click()
    page.wait_for_selector(".word-import")
    preview = page.locator(".word-import").inner_text()
    assert "Word 稿导入预览：尚未保存" in preview
    assert "李华代表：" in preview and "刘洋" in preview and "省政府办公厅" in preview
    assert page.locator("textarea[name='body']").input_value().startswith("一、关于基层卫生人才引进")
    assert page.locator("input[name='salutation']").input_value() == "李华代表："
    page.screenshot(path=str(artifacts / "word-import-preview.png"), full_page=True)
    with app.app_context():
        assert db.session.scalar(select(DraftVersion.id).where(
            DraftVersion.assignment_id == aid)) is None

    page.get_by_label("办理结果类别").select_option("A")
    page.get_by_role("button", name="保存答复稿").click()
    page.wait_for_selector(".flash-message.alert-info")
    notice = page.locator(".flash-message.alert-info").inner_text()
    assert "已按标点符号用法（GB/T 15834）将" in notice and "“,” 改为 “，”" in notice
    page.screenshot(path=str(artifacts / "word-import-saved.png"), full_page=True)
    with app.app_context():
        version = db.session.scalar(select(DraftVersion).where(
            DraftVersion.assignment_id == aid))
        assert version.source == "docx" and version.salutation == "李华代表："
        assert "426所，其中市直医疗机构10所；" in version.body
    assert errors == []
