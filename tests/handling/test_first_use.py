"""What a clerk trying the handling pages for the first time sees: errors beside their
fields, once; the 交办 page of an item that already has units; the to-do list."""
from __future__ import annotations

from tests import factories
from tests.support.handling import world_rows
from tracker.extensions import db


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

    # An item without units keeps the plain 交办.
    page = clerk.get(f"/proposals/{fresh_id}").get_data(as_text=True)
    buttons = page.split('<div class="ms-auto actions">')[1].split("</div>")[0]
    assert ">交办</a>" in buttons and "追加交办单位" not in page
    page = clerk.get(f"/proposals/{fresh_id}/actions/assign").get_data(as_text=True)
    assert "<h1 class=\"h5\">交办：" in page and "已交办单位" not in page
