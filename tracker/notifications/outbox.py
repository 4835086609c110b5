"""The outbox: e-mails written in a transaction are sent only after it commits, over SMTP,
and retried with a growing pause when sending fails (`flask outbox send` for cron).

A message's body is stored with it (kind notice), or built at send time by the builder its
kind registered (ratings registers rating_link: a personal link made when the mail goes).
The app factory sends what a request wrote after the request (see tracker/__init__.py)."""
from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, g, has_request_context
from sqlalchemy import event, select

from tracker.core.errors import ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage

MAX_ATTEMPTS = 8

# kind -> the function that writes the body of such a message when it is sent
BODY_BUILDERS: dict[str, Callable[[OutboxMessage], str]] = {}

_listening = False


def register_body(kind: str, builder: Callable[[OutboxMessage], str]) -> None:
    """Build the body of messages of this kind at send time (from a package's init_app)."""
    BODY_BUILDERS[kind] = builder


def listen() -> None:
    """Note, per request, that a commit wrote a message (g.outbox_due), once per process."""
    global _listening
    if not _listening:
        _listen()
        _listening = True


def due_after_request() -> bool:
    """Whether this request committed a message (and clear the mark)."""
    return bool(g.pop("outbox_due", False))


def _listen() -> None:
    @event.listens_for(db.session, "after_flush")
    def _mark(session, _context):
        if any(isinstance(obj, OutboxMessage) for obj in session.new):
            session.info["outbox_written"] = True

    @event.listens_for(db.session, "after_commit")
    def _committed(session):
        if session.info.pop("outbox_written", False) and has_request_context():
            g.outbox_due = True

    @event.listens_for(db.session, "after_rollback")
    def _rolled_back(session):
        session.info.pop("outbox_written", None)


def _body(message: OutboxMessage) -> str:
    """The text to send: built now when its kind has a builder, stored with it otherwise."""
    builder = BODY_BUILDERS.get(message.kind)
    return builder(message) if builder is not None else message.body


def _send(message: OutboxMessage, body: str) -> None:
    config = current_app.config
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = formataddr(("建议提案办理系统", config["SMTP_FROM"]))
    mail["To"] = message.recipient
    mail["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    mail.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                      timeout=float(config["SMTP_TIMEOUT"])) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(mail)


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """Send the messages that are due, one transaction each: (sent, failed)."""
    if not current_app.config.get("SMTP_HOST"):
        return 0, 0
    # The callers commit their own work first (a request, `flask remind`, `flask outbox send`);
    # whatever is left uncommitted was not meant to be kept, and is not ours to commit.
    db.session.rollback()
    sent = failed = 0
    ids = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= utcnow(),
        OutboxMessage.attempts < MAX_ATTEMPTS).order_by(OutboxMessage.id).limit(limit)).all()
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.sent_at is not None:
            continue
        try:
            body = _body(message)  # for a rating link: a new token, stored as its hash
        except ValidationFailed as exc:  # e.g. the author rated on paper meanwhile
            db.session.rollback()
            message = db.session.get(OutboxMessage, message_id)
            message.attempts, message.last_error = MAX_ATTEMPTS, f"不再发送：{exc.message}"[:500]
            db.session.commit()
            continue
        try:
            _send(message, body)
        except Exception as exc:  # noqa: BLE001 — SMTP and network errors: retry later
            db.session.rollback()  # the token of the unsent message is forgotten
            message = db.session.get(OutboxMessage, message_id)
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            message.next_attempt_at = utcnow() + timedelta(minutes=5 * 2 ** message.attempts)
            db.session.commit()
            failed += 1
            continue
        message.attempts += 1
        message.sent_at = utcnow()
        message.last_error = ""
        db.session.commit()
        sent += 1
    return sent, failed
