"""The notification settings page: channels per kind, the digest, SMS quiet hours; and what
the settings change in the delivery of the next notice."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests import factories
from tracker.accounts.models import User
from tracker.extensions import db
from tracker.notifications.choices import NotificationKind
from tracker.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
)
from tracker.notifications.operations import notify_people
from tracker.proposals.models import Meeting


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, name
    return "checked" in tag.group(0)


def _form(**changes) -> dict:
    """The page's form as the defaults leave it (every e-mail box, SMS for three kinds)."""
    data = {f"email_{k.value}": "y" for k in NotificationKind}
    data.update({f"sms_{k}": "y" for k in ("assigned", "urge", "overdue")})
    data.update(quiet_from="22:00", quiet_until="07:00")
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_the_defaults_and_what_is_missing(client, world):
    client.login("health_clerk")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "通知设置" in page and "站内通知始终保留" in page
    assert page.count('type="checkbox"') == 2 * len(NotificationKind) + 1  # + the digest
    assert _checked(page, "email_to_review") and _checked(page, "email_urge")
    assert _checked(page, "sms_urge") and _checked(page, "sms_assigned")
    assert not _checked(page, "sms_to_review") and not _checked(page, "digest")
    assert "您未填写有效的手机号码，不会收到短信" in page  # the world's clerk has no mobile
    assert "本系统未配置短信网关，不发送短信" in page  # the tests configure none


def test_saving_changes_the_channels_and_the_delivery(app, client, world):
    client.login("health_first")
    response = client.post_form("/notifications/settings", _form(
        email_to_review=None, sms_to_review="y", digest=None, quiet_from="21:30",
        quiet_until="06:45"))
    assert response.status_code == 302
    with app.app_context():
        user = _user("health_first")
        row = db.session.scalar(select(NotificationPreference).where(
            NotificationPreference.user_id == user.id,
            NotificationPreference.kind == NotificationKind.to_review))
        assert (row.email, row.sms) == (False, True)
        settings = db.session.get(NotificationSettings, user.id)
        assert (settings.digest, settings.quiet_from, settings.quiet_until) == (
            False, "21:30", "06:45")
        db.session.remove()
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="21:30"' in page and "通知设置已保存" in page
    assert not _checked(page, "email_to_review") and _checked(page, "sms_to_review")

    # A notice of that kind: in the list, but no e-mail.
    with app.test_request_context():
        user = _user("health_first")
        user.email = "first@health.example"
        proposal = factories.make_proposal(_user("clerk"), db.session.get(Meeting, world.meeting))
        notify_people([user], NotificationKind.to_review, "请初审答复稿", key="t",
                      proposal_id=None, subject="待审核")
        notify_people([user], NotificationKind.draft_returned, "退回修改", key="t2",
                      subject="退回修改")
        db.session.commit()
        kinds = db.session.scalars(select(Notification.kind).where(
            Notification.user_id == user.id)).all()
        assert sorted(kinds) == ["draft_returned", "to_review"]
        subjects = db.session.scalars(select(OutboxMessage.subject)).all()
        assert subjects == ["【建议提案办理系统】退回修改"]
        assert proposal.id


def test_the_digest_holds_the_mail_for_the_day(app, client, world):
    from tracker.notifications.digest import write_digests

    client.login("health_drafter")
    assert client.post_form("/notifications/settings", _form(digest="y")).status_code == 302
    with app.test_request_context():
        user = _user("health_drafter")
        user.email = "drafter@health.example"
        notify_people([user], NotificationKind.dispatched, "第1号已交由您承办", key="a")
        notify_people([user], NotificationKind.draft_returned, "第2号退回修改", key="b")
        db.session.commit()
        assert db.session.scalars(select(OutboxMessage)).all() == []
        assert write_digests() == 1
        db.session.commit()
        [digest] = db.session.scalars(select(OutboxMessage)).all()
        assert digest.kind == "digest" and digest.recipient == "drafter@health.example"
        assert "每日通知汇总（2 条）" in digest.subject
        assert "第1号已交由您承办" in digest.body and "第2号退回修改" in digest.body
        assert write_digests() == 0  # sent once


def test_a_bad_time_is_refused_next_to_its_field_and_nothing_is_saved(app, client, world):
    client.login("health_clerk")
    response = client.post_form("/notifications/settings", _form(
        quiet_from="25:00", email_assigned=None))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请按“时:分”填写，如 22:00。" in page
    assert page.index("请按“时:分”填写") > page.index('name="quiet_from"')
    with app.app_context():
        user = _user("health_clerk")
        assert db.session.scalars(select(NotificationPreference).where(
            NotificationPreference.user_id == user.id)).all() == []
        assert db.session.get(NotificationSettings, user.id) is None
        db.session.remove()
