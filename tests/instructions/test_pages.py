"""The instruction pages as users meet them: the leader's 待办 and 批示 form, a clerk entering
a paper instruction (errors beside the field), the item page, the 办理单 downloads."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.factories import make_user
from tests.support.base import Client
from tests.support.handling import bring_to, world_rows
from tests.support.security import sign_in
from tracker.accounts.models import Role, Unit
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import UnitRole
from tracker.instructions import operations
from tracker.instructions.models import Instruction


def _client(app, username):
    app.test_client_class = Client
    client = app.test_client()
    sign_in(app, client, username)
    return client


@pytest.fixture
def item(app, world):
    """An item health acknowledged (hr co-handles it), the office's leader asked to sign off."""
    with app.test_request_context():
        w = world_rows(world)
        leader = make_user("office_leader", w.office, Role.leader, full_name="吴昱")
        lead = bring_to(w, "accepted")
        co_choice = handling.UnitChoice(w.hr.id, UnitRole.co)
        handling.assign_proposal(lead.proposal, w.clerk, [co_choice])
        asked = operations.request_instruction(lead.proposal, w.clerk, kind="sign_off",
                                               leader_id=leader.id, note="拟转省卫健委办理")
        ids = {"proposal": lead.proposal_id, "lead": lead.id, "asked": asked.id,
               "number": lead.proposal.number}
        db.session.commit()
    return ids


def test_the_leader_finds_it_in_todo_and_instructs(app, item):
    leader = _client(app, "office_leader")
    todo = leader.get("/").get_data(as_text=True)
    assert "待批示（签办意见）" in todo and f"/instructions/{item['asked']}/give" in todo
    page = leader.get(f"/instructions/{item['asked']}/give").get_data(as_text=True)
    assert "以您本人（吴昱）的名义批示" in page and "拟转省卫健委办理" in page
    response = leader.post(f"/instructions/{item['asked']}/give", data={
        "text": "同意。请省卫健委认真办理。", "given_on": "2000-01-01",
        "csrf_token": leader.token})
    assert response.status_code == 422
    assert re.search(r'invalid-feedback[^>]*>\s*批示日期不能早于', response.get_data(as_text=True))
    response = leader.post(f"/instructions/{item['asked']}/give", data={
        "text": "同意。请省卫健委认真办理。", "given_on": today().isoformat(),
        "csrf_token": leader.token})
    assert response.status_code == 302
    html = _client(app, "health_clerk").get(f"/proposals/{item['proposal']}").get_data(as_text=True)
    card = html.split("领导批示", 1)[1].split("办理过程", 1)[0]
    assert "同意。请省卫健委认真办理。" in card and "吴昱" in card and "领导签办意见" in card
    assert "待批示（签办意见）" not in leader.get("/").get_data(as_text=True)


def test_a_clerk_enters_a_paper_instruction_and_errors_sit_beside_the_field(app, item):
    clerk = _client(app, "health_clerk")
    form = clerk.get(f"/proposals/{item['proposal']}/instructions/new").get_data(as_text=True)
    kinds = form.split("批示类别", 1)[1].split("</select>", 1)[0]
    assert "承办单位主要领导办理意见" in kinds and "转办意见" not in kinds
    data = {"kind": "unit_principal", "assignment_id": str(item["lead"]), "leader_id": "0",
            "leader_name": "", "text": "请基层卫生健康处办理。", "given_on": today().isoformat(),
            "source": "paper", "csrf_token": clerk.token}
    response = clerk.post(f"/proposals/{item['proposal']}/instructions/new", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    after_name = html.split('name="leader_name"', 1)[1].split('name="text"', 1)[0]
    assert "请选择或填写作出批示的领导。" in after_name
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Instruction).where(
            Instruction.kind == "unit_principal")) == 0
    data["leader_name"] = "冯主任"
    assert clerk.post(f"/proposals/{item['proposal']}/instructions/new", data=data).status_code == 302
    page = clerk.get(f"/proposals/{item['proposal']}").get_data(as_text=True)
    assert "请基层卫生健康处办理。" in page and "据纸质批示录入" in page
    # The co-handling unit does not read health's leader's instruction, nor on the timeline.
    hr_page = _client(app, "hr_clerk").get(f"/proposals/{item['proposal']}").get_data(as_text=True)
    assert "请基层卫生健康处办理。" not in hr_page


def test_the_sheet_downloads_for_the_office_and_the_answering_unit_only(app, item):
    clerk = _client(app, "clerk")
    response = clerk.get(f"/proposals/{item['proposal']}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "办理单" in PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert _client(app, "health_clerk").get(f"/proposals/{item['proposal']}/sheet.pdf").status_code == 200
    assert _client(app, "hr_clerk").get(f"/proposals/{item['proposal']}/sheet.pdf").status_code == 403
    assert _client(app, "edu_clerk").get(f"/proposals/{item['proposal']}/sheet.pdf").status_code == 404


def test_a_selection_from_the_list_prints_in_one_pdf(app, world, item):
    with app.test_request_context():
        second = bring_to(world_rows(world), "drafting").proposal_id
        db.session.commit()
    clerk = _client(app, "clerk")
    listing = clerk.get("/proposals").get_data(as_text=True)
    assert f'name="ids" value="{item["proposal"]}" form="sheets"' in listing
    response = clerk.post("/proposals/sheets.pdf", data={
        "ids": [str(second), str(item["proposal"])], "csrf_token": clerk.token})
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 2
    empty = clerk.post("/proposals/sheets.pdf", data={"csrf_token": clerk.token})
    assert empty.status_code == 422 and "请先在列表中勾选" in empty.get_data(as_text=True)
    # Another unit's items are not printed for edu (as if they did not exist).
    edu = _client(app, "edu_clerk")
    assert edu.post("/proposals/sheets.pdf", data={
        "ids": [str(second)], "csrf_token": edu.token}).status_code == 404


def test_the_unit_setting_is_saved_from_the_admin_page(app, world):
    admin = _client(app, "admin")
    page = admin.get(f"/admin/units/{world.health}/edit").get_data(as_text=True)
    assert "须经单位领导批示后才能交承办人办理" in page
    response = admin.post(f"/admin/units/{world.health}/settings", data={
        "settings-review_levels": ["first", "second", "final"],
        "settings-principal_leader_id": str(world.health_leader),
        "settings-instruction_before_dispatch": "y", "settings-prefix_suggestion": "吉卫复议字",
        "settings-prefix_proposal": "吉卫复提字", "settings-prefix_co_opinion": "吉卫会字",
        "csrf_token": admin.token})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, world.health).instruction_before_dispatch is True


def _queries(app, client, url: str) -> int:
    from sqlalchemy import event

    statements = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        statements.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _acknowledged(app, world, n: int) -> None:
    with app.test_request_context():
        w = world_rows(world)
        w.health.instruction_before_dispatch = True
        for _ in range(n):
            bring_to(w, "accepted")  # 签收 asks the principal leader
        db.session.commit()


@pytest.mark.parametrize("who", ["health_clerk", "health_leader"])
def test_the_todo_page_asks_the_same_queries_for_1_and_8_rows(app, world, who):
    """The dispatch guard's question (has a leader instructed?) is asked once for the page."""
    client = _client(app, who)
    _acknowledged(app, world, 1)
    one = _queries(app, client, "/")
    _acknowledged(app, world, 7)
    page = client.get("/").get_data(as_text=True)
    assert page.count("待领导批示" if who == "health_clerk" else "待批示（主要领导意见）") == 8
    assert _queries(app, client, "/") == one
