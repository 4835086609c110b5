"""How a notification reaches its person besides the in-app list: the channels they chose
for its kind (e-mail on for every kind, SMS for new work, urging and overdue warnings unless
changed), e-mail once a day in a digest if they asked for it, and no SMS in their quiet hours
(it waits for the morning). Everything is written as outbox rows in the caller's transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select, update

from tracker.accounts.models import User
from tracker.core.time import CST, utcnow
from tracker.extensions import db
from tracker.notifications import sms
from tracker.notifications.choices import SMS_BY_DEFAULT, Channel, NotificationKind
from tracker.notifications.models import (
    Notification,
    NotificationPreference,
    NotificationSettings,
    OutboxMessage,
)

SUBJECT_PREFIX = "【建议提案办理系统】"
MOBILE = re.compile(r"1[3-9]\d{9}")


@dataclass(frozen=True)
class Choice:
    email: bool
    sms: bool


def default_choice(kind: NotificationKind) -> Choice:
    return Choice(email=True, sms=kind in SMS_BY_DEFAULT)


def choices_for(user: User) -> dict[NotificationKind, Choice]:
    """The user's channels for every kind (their own rows over the defaults)."""
    chosen = {kind: default_choice(kind) for kind in NotificationKind}
    for row in db.session.scalars(select(NotificationPreference).where(
            NotificationPreference.user_id == user.id)):
        chosen[NotificationKind(row.kind)] = Choice(email=row.email, sms=row.sms)
    return chosen


def settings_for(user: User) -> NotificationSettings:
    """The user's delivery settings (the defaults, unsaved, when they never changed them)."""
    found = db.session.get(NotificationSettings, user.id)
    return found or NotificationSettings(user_id=user.id, digest=False, quiet_from="22:00",
                                         quiet_until="07:00")


def mobile_number(phone: str) -> str | None:
    """The 11-digit mobile number in a phone field (spaces, dashes and +86 allowed), or None
    (a landline takes no SMS)."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    return digits if MOBILE.fullmatch(digits) else None


def _clock(text: str) -> time:
    hour, _, minute = (text or "00:00").partition(":")
    return time(int(hour), int(minute or 0))


def quiet_until(settings: NotificationSettings, now: datetime) -> datetime | None:
    """When now (naive UTC) falls in the quiet hours, their end (naive UTC); else None."""
    start, end = _clock(settings.quiet_from), _clock(settings.quiet_until)
    if start == end:
        return None
    local = now.replace(tzinfo=UTC).astimezone(CST)
    clock = local.time().replace(tzinfo=None)
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC).replace(tzinfo=None)


def send(user: User, kinds: set[NotificationKind], *, subject: str, body: str, sms_text: str,
         notification_ids: list[int], choices: dict | None = None) -> None:
    """Send one message about these notifications by the user's channels for their kinds:
    an e-mail (or, with the digest, a mark on the notifications for the day's digest) and
    an SMS (after the quiet hours)."""
    choices = choices or choices_for(user)
    wanted = [choices[kind] for kind in kinds]
    settings = settings_for(user)
    if user.email and any(c.email for c in wanted):
        if settings.digest:
            db.session.execute(
                update(Notification).where(Notification.id.in_(notification_ids))
                .values(digest_pending=True).execution_options(synchronize_session=False))
        else:
            db.session.add(OutboxMessage(
                kind="notice", channel=Channel.email, recipient=user.email, user_id=user.id,
                subject=(SUBJECT_PREFIX + subject)[:200], body=body))
    phone = mobile_number(user.phone)
    if phone and sms.configured() and any(c.sms for c in wanted):
        now = utcnow()
        signature = str(current_app.config.get("SMS_SIGNATURE", ""))
        db.session.add(OutboxMessage(
            kind="notice", channel=Channel.sms, recipient=phone, user_id=user.id,
            subject=subject[:200], body=f"{signature}{sms_text}"[:300],
            next_attempt_at=quiet_until(settings, now) or now))
    db.session.flush()
