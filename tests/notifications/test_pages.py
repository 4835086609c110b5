"""The notification list, the unread count in the navbar, marking read; one's own only."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select, update

from tests import factories
from tracker.accounts.models import User
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.notifications.models import Notification, NotificationKind
from tracker.notifications.operations import notify
from tracker.proposals.models import Meeting


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _setup(app, world) -> dict:
    """An item, two notifications of health's clerk (older, newer) and one of hr's."""
    with app.test_request_context():
        proposal = factories.make_proposal(_user("clerk"), db.session.get(Meeting, world.meeting))
        health, hr = _user("health_clerk"), _user("hr_clerk")
        ids = {
            "proposal": proposal.id,
            "older": notify(health, NotificationKind.due_soon, "较早的通知：第1号即将到期",
                            key="t:older", proposal_id=proposal.id),
            "newer": notify(health, NotificationKind.overdue, "较新的通知：第1号已逾期",
                            key="t:newer", proposal_id=proposal.id),
            "other": notify(hr, NotificationKind.due_soon, "别人的通知", key="t:other",
                            proposal_id=proposal.id),
        }
        db.session.execute(update(Notification).where(Notification.id == ids["older"]).values(
            created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    return ids


def _badge(html: str) -> str | None:
    match = re.search(r'class="badge rounded-pill text-bg-warning unread-count">(\d+)<', html)
    return match.group(1) if match else None


def test_the_list_shows_ones_own_notifications_newest_first(app, client, world):
    ids = _setup(app, world)
    client.login("health_clerk")
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("较新的通知") < page.index("较早的通知")
    assert "别人的通知" not in page
    assert page.count("list-group-item-warning unread") == 2
    assert "未读 2" in page and _badge(page) == "2"
    # Every page shows the count; looking at the list marks nothing read.
    assert _badge(client.get("/").get_data(as_text=True)) == "2"
    with app.app_context():
        assert db.session.get(Notification, ids["newer"]).read_at is None


def test_marking_one_and_all_read(app, client, world):
    ids = _setup(app, world)
    client.login("health_clerk")
    response = client.post_form(f"/notifications/{ids['older']}/read")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications")
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) == "1" and page.count("list-group-item-warning unread") == 1
    assert re.search(rf'class="list-group-item notification read" id="notification-{ids["older"]}"',
                     page)
    # 查看事项 marks it read and opens the item.
    response = client.post_form(f"/notifications/{ids['newer']}/read", {"open": "1"})
    assert response.headers["Location"].endswith(f"/proposals/{ids['proposal']}")
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) is None and "未读 0" in page and "unread" not in page.split("<ul")[1]
    with app.app_context():
        assert db.session.get(Notification, ids["other"]).read_at is None


def test_mark_all_read_touches_only_ones_own(app, client, world):
    ids = _setup(app, world)
    client.login("health_clerk")
    response = client.post_form("/notifications/read-all", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已将 2 条通知标为已读" in page and _badge(page) is None
    with app.app_context():
        assert db.session.get(Notification, ids["older"]).read_at is not None
        assert db.session.get(Notification, ids["other"]).read_at is None


def test_another_users_notification_is_not_found(app, client, world):
    ids = _setup(app, world)
    client.login("health_clerk")
    response = client.post_form(f"/notifications/{ids['other']}/read")
    assert response.status_code == 404
    assert client.post_form("/notifications/999999/read").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, ids["other"]).read_at is None


def test_marking_read_needs_the_csrf_token_and_a_login(app, make_client, world):
    ids = _setup(app, world)
    anonymous = make_client()
    response = anonymous.post(f"/notifications/{ids['older']}/read")
    assert response.status_code in (302, 400)
    assert make_client().get("/notifications").status_code == 302
    client = make_client()
    client.login("health_clerk")
    response = client.post(f"/notifications/{ids['older']}/read")  # no token
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Notification, ids["older"]).read_at is None


def test_the_navbar_count_is_one_query(app, client, world):
    _setup(app, world)
    client.login("health_clerk")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if "notifications" in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/proposals").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and "count(" in statements[0].lower()
    # Without unread notifications the list says so; there is no badge.
    client.post_form("/notifications/read-all")
    page = client.get("/notifications").get_data(as_text=True)
    assert _badge(page) is None


def test_an_empty_list(client, world):
    client.login("edu_clerk")
    page = client.get("/notifications").get_data(as_text=True)
    assert "暂无通知" in page and _badge(page) is None
