"""The outbox: e-mails and SMS written in a transaction leave only after it commits, sent by a
job on the queue, never by the web worker.

A message is a row, written with the work it reports. When that transaction commits, a
`deliver` job is put on the queue for it (tracker.notifications.jobs); the job claims the row
(so that two consumers never send it twice at once), sends it over SMTP or the SMS gateway,
and marks it sent. A failure is counted on the row and the job is retried by the queue with a
growing pause; after MAX_ATTEMPTS the row is marked failed and shown to the administrators,
who may send it again. Should the queue lose the job (a consumer killed mid-run, the queue's
storage down when the commit happened), the sweep finds the row and queues it again once its
claim has run out: the database, not the queue, holds what must be sent.

A message's body is stored with it (kind notice, digest), or built at send time by the builder
its kind registered (ratings registers rating_link: a personal link made when the mail goes).
"""
from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from sqlalchemy import event, or_, select, update

from tracker.core.errors import ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.notifications import sms
from tracker.notifications.choices import Channel
from tracker.notifications.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# The pause after a failed attempt doubles: with OUTBOX_RETRY_SECONDS 60, 1, 2, 4 … 64 minutes
# (about two hours in all before a message is given up).
RETRY_BACKOFF = 2

# kind -> the function that writes the body of such a message when it is sent
BODY_BUILDERS: dict[str, Callable[[OutboxMessage], str]] = {}

_listening = False


class SendFailed(Exception):
    """Sending failed this time; the queue tries again after `pause` (None: given up)."""

    def __init__(self, message: str, pause: timedelta | None):
        super().__init__(message)
        self.pause = pause


def register_body(kind: str, builder: Callable[[OutboxMessage], str]) -> None:
    """Build the body of messages of this kind at send time (from a package's init_app)."""
    BODY_BUILDERS[kind] = builder


def listen() -> None:
    """Queue a delivery for every message a commit wrote, once per process."""
    global _listening
    if not _listening:
        _listen()
        _listening = True


def _listen() -> None:
    @event.listens_for(db.session, "after_flush")
    def _note(session, _context):
        written = [(obj.id, obj.next_attempt_at) for obj in session.new
                   if isinstance(obj, OutboxMessage)]
        if written:
            session.info.setdefault("outbox_written", []).extend(written)

    @event.listens_for(db.session, "after_commit")
    def _committed(session):
        written = session.info.pop("outbox_written", None)
        if written:
            from tracker.notifications import jobs

            for message_id, not_before in written:
                jobs.queue_delivery(message_id, not_before)

    @event.listens_for(db.session, "after_rollback")
    def _rolled_back(session):
        session.info.pop("outbox_written", None)

    @event.listens_for(db.session, "after_transaction_end")
    def _ended(session, transaction):
        if transaction.parent is None:  # the outermost one: nothing is carried past it
            session.info.pop("outbox_written", None)


def channel_ready(channel: Channel | str) -> bool:
    """Whether this installation can send by the channel at all (a server is configured)."""
    if Channel(channel) == Channel.sms:
        return sms.configured()
    return bool(current_app.config.get("SMTP_HOST"))


def _body(message: OutboxMessage) -> str:
    """The text to send: built now when its kind has a builder, stored with it otherwise."""
    builder = BODY_BUILDERS.get(message.kind)
    return builder(message) if builder is not None else message.body


def _send_mail(message_id: int, recipient: str, subject: str, body: str) -> None:
    config = current_app.config
    domain = config["SMTP_FROM"].rpartition("@")[2] or "localhost"
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = formataddr(("建议提案办理系统", config["SMTP_FROM"]))
    mail["To"] = recipient
    # One id per outbox row: should a message go twice (a consumer died between the server's
    # acceptance and the row being marked sent), mail systems see the same message.
    mail["Message-ID"] = f"<outbox-{message_id}@{domain}>"
    mail.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                      timeout=float(config["SMTP_TIMEOUT"])) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(mail)


def _claim(message_id: int) -> datetime | None:
    """Hold the message for this job (committed at once): the hold's end, which identifies
    this job's claim, or None when it is sent, failed, not due yet, or held by another."""
    now = utcnow()
    until = now + timedelta(seconds=int(current_app.config["JOB_LEASE_SECONDS"]))
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.failed_at.is_(None), OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return until if result.rowcount == 1 else None


def _settle(message_id: int, claim: datetime, **values) -> bool:
    """Record the outcome, only while this job still holds the message (a send that took
    longer than the hold leaves the message to the job that took it over)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_until == claim)
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def retry_pause(attempts: int) -> timedelta:
    """The pause after the n-th failed attempt (the queue's own retry schedule)."""
    first = int(current_app.config["OUTBOX_RETRY_SECONDS"])
    return timedelta(seconds=first * RETRY_BACKOFF ** max(0, attempts - 1))


def _quiet_until(message: OutboxMessage) -> datetime | None:
    """For an SMS: the end of its person's quiet hours, when now falls in them."""
    if message.channel != Channel.sms or message.user is None:
        return None
    from tracker.notifications.delivery import quiet_until, settings_for

    return quiet_until(settings_for(message.user), utcnow())


def deliver_one(message_id: int) -> str:
    """Send one message if it is due and nobody else is sending it: "sent", "skipped",
    "waiting" (no server configured for its channel, or an SMS in its person's quiet hours:
    it goes when they end), "dropped" (no longer to be sent); raises SendFailed after
    recording a failed attempt."""
    db.session.rollback()  # our own transactions from here; the caller committed its work
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None or message.failed_at is not None:
        return "skipped"
    if not channel_ready(message.channel):
        return "waiting"
    quiet = _quiet_until(message)  # retries and backlogs must not wake anyone either
    if quiet is not None:
        db.session.rollback()
        db.session.execute(update(OutboxMessage).where(
            OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
            OutboxMessage.claimed_until.is_(None)).values(next_attempt_at=quiet)
            .execution_options(synchronize_session=False))
        db.session.commit()
        from tracker.notifications import jobs

        jobs.queue_delivery(message_id, quiet)
        return "waiting"
    db.session.rollback()
    claim = _claim(message_id)
    if claim is None:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    builds = message.kind in BODY_BUILDERS
    try:
        body = _body(message)  # for a rating link: a new token, stored as its hash
    except ValidationFailed as exc:  # e.g. the author rated on paper meanwhile
        db.session.rollback()
        _settle(message_id, claim, attempts=MAX_ATTEMPTS, failed_at=utcnow(),
                last_error=f"不再发送：{exc.message}"[:500])
        return "dropped"
    channel, recipient, subject = message.channel, message.recipient, message.subject
    if not builds:
        # Nothing written: no transaction (and on SQLite no lock) is held while sending.
        # A built body (a rating link's token) is kept only if the message goes: its
        # transaction stays open until then.
        db.session.rollback()
    try:
        if channel == Channel.sms:
            sms.send(recipient, body, message_id)
        else:
            _send_mail(message_id, recipient, subject, body)
    except Exception as exc:  # noqa: BLE001 — SMTP, gateway and network errors: retry later
        db.session.rollback()  # the token of the unsent message is forgotten
        attempts = db.session.scalar(select(OutboxMessage.attempts).where(
            OutboxMessage.id == message_id)) + 1
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"[:500]
        pause = retry_pause(attempts)
        failed = utcnow() if attempts >= MAX_ATTEMPTS else None
        _settle(message_id, claim, attempts=attempts, last_error=error, failed_at=failed,
                next_attempt_at=utcnow() + pause)
        raise SendFailed(f"#{message_id}: {error}", None if failed else pause) from exc
    if builds:
        db.session.commit()  # the token, with the message that carries it
    _settle(message_id, claim, attempts=OutboxMessage.attempts + 1, sent_at=utcnow(),
            last_error="")
    return "sent"


def due_ids(grace: timedelta = timedelta(0), limit: int = 1000) -> list[int]:
    """Messages whose job was lost: held by a job whose hold has run out (it died while
    sending), or due for `grace` already with no job holding them (the queue lost the job,
    or could not take it at the commit, or no server was configured then)."""
    now = utcnow()
    channels = [c for c in Channel if channel_ready(c)]
    if not channels:
        return []
    return list(db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
            OutboxMessage.channel.in_(channels),
            or_(OutboxMessage.claimed_until < now,
                OutboxMessage.claimed_until.is_(None)
                & (OutboxMessage.next_attempt_at <= now - grace)))
        .order_by(OutboxMessage.id).limit(limit)))


def deliver_due(limit: int = 50) -> tuple[int, int]:
    """Send what is due now, in this process (`flask outbox send`): (sent, failed)."""
    sent = failed = 0
    for message_id in due_ids(limit=limit):
        try:
            if deliver_one(message_id) == "sent":
                sent += 1
        except SendFailed:
            failed += 1
    return sent, failed


def send_again(message_id: int) -> bool:
    """An administrator's retry of a message that failed every attempt (flushes)."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.failed_at.is_not(None))  # never one a job is sending
        .values(failed_at=None, attempts=0, next_attempt_at=utcnow(), claimed_until=None,
                last_error="")
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session_info = db.session.info.setdefault("outbox_written", [])
    session_info.append((message_id, utcnow()))  # queued when the retry commits
    return True
