"""In a real browser: the office's clerk asks its leader for a 签办意见; the leader finds it in
待办 and instructs; the clerk ticks items in the list and prints their 办理单."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.browser.test_login_and_assign import log_in
from tests.factories import make_proposal, make_user
from tracker.accounts.models import Role, Unit, User
from tracker.extensions import db
from tracker.proposals.models import Meeting

pytestmark = pytest.mark.browser


@pytest.fixture
def item(live_server):
    with live_server.app.test_request_context():
        office = db.session.get(Unit, live_server.ids.office)
        make_user("office_leader", office, Role.leader, full_name="吴昱")
        clerk = db.session.get(User, live_server.ids.clerk)
        proposal = make_proposal(clerk, db.session.get(Meeting, live_server.ids.meeting),
                                 number="0040", title="关于支持民营医疗机构高质量发展的建议")
        db.session.commit()
        proposal_id = proposal.id
        db.session.remove()
    return proposal_id


def test_a_leader_instructs_from_todo_and_the_sheet_prints(live_server, browser, item):
    base = live_server.url
    errors: list[str] = []
    clerk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = clerk.new_page()
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    log_in(page, base, "clerk")
    page.goto(f"{base}/proposals/{item}")
    page.get_by_role("link", name="呈请领导批示").click()
    page.get_by_label("批示类别").select_option(label="领导签办意见")
    page.get_by_label("呈请领导").select_option(label="吴昱（省政府办公厅）")
    page.get_by_label("呈批说明").fill("拟转省卫健委办理，呈请阅示。")
    page.get_by_role("button", name="呈请批示").click()
    page.wait_for_url(f"{base}/proposals/{item}")
    assert "呈请吴昱" in page.locator(".instructions").inner_text()

    leader = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    lpage = leader.new_page()
    lpage.on("console", lambda m: m.type == "error" and errors.append(m.text))
    log_in(lpage, base, "office_leader")
    row = lpage.locator("table.todo tbody tr").filter(has_text="待批示（签办意见）")
    row.get_by_role("link", name="批示").click()
    lpage.get_by_label("批示内容").fill("同意。请省卫健委认真办理。")
    lpage.get_by_role("button", name="批示").click()
    lpage.wait_for_url(f"{base}/proposals/{item}")
    card = lpage.locator(".instructions").inner_text()
    assert "同意。请省卫健委认真办理。" in card and "领导本人录入" in card
    lpage.goto(base + "/")
    assert lpage.locator("table.todo").count() == 0  # nothing waits for the leader any more

    page.goto(base + "/proposals")
    page.locator("th.pick input[type=checkbox]").check()  # 全选
    assert page.locator("input[name=ids]:checked").count() == 1
    with page.expect_download() as download:
        page.get_by_role("button", name="打印所选事项的办理单").click()
    pdf = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    text = re.sub(r"\s", "", pdf.pages[0].extract_text())
    assert "办理单" in text and "同意。请省卫健委认真办理。" in text and "吴昱" in text
    assert errors == []
