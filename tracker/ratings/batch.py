"""Printing the 征询意见表 in bulk: every author of a meeting's replies still awaiting their
answer (optionally of one unit) gets one page, all in one PDF made by a job on the queue — a
few hundred pages take minutes, not a request. The forms carry no link ("评价链接由督办单位另行
发送"): a batch mints none. Whoever asked is told when it is ready, and downloads it from the
batch page; a batch that fails is retried by the queue, then shown as failed with the reason.
"""
from __future__ import annotations

from datetime import timedelta

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import User
from tracker.accounts.roles import Role
from tracker.core.errors import PermissionDenied, ValidationFailed
from tracker.core.states import AssignmentState
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.files.store import MissingObject, store
from tracker.handling import permissions as handling_permissions
from tracker.handling.models import Assignment
from tracker.jobs import queue
from tracker.letters.documents import render_pages
from tracker.notifications.choices import NotificationKind
from tracker.notifications.operations import notify_people
from tracker.proposals.models import Author, Meeting, Proposal
from tracker.ratings import queries
from tracker.ratings.choices import PrintStatus
from tracker.ratings.form_pdf import TITLE, form_page
from tracker.ratings.models import PrintBatch
from tracker.replies.models import Reply

NOTHING = "没有待评价的答复：所选范围内的答复均已收到提出人的评价，或尚未发文。"


BATCHES = "uploads/batches/"  # locally UPLOAD_DIR/batches, as before the store


def batch_key(batch: PrintBatch) -> str | None:
    """The store key of a batch's PDF (None until it is made)."""
    return BATCHES + batch.file_name if batch.file_name else None


def may_print(user: User) -> bool:
    """The supervising office (any unit) and units' clerks (their own unit's replies)."""
    return handling_permissions.is_supervisor(user) or user.has_role(Role.unit_clerk)


def scope_unit(user: User, unit_id: int | None) -> int | None:
    """The unit a batch covers: a unit clerk's own, whatever they asked."""
    return unit_id if handling_permissions.is_supervisor(user) else user.unit_id


def pending_forms(meeting_id: int, unit_id: int | None) -> list[tuple[Reply, Author]]:
    """(reply, author) for every author still to answer on a reply in its rating period."""
    query = (
        select(Reply).join(Assignment, Assignment.id == Reply.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.meeting_id == meeting_id, Reply.issued_at.is_not(None),
               Assignment.state == AssignmentState.replied, Reply.round == Assignment.round)
        .options(selectinload(Reply.assignment).selectinload(Assignment.proposal)
                 .selectinload(Proposal.authors))
        .order_by(Proposal.number, Assignment.id))
    if unit_id is not None:
        query = query.where(Assignment.unit_id == unit_id)
    forms = []
    for reply in db.session.scalars(query):
        answered = queries.ratings_of(reply)
        for author in reply.assignment.proposal.authors:
            if author.id not in answered:
                forms.append((reply, author))
    return forms


def request_batch(actor: User, meeting_id: int | None, unit_id: int | None) -> PrintBatch:
    """Ask for a batch (flushes; the job is queued when the caller commits)."""
    if not may_print(actor):
        raise PermissionDenied("只有交办员和承办单位联络员可以批量打印征询意见表。")
    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        raise ValidationFailed("请选择会议。", {"meeting_id": ["请选择会议。"]})
    unit_id = scope_unit(actor, unit_id)
    count = len(pending_forms(meeting.id, unit_id))
    if not count:
        raise ValidationFailed(NOTHING, {"meeting_id": [NOTHING]})
    batch = PrintBatch(requested_by_id=actor.id, meeting_id=meeting.id, unit_id=unit_id,
                       status=PrintStatus.queued, forms=count)
    db.session.add(batch)
    db.session.flush()
    queue.enqueue_at_commit(render_batch, batch.id)
    return batch


def build(batch: PrintBatch) -> int:
    """Render the batch's forms into its file; the number of pages' forms."""
    forms = pending_forms(batch.meeting_id, batch.unit_id)
    if not forms:
        raise ValidationFailed(NOTHING)
    pdf = render_pages([form_page(reply, author) for reply, author in forms], TITLE,
                       "rating-forms.html")
    name = f"batch-{batch.id}.pdf"
    store().put(BATCHES + name, pdf)  # the worker writes it, any web server serves it
    batch.file_name = name
    return len(forms)


@queue.task(retries=2, retry_delay=30, retry_backoff=2)
def render_batch(batch_id: int) -> str:
    """The job: render, store, tell whoever asked. Done once: a batch already made is left."""
    batch = db.session.get(PrintBatch, batch_id)
    if batch is None or batch.status == PrintStatus.done:
        return "skipped"
    batch.status, batch.error = PrintStatus.running, ""
    db.session.commit()
    try:
        batch.forms = build(batch)
    except Exception as exc:
        db.session.rollback()
        batch = db.session.get(PrintBatch, batch_id)
        batch.status = PrintStatus.failed
        batch.error = (exc.message if isinstance(exc, ValidationFailed)
                       else f"{type(exc).__name__}: {exc}")[:500]
        batch.finished_at = utcnow()
        db.session.commit()
        if isinstance(exc, ValidationFailed):
            return "nothing"  # not worth another try
        raise
    batch.status, batch.finished_at = PrintStatus.done, utcnow()
    notify_people([batch.requested_by], NotificationKind.print_ready,
                  f"批量打印的征询意见表已生成：{batch.meeting.name}"
                  f"{'（' + batch.unit.name + '）' if batch.unit else ''}，共 {batch.forms} 份，"
                  "请在“批量打印征询意见表”页面下载。",
                  key=f"print_ready:{batch.id}", subject=f"征询意见表已生成（{batch.forms} 份）",
                  sms_text=f"批量打印的征询意见表已生成，共{batch.forms}份，请登录系统下载。")
    return "done"


STALE = timedelta(minutes=30)


@queue.periodic(crontab(minute="*/10"), "每 10 分钟")
def resume_batches() -> int:
    """Batches whose job was lost (the queue down when asked, a consumer killed while
    rendering) are queued again; a batch is made once however often it is queued."""
    stale = list(db.session.scalars(select(PrintBatch.id).where(
        PrintBatch.status.in_([PrintStatus.queued, PrintStatus.running]),
        PrintBatch.created_at < utcnow() - STALE)))
    for batch_id in stale:
        queue.enqueue(render_batch, batch_id)
    return len(stale)


def batches_of(user: User, limit: int = 20) -> list[PrintBatch]:
    return list(db.session.scalars(
        select(PrintBatch).where(PrintBatch.requested_by_id == user.id)
        .options(selectinload(PrintBatch.meeting), selectinload(PrintBatch.unit))
        .order_by(PrintBatch.id.desc()).limit(limit)))


def file_of(batch: PrintBatch) -> bytes | None:
    """The finished batch's PDF, or None (not made yet, or not in the store)."""
    if batch.status != PrintStatus.done or not batch.file_name:
        return None
    try:
        return store().get(batch_key(batch))
    except MissingObject:
        return None
