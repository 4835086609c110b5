"""并案 through the pages and the API: the form's refusals next to the field, the group on
the items' pages, split, and who sees what."""
from __future__ import annotations

from types import SimpleNamespace

from tests import factories
from tests.support.handling import world_rows
from tracker.extensions import db
from tracker.proposals.models import Proposal


def _items(app, world):
    with app.test_request_context():
        w = world_rows(world)
        lead = factories.make_proposal(w.clerk, w.meeting, number="212")
        same = factories.make_proposal(w.clerk, w.meeting, number="0040",
                                       title="关于充实乡镇卫生院医务人员的建议",
                                       authors=[{"name": "王芳"}])
        other = factories.make_proposal(w.clerk, w.cppcc, number="7",
                                        title="关于基层医疗卫生人才培养的提案",
                                        authors=[{"name": "陈明"}])
        assigned = factories.make_proposal(w.clerk, w.meeting, number="300")
        factories.assign(assigned, w.clerk, lead=w.edu)
        ids = SimpleNamespace(lead=lead.id, same=same.id, other=other.id,
                              cppcc=w.cppcc.id, meeting=w.meeting.id)
        db.session.commit()
        return ids


def test_the_clerk_joins_on_the_lead_page_and_splits_again(app, world, make_client):
    ids = _items(app, world)
    clerk = make_client()
    clerk.login("clerk")
    page = clerk.get(f"/proposals/{ids.lead}").get_data(as_text=True)
    assert f"/proposals/{ids.lead}/join" in page

    # Bad input: the reasons next to the field, nothing joined.
    response = clerk.post_form(f"/proposals/{ids.lead}/join",
                               {"meeting_id": ids.meeting, "numbers": "0040、212、300、999"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "不能把事项并入它自己" in html and "已单独交办给省教育厅" in html
    assert "没有第999号事项" in html and "invalid-feedback" in html
    with app.app_context():
        assert db.session.get(Proposal, ids.same).merged_into_id is None

    response = clerk.post_form(f"/proposals/{ids.lead}/join",
                               {"meeting_id": ids.meeting, "numbers": "第0040号"})
    assert response.status_code == 302
    response = clerk.post_form(f"/proposals/{ids.lead}/join",
                               {"meeting_id": ids.cppcc, "numbers": "7"})
    assert response.status_code == 302
    page = clerk.get(f"/proposals/{ids.lead}").get_data(as_text=True)
    assert "关于充实乡镇卫生院医务人员的建议" in page and "关于基层医疗卫生人才培养的提案" in page
    assert "王芳" in page and "陈明" in page
    member_page = clerk.get(f"/proposals/{ids.same}").get_data(as_text=True)
    assert "本事项已并入" in member_page and "拆分" in member_page
    # Its 承办单位: its lead's (the lead is not assigned yet), not 尚未交办.
    assert "随并案主办事项第212号办理（主办事项尚未交办）" in member_page
    assert "尚未交办。" not in member_page
    assert "并案" in member_page  # the timeline's event

    # A member cannot lead a group of its own.
    response = clerk.get(f"/proposals/{ids.same}/join")
    assert response.status_code == 409 and "不能作为并案主办事项" in response.get_data(as_text=True)

    response = clerk.post_form(f"/proposals/{ids.other}/split")
    assert response.status_code == 302
    with app.app_context():
        other = db.session.get(Proposal, ids.other)
        assert other.merged_into_id is None and other.state == "registered"
    assert "拆分并案" in clerk.get(f"/proposals/{ids.other}").get_data(as_text=True)


def test_units_see_the_group_through_the_lead_and_the_api_lists_it(app, world, make_client,
                                                                   api, tokens):
    ids = _items(app, world)
    with app.test_request_context():
        w = world_rows(world)
        from tracker.merging import operations as merging

        lead = db.session.get(Proposal, ids.lead)
        merging.join_items(lead, [db.session.get(Proposal, ids.same)], w.clerk)
        factories.assign(lead, w.clerk, lead=w.health)
        db.session.commit()
    health = make_client()
    health.login("health_clerk")
    assert health.get(f"/proposals/{ids.same}").status_code == 200
    assert "关于充实乡镇卫生院医务人员的建议" in health.get("/proposals").get_data(as_text=True)
    assert "拆分" not in health.get(f"/proposals/{ids.same}").get_data(as_text=True)
    assert health.get(f"/proposals/{ids.lead}/join").status_code == 403
    detail = api.get(f"/proposals/{ids.lead}", tokens.health_clerk, expect=200).get_json()
    assert [(m["id"], m["number"]) for m in detail["members"]] == [(ids.same, "0040")]
    member = api.get(f"/proposals/{ids.same}", tokens.health_clerk, expect=200).get_json()
    assert member["merged_into"]["id"] == ids.lead and member["state"] == "assigned"

    edu = make_client()
    edu.login("edu_clerk")
    assert edu.get(f"/proposals/{ids.same}").status_code == 404
    api.get(f"/proposals/{ids.same}", tokens.edu_clerk, expect=404)
    assert "关于充实乡镇卫生院医务人员的建议" not in edu.get("/proposals").get_data(as_text=True)
