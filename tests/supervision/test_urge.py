"""催办 and the 督办函: who is told, what is stored, the timeline, the dashboard, the PDF."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.support.handling import bring_to, world_rows
from tests.support.security import sign_in
from tests.support.urging import overdue, pdf_text, urged_people
from tracker.accounts.models import User
from tracker.audit.models import AuditEvent
from tracker.core.errors import PermissionDenied, ValidationFailed
from tracker.extensions import db
from tracker.notifications.models import Notification
from tracker.supervision import operations, stats
from tracker.supervision.models import Urge
from tracker.supervision.urge_letter import render_urge_letter


@pytest.fixture
def w(ctx, world):
    return world_rows(world)


def test_urging_one_assignment_tells_the_clerk_leader_and_drafter_only(w):
    assignment = bring_to(w, "drafting")
    other = bring_to(w, "drafting", role="co")  # hr's: hr hears nothing of health's urge
    urge = operations.urge_assignment(assignment, w.clerk, "  请抓紧办理，按期答复。 ")
    assert urge.message == "请抓紧办理，按期答复。"
    assert (urge.unit_id, urge.proposal_id, urge.urged_by_id, urge.batch_id) == (
        w.health.id, assignment.proposal_id, w.clerk.id, None)
    assert urged_people() == ["health_clerk", "health_drafter", "health_leader"]
    notes = db.session.scalars(select(Notification).where(Notification.kind == "urge")).all()
    assert {n.assignment_id for n in notes} == {assignment.id}
    text = notes[0].text
    assert f"第{assignment.proposal.number}号" in text and "省卫生健康委员会" in text
    assert assignment.due_on.isoformat() in text and "请抓紧办理，按期答复。" in text
    assert not db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.assignment_id == other.id, Notification.kind == "urge"))


def test_an_assignment_without_drafter_tells_the_clerk_and_leader(w):
    assignment = bring_to(w, "accepted")
    operations.urge_assignment(assignment, w.clerk, "请尽快指定承办人。")
    assert urged_people() == ["health_clerk", "health_leader"]


def test_only_supervisors_urge_and_only_running_assignments(w):
    assignment = bring_to(w, "drafting")
    with pytest.raises(PermissionDenied):
        operations.urge_assignment(assignment, w.health_clerk, "请抓紧办理。")
    replied = bring_to(w, "replied")
    with pytest.raises(PermissionDenied):
        operations.urge_assignment(replied, w.clerk, "请抓紧办理。")
    with pytest.raises(ValidationFailed):
        operations.urge_assignment(assignment, w.clerk, "   ")
    assert db.session.scalar(select(func.count()).select_from(Urge)) == 0


def test_batch_urge_covers_the_units_overdue_assignments_only(w):
    late1, late2 = overdue(w, days=10), overdue(w, "accepted", days=3)
    bring_to(w, "drafting")  # health's, not overdue
    hr_late = overdue(w, role="co")  # hr's
    urges = operations.urge_unit(w.health, w.clerk, "请于本周内答复。")
    assert [u.assignment_id for u in urges] == [late1.id, late2.id]  # earliest deadline first
    assert {u.batch_id for u in urges} == {urges[0].id}
    assert hr_late.id not in {u.assignment_id for u in urges}
    # One notice per person for the whole batch, listing their items (the drafter's one).
    assert urged_people() == ["health_clerk", "health_drafter", "health_leader"]
    texts = dict(db.session.execute(select(User.username, Notification.text).join(
        Notification, Notification.user_id == User.id).where(Notification.kind == "urge")).all())
    numbers = [f"第{a.proposal.number}号" for a in (late1, late2)]
    assert "超期未办的建议提案" + "、".join(numbers) + "共 2 件" in texts["health_clerk"]
    assert "请于本周内答复。" in texts["health_leader"]
    drafted = [n for n, a in zip(numbers, (late1, late2)) if a.drafter_id == w.health_drafter.id]
    assert all(n in texts["health_drafter"] for n in drafted)
    assert operations.urges_of_letter(urges[1]) == urges
    with pytest.raises(ValidationFailed):
        operations.urge_unit(w.edu, w.clerk, "请抓紧办理。")


def test_the_dashboard_counts_urges_per_unit_in_scope(w):
    a = overdue(w)
    operations.urge_assignment(a, w.clerk, "第一次催办。")
    operations.urge_assignment(a, w.clerk, "第二次催办。")
    hr = overdue(w, role="co")
    operations.urge_assignment(hr, w.clerk, "请提交会办意见。")
    figures = {f.unit_name: f.urged for f in stats.unit_figures(stats.Scope())}
    assert figures["省卫生健康委员会"] == 2 and figures["省人力资源和社会保障厅"] == 1
    assert figures["省教育厅"] == 0
    other_meeting = {f.unit_name: f.urged for f in stats.unit_figures(
        stats.Scope(meeting_id=w.cppcc.id))}
    assert set(other_meeting.values()) == {0}


def test_the_urge_letter_lists_the_items_and_the_message(w):
    late1, late2 = overdue(w, days=10), overdue(w, days=4)
    urges = operations.urge_unit(w.health, w.clerk, "请于本周内答复。")
    text = re.sub(r"\s+", "", pdf_text(render_urge_letter(urges[1])))
    assert "督办函" in text and "省卫生健康委员会：" in text
    for a in (late1, late2):
        assert f"第{a.proposal.number}号" in text
    assert "请于本周内答复。" in text and "10天" in text and "4天" in text
    assert "省政府办公厅" in text


# --- through the pages --------------------------------------------------------------------

def _client(app, username):
    from tests.support.base import Client

    app.test_client_class = Client
    client = app.test_client()
    sign_in(app, client, username)
    return client


def test_the_item_page_form_urges_and_the_timeline_shows_it(app, world):
    with app.test_request_context():
        w = world_rows(world)
        assignment = bring_to(w, "drafting")
        ids = (assignment.id, assignment.proposal_id)
        db.session.commit()
    clerk = _client(app, "clerk")
    page = clerk.get(f"/proposals/{ids[1]}").get_data(as_text=True)
    assert f'action="/supervision/assignments/{ids[0]}/urge"' in page
    assert "请抓紧办理，按期答复。" in page
    response = clerk.post(f"/supervision/assignments/{ids[0]}/urge",
                          data={"message": "请本周内提交答复稿。", "csrf_token": clerk.token})
    assert response.status_code == 302
    for username in ("clerk", "health_clerk"):
        html = _client(app, username).get(f"/proposals/{ids[1]}").get_data(as_text=True)
        timeline = html.split("办理过程", 1)[1]
        assert "<strong>催办</strong>" in timeline and "请本周内提交答复稿。" in timeline
        assert "督办函" in timeline
    # a unit's own users see no urge form
    assert "urge-form" not in _client(app, "health_clerk").get(
        f"/proposals/{ids[1]}").get_data(as_text=True)


def test_an_empty_message_is_refused_next_to_the_field(app, world):
    with app.test_request_context():
        assignment = bring_to(world_rows(world), "drafting")
        assignment_id = assignment.id
        db.session.commit()
    clerk = _client(app, "clerk")
    response = clerk.post(f"/supervision/assignments/{assignment_id}/urge",
                          data={"message": "  ", "csrf_token": clerk.token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'invalid-feedback[^>]*>\s*请填写催办意见。', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Urge)) == 0
        assert not db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "urge"))


def test_non_supervisors_get_403(app, world):
    with app.test_request_context():
        assignment = overdue(world_rows(world))
        assignment_id = assignment.id
        db.session.commit()
    for username in ("health_clerk", "health_leader", "edu_clerk"):
        client = _client(app, username)
        for url in (f"/supervision/assignments/{assignment_id}/urge",
                    f"/supervision/units/{world.health}/urge"):
            assert client.post(url, data={"message": "催办", "csrf_token": client.token}
                               ).status_code == 403, (username, url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Urge)) == 0


def test_batch_urge_page_dashboard_and_letter_download(app, world):
    with app.test_request_context():
        w = world_rows(world)
        late = overdue(w, days=6)
        number = late.proposal.number
        db.session.commit()
    clerk = _client(app, "clerk")
    board = clerk.get("/supervision/").get_data(as_text=True)
    assert f'href="/supervision/units/{world.health}/urge"' in board
    url = f"/supervision/units/{world.health}/urge"
    assert f"第{number}号" in clerk.get(url).get_data(as_text=True)
    response = clerk.post(url, data={"message": "请于本周内答复。", "csrf_token": clerk.token})
    assert response.status_code == 302
    page = clerk.get(url).get_data(as_text=True)
    letter = re.search(r'href="(/supervision/urges/\d+/letter\.pdf)"', page).group(1)
    board = clerk.get("/supervision/").get_data(as_text=True)
    assert "催办次数" in board
    for username, status in (("clerk", 200), ("health_drafter", 200), ("edu_clerk", 404)):
        response = _client(app, username).get(letter)
        assert response.status_code == status, username
    text = pdf_text(_client(app, "health_clerk").get(letter).get_data())
    assert f"第{number}号" in text and "省卫生健康委员会" in text
