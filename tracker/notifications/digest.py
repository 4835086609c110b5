"""The daily digest: one e-mail to each person who asked for it, listing the notifications
marked for it since the last one. Writing the e-mail and clearing the marks happen in one
transaction, so a digest is never sent twice nor lost."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from tracker.core.time import to_local, today
from tracker.extensions import db
from tracker.notifications.choices import Channel
from tracker.notifications.delivery import SUBJECT_PREFIX
from tracker.notifications.models import Notification, OutboxMessage

LAST_RUN = "notifications.digest_last_on"


def daily_digests() -> int:
    """The day's digests, unless they went out already today (China time)."""
    from tracker.core.models import Setting

    day = today().isoformat()
    done = db.session.get(Setting, LAST_RUN)
    if done is not None and done.value == day:
        return 0
    if done is None:
        db.session.add(Setting(key=LAST_RUN, value=day))
    else:
        done.value = day
    return write_digests()


def write_digests() -> int:
    """Write today's digests; returns how many e-mails were written (the caller commits).
    The notices are locked while read (PostgreSQL; a job's SQLite transaction holds the
    write lock): two runs at once never both write a digest of the same notices."""
    pending = db.session.scalars(
        select(Notification).where(Notification.digest_pending.is_(True))
        .options(selectinload(Notification.user))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
        .with_for_update(of=Notification, skip_locked=True)).all()
    by_user: dict[int, list[Notification]] = {}
    for notification in pending:
        by_user.setdefault(notification.user_id, []).append(notification)
    base = current_app.config["PUBLIC_BASE_URL"]
    written = 0
    for notifications in by_user.values():
        user = notifications[0].user
        if user.email and user.is_enabled:
            lines = [f"{user.full_name}：", "",
                     f"以下是您近一日的 {len(notifications)} 条通知：", ""]
            for number, n in enumerate(notifications, 1):
                when = to_local(n.created_at).strftime("%m-%d %H:%M")
                lines.append(f"{number}. 【{n.kind_label}】{when} {n.text}")
                if n.proposal_id:
                    lines.append(f"   {base}/proposals/{n.proposal_id}")
                lines.append("")
            lines.append(f"全部通知：{base}/notifications")
            db.session.add(OutboxMessage(
                kind="digest", channel=Channel.email, recipient=user.email, user_id=user.id,
                subject=f"{SUBJECT_PREFIX}每日通知汇总（{len(notifications)} 条）",
                body="\n".join(lines) + "\n"))
            written += 1
        db.session.execute(
            update(Notification).where(Notification.id.in_([n.id for n in notifications]))
            .values(digest_pending=False).execution_options(synchronize_session=False))
    db.session.flush()
    return written
