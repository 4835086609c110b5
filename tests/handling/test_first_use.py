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
