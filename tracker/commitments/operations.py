"""Listing, editing, reporting on and closing commitments (承诺事项); they flush, never commit.

A commitment belongs to an issued B or C reply of a main (lead, 分办) assignment. Every change
is audited on the item's timeline; closing takes a conditional UPDATE, so two clerks closing
at once cannot both succeed. An overdue commitment warns the unit's clerks once per due date;
a commitment done may be told to the authors (e-mail through the outbox, SMS when configured).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from tracker.accounts.models import Section, User
from tracker.audit import log as audit
from tracker.commitments import permissions
from tracker.commitments.choices import COMMITMENT_CLASSES, CommitmentStatus
from tracker.commitments.models import (
    NOTE_MAX,
    WHAT_MAX,
    Commitment,
    CommitmentFile,
    CommitmentReport,
)
from tracker.core.errors import Conflict, PermissionDenied, ValidationFailed
from tracker.core.time import to_local, today, utcnow
from tracker.extensions import db
from tracker.files.storage import store_upload
from tracker.handling.models import Assignment
from tracker.notifications import sms
from tracker.notifications.choices import Channel, NotificationKind
from tracker.notifications.delivery import mobile_number
from tracker.notifications.models import OutboxMessage
from tracker.notifications.operations import item_name, notify_people, unit_clerks
from tracker.replies.models import Reply

REPORT_MAX = 2000
FILES_MAX = 5
# How far ahead a promise may reach (a typo such as 2206 is caught, a five-year plan is not).
YEARS_AHEAD = 10

NOT_ISSUED = "该答复尚未发文，发文后才能登记承诺事项。"


def issued_on(reply: Reply) -> date | None:
    """The China date the reply was issued."""
    return to_local(reply.issued_at).date() if reply.issued_at is not None else None


def reply_class(reply: Reply) -> str:
    return reply.draft_version.result_class if reply.draft_version else ""


def takes_commitments(reply: Reply) -> bool:
    """An issued reply of class B or C."""
    return reply.issued_at is not None and reply_class(reply) in COMMITMENT_CLASSES


def refusal(reply: Reply) -> str | None:
    """Why commitments cannot be listed on this reply (None: they can)."""
    if reply.issued_at is None:
        return NOT_ISSUED
    result_class = reply_class(reply)
    if result_class not in COMMITMENT_CLASSES:
        return (f"该答复为{result_class}类（所提问题已经解决或基本解决），只有 B 类、C 类答复"
                "需要登记承诺事项。")
    return None


def replies_kept_by(user: User, proposal) -> list[Reply]:
    """The replies (signed or issued, every round) of the item's assignments the user keeps
    the commitments of, oldest first."""
    kept = [a.id for a in proposal.assignments if permissions.can_keep(user, a)]
    if not kept:
        return []
    return list(db.session.scalars(
        select(Reply).where(Reply.assignment_id.in_(kept))
        .options(selectinload(Reply.draft_version)).order_by(Reply.assignment_id, Reply.round)))


def _error(field: str, message: str, summary: str = "提交的内容有误，请按提示修改。"):
    return ValidationFailed(summary, {field: [message]})


def _clean(text: str | None, field: str, label: str, limit: int, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise _error(field, f"请填写{label}。")
    if len(text) > limit:
        raise _error(field, f"{label}不能超过 {limit} 字。")
    return text


def _check_day(day: date | None, field: str, label: str, reply: Reply, *,
               past_only: bool) -> date:
    if day is None:
        raise _error(field, f"请填写{label}。")
    start = issued_on(reply)
    if start is not None and day < start:
        raise _error(field, f"{label}不能早于答复发文日期（{start.isoformat()}）。")
    if past_only and day > today():
        raise _error(field, f"{label}不能晚于今天。")
    if not past_only and day > today().replace(year=today().year + YEARS_AHEAD, day=1):
        raise _error(field, f"{label}过远，请核对年份（最多 {YEARS_AHEAD} 年以内）。")
    return day


def _section(assignment: Assignment, section_id: int | None) -> Section | None:
    if not section_id:
        return None
    section = db.session.get(Section, section_id)
    if section is None or section.unit_id != assignment.unit_id:
        raise _error("section_id", "请从列表中选择本单位的处室。")
    return section


def _log(action: str, actor: User, commitment: Commitment, **details) -> None:
    audit.record(action, actor=actor, object_type="commitment", object_id=commitment.id,
                 proposal_id=commitment.proposal_id, unit_id=commitment.unit_id,
                 details={"reply_id": commitment.reply_id, "what": commitment.what[:200],
                          "due_on": commitment.due_on.isoformat(), **details})


def add_commitment(reply: Reply, actor: User, *, what: str, due_on: date | None,
                   section_id: int | None = None) -> Commitment:
    """List one commitment of an issued B or C reply."""
    assignment = reply.assignment
    if not permissions.can_keep(actor, assignment):
        raise PermissionDenied("只有承办单位的联络员或承办人可以登记承诺事项。")
    why_not = refusal(reply)
    if why_not:
        raise _error("reply_id", why_not, "该答复不能登记承诺事项。")
    what = _clean(what, "what", "承诺事项", WHAT_MAX)
    due_on = _check_day(due_on, "due_on", "承诺完成时限", reply, past_only=False)
    section = _section(assignment, section_id)
    commitment = Commitment(
        reply_id=reply.id, assignment_id=assignment.id, proposal_id=assignment.proposal_id,
        unit_id=assignment.unit_id, what=what, due_on=due_on,
        section_id=section.id if section else None, status=CommitmentStatus.open,
        created_by_id=actor.id)
    db.session.add(commitment)
    db.session.flush()
    _log("commitment_added", actor, commitment, section=section.name if section else None)
    return commitment


def _check_open(commitment: Commitment, actor: User, verb: str) -> None:
    if not permissions.can_keep(actor, commitment.assignment):
        raise PermissionDenied(f"只有承办单位的联络员或承办人可以{verb}承诺事项。")
    if not commitment.is_open:
        raise Conflict(f"该承诺事项已{CommitmentStatus(commitment.status).label}，不能再{verb}。")


def update_commitment(commitment: Commitment, actor: User, *, what: str,
                      due_on: date | None, section_id: int | None = None) -> bool:
    """Change what, when or who while it is 落实中; whether anything changed."""
    _check_open(commitment, actor, "修改")
    what = _clean(what, "what", "承诺事项", WHAT_MAX)
    due_on = _check_day(due_on, "due_on", "承诺完成时限", commitment.reply, past_only=False)
    section = _section(commitment.assignment, section_id)
    before = {"what": commitment.what, "due_on": commitment.due_on.isoformat(),
              "section": commitment.section.name if commitment.section else None}
    after = {"what": what, "due_on": due_on.isoformat(), "section": section.name if section else None}
    if before == after:
        return False
    result = db.session.execute(
        update(Commitment).where(Commitment.id == commitment.id,
                                 Commitment.status == CommitmentStatus.open)
        .values(what=what, due_on=due_on, section_id=section.id if section else None,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该承诺事项已由他人办结，请刷新后查看。")
    db.session.expire(commitment)
    _log("commitment_changed", actor, commitment,
         changed={k: [before[k], after[k]] for k in before if before[k] != after[k]})
    return True


def _uploads(files) -> list[FileStorage]:
    return [f for f in (files or []) if isinstance(f, FileStorage) and f.filename]


def report_progress(commitment: Commitment, actor: User, *, text: str,
                    reported_on: date | None, files=None) -> CommitmentReport:
    """Report progress (进展) on a commitment, with up to FILES_MAX files."""
    _check_open(commitment, actor, "报送进展")
    text = _clean(text, "text", "进展情况", REPORT_MAX)
    reported_on = _check_day(reported_on, "reported_on", "报送日期", commitment.reply,
                             past_only=True)
    uploads = _uploads(files)
    if len(uploads) > FILES_MAX:
        raise _error("files", f"一次最多上传 {FILES_MAX} 个附件。")
    report = CommitmentReport(commitment_id=commitment.id, text=text, reported_on=reported_on,
                              reported_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    names = []
    for upload in uploads:
        stored = store_upload(upload, field="files", proposal_id=commitment.proposal_id,
                              unit_id=commitment.unit_id, actor_id=actor.id)
        db.session.flush()
        db.session.add(CommitmentFile(report_id=report.id, attachment_id=stored.id))
        names.append(stored.original_name)
    db.session.flush()
    _log("commitment_progress", actor, commitment, progress=text[:300],
         reported_on=reported_on.isoformat(), files=names)
    return report


@dataclass
class Closing:
    commitment: Commitment
    told: int = 0  # messages queued to the authors


def close_commitment(commitment: Commitment, actor: User, *, outcome: str,
                     done_on: date | None = None, note: str = "",
                     tell_authors: bool = False) -> Closing:
    """Close a commitment as 已落实 (on a date) or 未落实 (with the reason); when done, the
    authors may be told."""
    _check_open(commitment, actor, "办结")
    status = CommitmentStatus.lookup(outcome)
    if status is None or status == CommitmentStatus.open:
        raise _error("outcome", "请选择落实结果（已落实或未落实）。")
    if status == CommitmentStatus.not_done:
        note = _clean(note, "note", "未落实的原因说明", NOTE_MAX)
        done_on = None
        if tell_authors:
            raise _error("tell_authors", "未落实的承诺事项不发送告知；请向提出人当面或书面说明。")
    else:
        note = _clean(note, "note", "说明", NOTE_MAX, required=False)
        done_on = _check_day(done_on, "done_on", "落实日期", commitment.reply, past_only=True)
    now = utcnow()
    result = db.session.execute(
        update(Commitment).where(Commitment.id == commitment.id,
                                 Commitment.status == CommitmentStatus.open)
        .values(status=status, done_on=done_on, closing_note=note, closed_at=now,
                closed_by_id=actor.id, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("该承诺事项已由他人办结，请刷新后查看。")
    db.session.expire(commitment)
    closing = Closing(commitment)
    if tell_authors:
        closing.told = tell_authors_done(commitment)
    _log("commitment_closed", actor, commitment, status=status.value,
         done_on=done_on.isoformat() if done_on else None, closing_note=note[:300],
         authors_told=closing.told)
    return closing


def _author_text(commitment: Commitment) -> tuple[str, str]:
    proposal = commitment.proposal
    reply = commitment.reply
    kind = "代表建议" if proposal.kind.value == "suggestion" else "委员提案"
    subject = f"承诺事项已落实：{proposal.meeting.name}第{proposal.number}号{kind}"
    body = (f"您提出的{proposal.meeting.name}第{proposal.number}号{kind}《{proposal.title}》，"
            f"{commitment.unit.name}在答复（{reply.doc_number}）中承诺的事项已经落实：\n\n"
            f"{commitment.what}\n\n落实日期：{commitment.done_on.isoformat()}"
            + (f"\n落实情况：{commitment.closing_note}" if commitment.closing_note else "")
            + "\n\n感谢您对我们工作的关心和支持。如有疑问，请与承办单位联系。\n")
    return subject, body


def tell_authors_done(commitment: Commitment) -> int:
    """Queue the news of a commitment done to every author with an e-mail address (and an
    SMS to their mobile when the SMS gateway is configured); record when. The count."""
    subject, body = _author_text(commitment)
    proposal = commitment.proposal
    prefix = "【建议提案办理系统】"
    count = 0
    sms_ready = sms.configured()
    signature = str(current_app.config.get("SMS_SIGNATURE", ""))
    for author in proposal.authors:
        if author.email:
            db.session.add(OutboxMessage(
                kind="notice", channel=Channel.email, recipient=author.email,
                author_id=author.id, reply_id=commitment.reply_id,
                subject=(prefix + subject)[:200], body=f"{author.name}：\n\n{body}"))
            count += 1
        phone = mobile_number(author.phone)
        if phone and sms_ready:
            # No title through the outside gateway: the meeting, the number and the unit.
            db.session.add(OutboxMessage(
                kind="notice", channel=Channel.sms, recipient=phone, author_id=author.id,
                reply_id=commitment.reply_id, subject=subject[:200],
                body=(f"{signature}{author.name}：您提出的{proposal.meeting.name}第{proposal.number}号"
                      f"，{commitment.unit.name}承诺的事项已于{commitment.done_on.isoformat()}落实。")[:300]))
            count += 1
    db.session.execute(update(Commitment).where(Commitment.id == commitment.id)
                       .values(authors_told_at=utcnow())
                       .execution_options(synchronize_session=False))
    db.session.expire(commitment)
    db.session.flush()
    return count


# -- overdue warnings ------------------------------------------------------------------------

def warn_overdue(on: date | None = None) -> int:
    """Tell the unit's clerks of each commitment past its day, once per commitment and due
    date (a new date after an edit warns again); how many people were told anew."""
    on = on or today()
    late = db.session.scalars(
        select(Commitment).where(Commitment.is_overdue(on))
        .options(selectinload(Commitment.assignment), selectinload(Commitment.proposal))
        .order_by(Commitment.unit_id, Commitment.due_on, Commitment.id)).all()
    clerks: dict[int, list[User]] = {}
    told = 0
    for commitment in late:
        people = clerks.setdefault(commitment.unit_id, unit_clerks(commitment.unit_id))
        days = (on - commitment.due_on).days
        text = (f"{item_name(commitment.proposal)}：答复中承诺的事项「{commitment.what[:100]}」"
                f"承诺于 {commitment.due_on.isoformat()} 前完成，已逾期 {days} 天，请报送进展或"
                "办结（已落实或说明未落实的原因）。")
        told += notify_people(
            people, NotificationKind.commitment_overdue, text,
            key=f"commitment_overdue:{commitment.id}:{commitment.due_on.isoformat()}",
            assignment=commitment.assignment,
            subject=f"承诺事项逾期：{commitment.proposal.meeting.name}第{commitment.proposal.number}号",
            sms_text=f"第{commitment.proposal.number}号答复的承诺事项已逾期，请登录系统报送进展。")
    return told

