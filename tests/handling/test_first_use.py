"""What a clerk trying the handling pages for the first time sees: errors beside their
fields, once; the 交办 page of an item that already has units; the to-do list."""
from __future__ import annotations

from tests import factories
from tests.support.handling import world_rows
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal


def _assigned_item(app, world, **roles):
    with app.app_context():
        w = world_rows(world)
        proposal = factories.make_proposal(w.clerk, w.meeting)
        assignments = factories.assign(proposal, w.clerk, **{
            k: (getattr(w, v) if isinstance(v, str) else [getattr(w, u) for u in v])
            for k, v in roles.items()})
        db.session.commit()
        return proposal.id, [a.id for a in assignments]


def test_an_empty_opinion_is_refused_once_beside_its_field(app, make_client, world):
    _, (lead_id, co_id) = _assigned_item(app, world, lead="health", co=("hr",))
    hr = make_client()
    hr.login("hr_clerk")
    assert hr.post_form(f"/assignments/{co_id}/actions/accept").status_code == 302
    response = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {"text": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("此项必须填写。") == 1


def test_assigning_more_units_is_called_so(app, make_client, world):
    assigned_id, _ = _assigned_item(app, world, lead="health", co=("hr",))
    with app.app_context():
        w = world_rows(world)
        fresh_id = factories.make_proposal(w.clerk, w.meeting).id
        db.session.commit()
    clerk = make_client()
    clerk.login("clerk")

    page = clerk.get(f"/proposals/{assigned_id}").get_data(as_text=True)
    buttons = page.split('<div class="ms-auto actions">')[1].split("</div>")[0]
    assert ">追加交办单位</a>" in buttons and ">交办</a>" not in buttons
    page = clerk.get(f"/proposals/{assigned_id}/actions/assign").get_data(as_text=True)
    assert "<title>追加交办单位" in page
    assert "<h1 class=\"h5\">追加交办单位：" in page
    assert "已交办单位：省卫生健康委员会（主办）、省人力资源和社会保障厅（会办）" in page
    assert '<button class="btn btn-primary" type="submit">追加交办单位</button>' in page
    # Adding no unit at all is refused, beside the unit fields.
    response = clerk.post_form(f"/proposals/{assigned_id}/actions/assign", {"lead_unit_id": "0"})
    assert response.status_code == 422
    assert "请至少选择一个承办单位。" in response.get_data(as_text=True)

    # An item without units keeps the plain 交办.
    page = clerk.get(f"/proposals/{fresh_id}").get_data(as_text=True)
    buttons = page.split('<div class="ms-auto actions">')[1].split("</div>")[0]
    assert ">交办</a>" in buttons and "追加交办单位" not in page
    page = clerk.get(f"/proposals/{fresh_id}/actions/assign").get_data(as_text=True)
    assert "<h1 class=\"h5\">交办：" in page and "已交办单位" not in page


def _field_block(page: str, name: str) -> str:
    """The HTML of the form group holding the field named name."""
    start = page.index(f'name="{name}"')
    start = page.rindex('<div class="mb-3', 0, start)
    end = page.find('<div class="mb-3', start + 1)
    return page[start:end if end != -1 else None]


def _flashes(page: str) -> str:
    return "".join(part.split("</div>")[0] for part in page.split("flash-message")[1:])


def test_unit_errors_of_the_assign_form_stand_beside_the_unit_fields(app, make_client, world):
    with app.app_context():
        w = world_rows(world)
        pid = factories.make_proposal(w.clerk, w.meeting).id
        db.session.commit()
    clerk = make_client()
    clerk.login("clerk")

    response = clerk.post_form(f"/proposals/{pid}/actions/assign", {"lead_unit_id": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请至少选择一个承办单位。" in _field_block(page, "lead_unit_id")
    assert "请至少选择一个承办单位。" not in _flashes(page)

    response = clerk.post_form(f"/proposals/{pid}/actions/assign", {
        "lead_unit_id": world.health, "co_unit_ids": [world.health, world.hr]})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "同一单位不能重复选择。" in _field_block(page, "co_unit_ids")
    assert "同一单位不能重复选择。" not in _flashes(page)

    response = clerk.post_form(f"/proposals/{pid}/actions/assign", {
        "co_unit_ids": [world.hr]})
    page = response.get_data(as_text=True)
    assert "有会办单位时必须指定主办单位。" in _field_block(page, "lead_unit_id")
    with app.app_context():
        assert db.session.get(Proposal, pid).state == "registered"


def test_the_item_badge_follows_its_lead_unit_not_a_co_unit_yet_to_acknowledge(
        app, make_client, world):
    from tracker.handling import operations

    pid, (lead_id, co_id) = _assigned_item(app, world, lead="health", co=("hr",))
    with app.test_request_context():
        w = world_rows(world)
        lead, co = db.session.get(Assignment, lead_id), db.session.get(Assignment, co_id)
        operations.accept_assignment(lead, w.health_clerk)
        operations.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                       drafter_id=w.health_drafter.id)
        assert db.session.get(Proposal, pid).state == "drafting"  # hr still 待签收
        operations.request_return(co, w.hr_clerk, reason="与本单位职责无关")
        assert db.session.get(Proposal, pid).state == "drafting"
        db.session.commit()
    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    header = page.split('<div class="ms-auto actions">')[0]
    assert '<span class="badge state state-drafting">办理中</span>' in header
    row = page.split(f'id="assignment-{co_id}"')[1].split("</tr>")[0]
    assert "申请退回" in row


def test_a_return_asked_by_a_lead_or_separate_unit_still_marks_the_item(app, world):
    from tracker.handling import operations

    pid, (first_id, second_id) = _assigned_item(app, world, separate=("health", "edu"))
    with app.test_request_context():
        w = world_rows(world)
        first, second = (db.session.get(Assignment, i) for i in (first_id, second_id))
        operations.accept_assignment(first, w.health_clerk)
        assert db.session.get(Proposal, pid).state == "assigned"  # edu, a 分办 unit, has not
        operations.request_return(second, w.edu_clerk, reason="与本单位职责无关")
        assert db.session.get(Proposal, pid).state == "return_requested"


def test_passing_the_item_to_a_drafter_is_not_called_fenban(app, make_client, world):
    """分办 names a kind of unit (分办单位); giving the work to a drafter is 指定承办人."""
    pid, (lead_id,) = _assigned_item(app, world, lead="health")
    health = make_client()
    health.login("health_clerk")
    assert health.post_form(f"/assignments/{lead_id}/actions/accept").status_code == 302

    todo = health.get("/").get_data(as_text=True)
    row = todo.split("<tbody>")[1].split("</tr>")[0]
    assert "待指定承办人" in row and ">指定承办人</a>" in row and "分办" not in todo
    page = health.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "指定承办人后开始撰写答复。" in page and "分办" not in page
    page = health.get(f"/assignments/{lead_id}/actions/dispatch").get_data(as_text=True)
    assert "<h1 class=\"h5\">指定承办人：" in page and "分办" not in page
    response = health.post_form(f"/assignments/{lead_id}/actions/dispatch", {
        "section_id": world.health_section, "drafter_id": world.health_drafter},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "「指定承办人」已完成。" in page
    timeline = page.split("办理过程")[1]
    assert "<strong>指定承办人</strong>" in timeline and "分办" not in timeline
