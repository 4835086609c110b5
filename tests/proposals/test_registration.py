"""Meetings and item registration, through the operations and the pages."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.accounts.models import User
from tracker.core.errors import PermissionDenied, ValidationFailed
from tracker.extensions import db
from tracker.proposals import operations
from tracker.proposals.models import Body, ItemKind, Meeting, Proposal


@pytest.mark.parametrize("region,body,term,session,expected", [
    ("省", Body.npc, 14, 3, "省十四届人大三次会议"),
    ("白城市", Body.cppcc, 8, 5, "白城市政协八届五次会议"),
    ("省", Body.cppcc, 13, 3, "省政协十三届三次会议"),
    ("长春市", Body.npc, 20, 1, "长春市二十届人大一次会议"),
])
def test_meeting_names_follow_the_usual_form(region, body, term, session, expected):
    assert operations.meeting_name(region, body, term, session) == expected


def test_kind_follows_the_meeting(ctx, world):
    from tracker.accounts.models import User

    clerk = db.session.get(User, world.clerk)
    cppcc = db.session.get(Meeting, world.cppcc)
    proposal = factories.make_proposal(clerk, cppcc, number="0040")
    assert proposal.kind == ItemKind.proposal
    with pytest.raises(ValidationFailed) as err:
        factories.make_proposal(clerk, cppcc, number="0041", kind=ItemKind.suggestion)
    assert err.value.errors["kind"] == ["「省政协十三届三次会议」只能登记委员提案。"]


def test_only_the_supervising_clerk_registers(ctx, world):
    from tracker.accounts.models import User

    with pytest.raises(PermissionDenied):
        factories.make_proposal(db.session.get(User, world.health_clerk),
                                db.session.get(Meeting, world.meeting))


def test_same_number_in_another_meeting_is_fine(ctx, world):
    from tracker.accounts.models import User

    clerk = db.session.get(User, world.clerk)
    factories.make_proposal(clerk, db.session.get(Meeting, world.meeting), number="7")
    factories.make_proposal(clerk, db.session.get(Meeting, world.cppcc), number="7")
    assert db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.number == "7")) == 2


def test_authors_keep_their_order_and_the_first_leads(ctx, world):
    from tracker.accounts.models import User

    proposal = factories.make_proposal(
        db.session.get(User, world.clerk), db.session.get(Meeting, world.meeting),
        authors=[{"name": "陈明"}, {"name": ""}, {"name": "周红", "phone": "13800000000"}])
    assert [(a.position, a.name, a.is_lead) for a in proposal.authors] == [
        (0, "陈明", True), (1, "周红", False)]


def test_meeting_pages(app, client, world):
    client.login("clerk")
    response = client.post_form("/meetings/new", {
        "level": "city", "body": "cppcc", "region": "白城市", "term": 8, "session": 5,
        "year": 2026, "reply_period_months": 3, "co_period_months": 1})
    assert response.status_code == 302
    listing = client.get("/meetings").get_data(as_text=True)
    assert "白城市政协八届五次会议" in listing
    duplicate = client.post_form("/meetings/new", {
        "level": "city", "body": "cppcc", "region": "白城市", "term": 8, "session": 5,
        "year": 2026, "reply_period_months": 3, "co_period_months": 1})
    assert duplicate.status_code == 422
    assert "已有名为「白城市政协八届五次会议」的会议" in duplicate.get_data(as_text=True)
    bad = client.post_form("/meetings/new", {
        "level": "city", "body": "npc", "region": "", "term": 0, "session": 5,
        "year": 2026, "reply_period_months": 30, "co_period_months": 1})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "届次应在 1 到 99 之间" in page and "答复期限应在 1 到 12 个月之间" in page
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.region == "白城市"))
        mid = meeting.id
    edit = client.post_form(f"/meetings/{mid}/edit", {
        "name": "白城市政协第八届委员会第五次会议", "reply_period_months": 2,
        "co_period_months": 1})
    assert edit.status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, mid)
        assert (meeting.name, meeting.reply_period_months, meeting.term) == (
            "白城市政协第八届委员会第五次会议", 2, 8)


def test_unit_users_cannot_create_meetings(client, world):
    client.login("health_clerk")
    assert client.get("/meetings/new").status_code == 403
    assert client.post_form("/meetings/new", {"region": "省"}).status_code == 403


def test_list_filters_and_search(app, client, world):
    from tracker.accounts.models import Unit, User

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        meeting = db.session.get(Meeting, world.meeting)
        a = factories.make_proposal(clerk, meeting, number="11", title="关于乡村医生的建议",
                                    is_key=True)
        factories.make_proposal(clerk, meeting, number="12", title="关于城市交通的建议")
        factories.assign(a, clerk, lead=db.session.get(Unit, world.health))
        db.session.commit()
    client.login("clerk")
    page = client.get("/proposals?q=乡村").get_data(as_text=True)
    assert "关于<mark>乡村</mark>医生的建议" in page and "关于城市交通的建议" not in page
    page = client.get("/proposals?key=1").get_data(as_text=True)
    assert "关于乡村医生的建议" in page and "关于城市交通的建议" not in page
    page = client.get(f"/proposals?unit={world.health}").get_data(as_text=True)
    assert "关于乡村医生的建议" in page and "关于城市交通的建议" not in page
    page = client.get("/proposals?state=registered").get_data(as_text=True)
    assert "关于城市交通的建议" in page and "关于乡村医生的建议" not in page
    page = client.get("/proposals?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert "没有符合条件的建议提案" in page


def test_pagination(app, client, world):
    from tracker.accounts.models import User

    app.config["ITEMS_PER_PAGE"] = 5
    try:
        with app.test_request_context():
            clerk = db.session.get(User, world.clerk)
            meeting = db.session.get(Meeting, world.meeting)
            for i in range(12):
                factories.make_proposal(clerk, meeting, number=f"P{i:02d}", title=f"分页测试{i:02d}")
            db.session.commit()
        client.login("clerk")
        first = client.get("/proposals").get_data(as_text=True)
        third = client.get("/proposals?page=3").get_data(as_text=True)
        assert first.count("分页测试") == 5 and third.count("分页测试") == 2
        assert "共 12 件" in first
        assert client.get("/proposals?page=99").status_code == 200
    finally:
        app.config["ITEMS_PER_PAGE"] = 30


def test_clerk_corrects_a_registration(app, client, world):
    from tracker.accounts.models import User
    from tracker.audit.models import AuditEvent

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        meeting = db.session.get(Meeting, world.meeting)
        factories.make_proposal(clerk, meeting, number="31")
        p = factories.make_proposal(clerk, meeting, number="30", title="关于错别子的建议")
        db.session.commit()
        pid = p.id
    client.login("clerk")
    form = client.get(f"/proposals/{pid}/edit").get_data(as_text=True)
    assert "关于错别子的建议" in form and 'value="李华"' in form
    base = {"number": "30", "title": "关于错别字的建议", "disclosure": "public",
            "received_on": factories.past(3).isoformat(),
            "authors-0-name": "李华", "authors-1-name": "王芳"}
    clash = client.post_form(f"/proposals/{pid}/edit", dict(base, number="31"))
    assert clash.status_code == 422 and "已有第31号" in clash.get_data(as_text=True)
    assert client.post_form(f"/proposals/{pid}/edit", base).status_code == 302
    with app.app_context():
        p = db.session.get(Proposal, pid)
        assert p.title == "关于错别字的建议" and [a.name for a in p.authors] == ["李华", "王芳"]
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "update_proposal", AuditEvent.proposal_id == pid)).one()
        assert '"title"' in event.details and '"authors"' in event.details


def test_units_cannot_edit_registrations(app, client, world):
    from tracker.accounts.models import Unit, User

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        p = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting), number="32")
        factories.assign(p, clerk, lead=db.session.get(Unit, world.health))
        db.session.commit()
        pid = p.id
    client.login("health_clerk")
    assert client.get(f"/proposals/{pid}/edit").status_code == 403
    assert client.post_form(f"/proposals/{pid}/edit", {"title": "x"}).status_code == 403


def test_control_characters_are_dropped_from_page_input(app, client, world):
    client.login("clerk")
    response = client.post_form("/proposals/new", {
        "meeting_id": world.meeting, "number": "900", "title": "关于\x00控制\x07字符的建议",
        "disclosure": "public", "received_on": factories.past(1).isoformat(),
        "authors-0-name": "李\x00华"})
    assert response.status_code == 302
    with app.app_context():
        p = db.session.scalar(select(Proposal).where(Proposal.number == "900"))
        assert p.title == "关于控制字符的建议" and p.authors[0].name == "李华"


def test_wrong_method_names_the_allowed_ones(client, world):
    client.login("clerk")
    response = client.put("/proposals/new")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_received_date_outside_the_meetings_years_is_refused_next_to_the_field(
        app, client, world):
    with app.app_context():
        year = db.session.get(Meeting, world.meeting).year
    client.login("clerk")
    response = client.post_form("/proposals/new", {
        "meeting_id": world.meeting, "number": "77", "title": "关于老日期的建议",
        "disclosure": "public", "received_on": "1901-01-01", "authors-0-name": "李华"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = f"即 {year - 1} 年至 {year + 1} 年之间。"
    assert message in page
    # Next to the field: the message sits after the received-date input, before the next one.
    field = page.index('name="received_on"')
    assert field < page.index(message, field) < page.index('name="authors-0-name"')
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_a_received_date_outside_the_meetings_years_is_refused_on_correction(ctx, world):
    from datetime import date

    clerk = db.session.get(User, world.clerk)
    p = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting), number="78")
    with pytest.raises(ValidationFailed) as err:
        operations.update_proposal(clerk, p, authors=[{"name": "李华"}], number="78",
                                   title=p.title, body="", category="", is_key=False,
                                   disclosure=p.disclosure, received_on=date(1901, 1, 1))
    assert "received_on" in err.value.errors
    assert p.received_on != date(1901, 1, 1)
