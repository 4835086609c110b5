"""Dates a clerk types that cannot be right: a co-handling deadline after the lead's reply
deadline, a contact before the unit was given the item or in the future. Refused with the
message next to the field, on the pages and in the API, and nothing saved."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.accounts.models import Unit, User
from tracker.core.errors import ValidationFailed
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations
from tracker.handling.models import Assignment, Contact, ContactMethod, ContactStage
from tracker.proposals.models import Meeting


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_co_deadline_after_the_lead_deadline_is_refused(w):
    proposal = factories.make_proposal(w.clerk, w.meeting)
    due, co_due = today() + timedelta(days=30), today() + timedelta(days=40)
    with pytest.raises(ValidationFailed) as err:
        factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr], due_on=due,
                         co_due_on=co_due)
    assert err.value.errors == {"co_due_on": [
        f"会办期限（{co_due.isoformat()}）不能晚于主办单位的办理期限（{due.isoformat()}）："
        "会办意见须在主办单位答复之前送达。"]}
    assert _count(Assignment) == 0
    # The same day as the lead's is fine.
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr], due_on=due,
                                co_due_on=due)
    assert (lead.due_on, co.due_on) == (due, due)


def test_a_co_unit_added_later_may_not_pass_the_leads_deadline(w):
    proposal = factories.make_proposal(w.clerk, w.meeting)
    due = today() + timedelta(days=10)
    (lead,) = factories.assign(proposal, w.clerk, lead=w.health, due_on=due)
    # The meeting's one month for 会办 would end after the lead's ten days.
    with pytest.raises(ValidationFailed) as err:
        factories.assign(proposal, w.clerk, co=[w.hr])
    assert list(err.value.errors) == ["co_due_on"]
    assert f"请指定不晚于 {due.isoformat()} 的会办期限" in err.value.errors["co_due_on"][0]
    with pytest.raises(ValidationFailed) as err:
        factories.assign(proposal, w.clerk, co=[w.hr], co_due_on=due + timedelta(days=1))
    assert list(err.value.errors) == ["co_due_on"]
    assert _count(Assignment) == 1
    (co,) = factories.assign(proposal, w.clerk, co=[w.hr], co_due_on=due - timedelta(days=2))
    assert co.due_on == due - timedelta(days=2)


def test_the_assign_page_shows_the_co_deadline_error_next_to_its_field(app, client, world):
    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        pid = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting)).id
        db.session.commit()
    client.login("clerk")
    due, co_due = today() + timedelta(days=30), today() + timedelta(days=40)
    response = client.post_form(f"/proposals/{pid}/actions/assign", {
        "lead_unit_id": world.health, "co_unit_ids": [world.hr],
        "due_on": due.isoformat(), "co_due_on": co_due.isoformat()})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    message = "不能晚于主办单位的办理期限"
    field = page.index('name="co_due_on"')
    assert field < page.index(message, field) < page.index('name="note"')
    with app.app_context():
        assert _count(Assignment) == 0


def test_a_contact_before_the_assignment_or_in_the_future_is_refused(w):
    proposal = factories.make_proposal(w.clerk, w.meeting)  # received three days ago
    (lead,) = factories.assign(proposal, w.clerk, lead=w.health)
    operations.accept_assignment(lead, w.health_clerk)
    for day, message in (
        (today() - timedelta(days=1), f"联系日期不能早于本单位的交办日期（{today().isoformat()}）。"),
        (today() + timedelta(days=1), "联系日期不能晚于今天。"),
    ):
        with pytest.raises(ValidationFailed) as err:
            operations.record_contact(lead, w.health_clerk, stage=ContactStage.before,
                                      method=ContactMethod.phone, contacted_on=day,
                                      summary="电话沟通")
        assert err.value.errors == {"contacted_on": [message]}
    assert _count(Contact) == 0
    operations.record_contact(lead, w.health_clerk, stage=ContactStage.before,
                              method=ContactMethod.phone, contacted_on=today(),
                              summary="电话沟通")
    assert _count(Contact) == 1


def test_the_contact_page_refuses_a_date_before_the_assignment(app, client, world):
    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        proposal = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting))
        (lead,) = factories.assign(proposal, clerk, lead=db.session.get(Unit, world.health))
        lead_id = lead.id
        db.session.commit()
    client.login("health_clerk")
    client.post_form(f"/assignments/{lead_id}/actions/accept")
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = client.post_form(f"/assignments/{lead_id}/actions/record_contact", {
        "stage": "before", "method": "phone", "contacted_on": yesterday, "summary": "电话沟通"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    field = page.index('name="contacted_on"')
    assert field < page.index("联系日期不能早于本单位的交办日期", field) < page.index('name="summary"')
    with app.app_context():
        assert _count(Contact) == 0
