"""The notification acceptance tests' world: the standard world on an app whose requests really
commit (`live_app`), every user with an e-mail address, a mobile number and an API token, and
the readers of what each person received in-app (the API and the navbar), by e-mail (a real
SMTP server) and by SMS (a real HTTP gateway)."""
from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from tests import factories
from tests.support.api import PREFIX, Api, SchemaChecker
from tracker.accounts.models import User
from tracker.accounts.operations import issue_token
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage
from tracker.notifications.operations import save_settings

USERS = ("admin", "clerk", "health_clerk", "health_drafter", "health_drafter2", "health_first",
         "health_second", "health_final", "health_signer", "health_leader", "hr_clerk",
         "hr_drafter", "hr_leader", "edu_clerk", "edu_drafter")
SUBJECT_PREFIX = "【建议提案办理系统】"


def address(username: str) -> str:
    return f"{username.replace('_', '.')}@tracker.example"


def mobile(index: int) -> str:
    return f"138{index:08d}"


def build(app, *, quiet: tuple[str, str] = ("00:00", "00:00")) -> SimpleNamespace:
    """The standard world; each user gets an address, a mobile number (138…), an API token and
    the given SMS quiet hours (none by default). Returns ids, addresses, phones, tokens and an
    API client checked against the OpenAPI document."""
    with app.test_request_context():
        rows = factories.build_world()
        ids = {name: row.id for name, row in rows.items()}
        phones, emails, tokens = {}, {}, {}
        for index, name in enumerate(USERS, 1):
            user: User = rows[name]
            user.email, user.phone = address(name), mobile(index)
            emails[name], phones[name] = user.email, user.phone
            save_settings(user, channels={}, digest=False, quiet_from=quiet[0],
                          quiet_until=quiet[1])
            tokens[name] = issue_token(user, "通知验收")
        db.session.commit()
    client = app.test_client()
    spec = client.get(PREFIX + "/openapi.json").get_json()
    return SimpleNamespace(app=app, ids=SimpleNamespace(**ids), emails=emails, phones=phones,
                           tokens=SimpleNamespace(**tokens), api=Api(client, SchemaChecker(spec)))


def inbox(world, username: str, *, unread: bool = False) -> dict:
    """The user's GET /api/v1/notifications (all on one page)."""
    query = "?per_page=100" + ("&unread=true" if unread else "")
    return world.api.get("/notifications" + query, getattr(world.tokens, username),
                         expect=200).get_json()


def kinds(world, username: str) -> list[str]:
    """The kinds of the user's notifications, oldest first."""
    return [n["kind"] for n in reversed(inbox(world, username)["items"])]


def all_kinds(world) -> dict[str, list[str]]:
    """{username: kinds received, oldest first} for everyone who received any."""
    found = {name: kinds(world, name) for name in USERS}
    return {name: got for name, got in found.items() if got}


def mails(world, smtp) -> dict[str, list[str]]:
    """{username: subjects of the e-mails the SMTP server received, in order} (prefix cut);
    mail to anyone else (an author's rating link) is left out."""
    by_address = {a: n for n, a in world.emails.items()}
    found: dict[str, list[str]] = {}
    for message in smtp.recorder.messages:
        name = by_address.get(message["To"])
        if name is None:
            continue
        subject = str(message["Subject"])
        assert subject.startswith(SUBJECT_PREFIX), subject
        found.setdefault(name, []).append(subject.removeprefix(SUBJECT_PREFIX))
    return found


def texts(world, gateway) -> dict[str, list[str]]:
    """{username: texts of the SMS the gateway received, in order}."""
    by_phone = {p: n for n, p in world.phones.items()}
    return {by_phone.get(phone, phone): got for phone, got in gateway.by_phone().items()}


def badge(client) -> int:
    """The unread count in the navbar of a page (0 when no badge is shown)."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'class="badge rounded-pill text-bg-warning unread-count">(\d+)<', html)
    return int(match.group(1)) if match else 0


def unsent(app) -> list[OutboxMessage]:
    """Outbox rows not sent yet (detached)."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        db.session.remove()
        return rows


def settings_form(*, email_off=(), sms_off=(), sms_on=(), digest: bool = False,
                  quiet: tuple[str, str] = ("00:00", "00:00")) -> dict:
    """The settings page's form: the default channels but for the kinds named."""
    from tracker.notifications.choices import SMS_BY_DEFAULT, NotificationKind

    data = {"quiet_from": quiet[0], "quiet_until": quiet[1]}
    if digest:
        data["digest"] = "y"
    for kind in NotificationKind:
        if kind.value not in email_off:
            data[f"email_{kind.value}"] = "y"
        if (kind in SMS_BY_DEFAULT or kind.value in sms_on) and kind.value not in sms_off:
            data[f"sms_{kind.value}"] = "y"
    return data


def save_settings_page(app, username: str, **choices) -> None:
    """The user saves their notification settings on the settings page."""
    client = app.test_client()
    assert client.login(username).status_code == 302
    response = client.post_form("/notifications/settings", settings_form(**choices))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
