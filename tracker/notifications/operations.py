"""Who must act next, reminders of deadlines, and the notices of deadline extensions.

Every notice is one Notification row per person, with a dedupe key: inserting a key that is
already there does nothing, so running the reminder twice notifies nobody twice, while a new
state or a new due date makes a new key. An e-mail goes through the outbox (kind "notice")
in the same transaction as the rows it reports, and leaves only once that has committed.
These functions flush, never commit.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Role, User, UserRole
from tracker.core.states import ExtensionStatus
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import (
    Action,
    AssignmentState,
    ProposalState,
    rule_for,
)
from tracker.notifications import delivery
from tracker.notifications.models import Notification, NotificationKind
from tracker.proposals.models import Proposal
from tracker.workdays.calendar import WorkCalendar

A = AssignmentState

# The move that is the next step in each state (the first one the assignment's role has),
# with the words for it. Who may make it is the workflow table's business, not this one's.
NEXT_STEP: dict[AssignmentState, tuple[tuple[Action, str], ...]] = {
    A.assigned: ((Action.accept, "签收（如不属于本单位职责，请在期限内申请退回）"),),
    A.return_requested: ((Action.approve_return, "审核退回申请"),),
    A.accepted: ((Action.submit_opinion, "提交会办意见"), (Action.dispatch, Action.dispatch.label)),
    A.drafting: ((Action.submit_opinion, "提交会办意见"),
                 (Action.save_draft, "撰写答复并送审")),
    A.opinion_pending: ((Action.approve_opinion, "审批会办意见"),),
    A.first_review: ((Action.approve, "初审答复稿"),),
    A.second_review: ((Action.approve, "复审答复稿"),),
    A.final_review: ((Action.approve, "终审答复稿"),),
    A.awaiting_signature: ((Action.sign, "签发答复"),),
    A.signed: ((Action.issue, "发文"),),
}
# Among those the table allows, the one who usually does it (发文: the unit's clerk).
PREFERRED_ROLE = {Action.issue: Role.unit_clerk}


def next_step(assignment: Assignment):
    """(action, words, rule) of the assignment's next step, or None when nothing is due."""
    try:
        state = AssignmentState(assignment.state)
    except ValueError:
        return None
    for action, words in NEXT_STEP.get(state, ()):
        rule = rule_for(assignment, action)
        if rule is not None:
            return action, words, rule
    return None


def step_due_on(assignment: Assignment) -> date:
    """The date the next step is due: 签收 within the return window, otherwise the deadline."""
    if assignment.state == A.assigned.value:
        return min(assignment.return_due_on, assignment.due_on)
    return assignment.due_on


def _pool(assignment: Assignment, users: list[User] | None) -> list[User]:
    if users is not None:
        return users
    return list(db.session.scalars(select(User).where(
        User.is_enabled.is_(True),
        or_(User.unit_id == assignment.unit_id, User.id.in_(_supervisor_ids())),
    ).order_by(User.id)))


def _supervisor_ids():
    return select(UserRole.user_id).where(UserRole.role == Role.supervisor)


def recipients(assignment: Assignment, users: list[User] | None = None) -> list[User]:
    """The people who must act next on the assignment: those the table lets make the next
    step; of them the drafter the item was passed to, when there is one."""
    step = next_step(assignment)
    if step is None:
        return []
    action, _, rule = step
    people = [u for u in _pool(assignment, users) if u.is_enabled and rule.who(u, assignment)]
    drafter = [u for u in people if u.id == assignment.drafter_id]
    if drafter:
        return drafter
    preferred = PREFERRED_ROLE.get(action)
    if preferred is not None and any(u.has_role(preferred) for u in people):
        return [u for u in people if u.has_role(preferred)]
    return people


def _table_people(assignment: Assignment, action: Action) -> list[User]:
    """Everyone the table lets make this move on the assignment now."""
    rule = rule_for(assignment, action)
    if rule is None:
        return []
    return [u for u in _pool(assignment, None) if u.is_enabled and rule.who(u, assignment)]


# --- writing notices ---------------------------------------------------------------------

def _insert_once(values: dict) -> int | None:
    """Insert a notification unless its dedupe key exists; the new id, or None."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (insert(Notification).values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Notification.id))
    return db.session.execute(stmt).scalar()


def _exists(key: str) -> bool:
    return db.session.scalar(
        select(Notification.id).where(Notification.dedupe_key == key)) is not None


def notify(user: User, kind: NotificationKind, text: str, *, key: str,
           assignment: Assignment | None = None, proposal_id: int | None = None) -> int | None:
    """Record one notification for user; returns its id, or None when the key was used."""
    return _insert_once({
        "user_id": user.id, "kind": kind.value, "text": text, "dedupe_key": key[:200],
        "assignment_id": assignment.id if assignment is not None else None,
        "proposal_id": proposal_id or (assignment.proposal_id if assignment else None),
        "created_at": utcnow(),
    })


def _item_url(proposal_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/proposals/{proposal_id}"


def item_name(proposal: Proposal) -> str:
    return f"{proposal.meeting.name}第{proposal.number}号《{proposal.title}》"


def notify_people(users, kind: NotificationKind, text: str, *, key: str,
                  assignment: Assignment | None = None, proposal_id: int | None = None,
                  subject: str | None = None, sms_text: str | None = None) -> int:
    """Tell each user once (per key) by the channels they chose for this kind: the in-app
    list always, e-mail and SMS as their settings say. Returns how many were told anew.

    text is the in-app and e-mail wording; sms_text a short one without the item's title
    (SMS passes through an outside gateway); the kind's label when not given. Nobody who
    may not see the item is told of it, but for the unit whose own assignment it is (the
    unit that gave the item back hears that its return was granted, without a link to an
    item it can no longer open).
    """
    sent = 0
    seen: set[int] = set()
    pid = proposal_id or (assignment.proposal_id if assignment is not None else None)
    list_url = f"{current_app.config['PUBLIC_BASE_URL']}/notifications"
    proposal = db.session.get(Proposal, pid) if pid else None
    for user in users:
        if user.id in seen or not user.is_enabled:
            continue
        seen.add(user.id)
        shown = proposal is None or (
            permissions.can_view_assignment(user, assignment)
            if assignment is not None and assignment.proposal_id == pid
            else permissions.can_view_proposal(user, proposal))
        if not shown and (assignment is None or assignment.unit_id != user.unit_id):
            continue  # never tell anyone of an item they may not see
        new_id = notify(user, kind, text, key=f"{key}:{user.id}",
                        assignment=assignment if shown else None,
                        proposal_id=pid if shown else None)
        if new_id is None:
            continue
        sent += 1
        url = _item_url(pid) if pid and shown else list_url
        delivery.send(user, {kind}, subject=subject or kind.label,
                      body=f"{user.full_name}：\n\n{text}\n\n查看：{url}\n",
                      sms_text=sms_text or f"您有一条{kind.label}通知，请登录系统查看。",
                      notification_ids=[new_id])
    return sent


def unit_clerks(unit_id: int) -> list[User]:
    """A unit's enabled clerks (联络员), who follow its deadlines and are warned of them."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.unit_id == unit_id, User.is_enabled.is_(True),
               UserRole.role == Role.unit_clerk).order_by(User.id)))


def unit_leaders(unit) -> list[User]:
    """Who leads a unit for warnings: its principal leader, or else (none set, or disabled)
    its enabled signers."""
    leader = unit.principal_leader if unit.principal_leader_id is not None else None
    if leader is not None and leader.is_enabled:
        return [leader]
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.unit_id == unit.id, User.is_enabled.is_(True), UserRole.role == Role.signer)
        .order_by(User.id)))


def notify_extension_requested(assignment: Assignment) -> int:
    """Tell the supervising clerks that the unit asks for a later deadline."""
    extension = assignment.extension
    proposal = assignment.proposal
    text = (f"{item_name(proposal)}：{assignment.unit.name}（{assignment.role.label}）申请将期限由 "
            f"{extension.original_due_on.isoformat()} 延至 {extension.requested_due_on.isoformat()}"
            f"（理由：{extension.reason}），请审批。")
    return notify_people(
        _table_people(assignment, Action.approve_extension), NotificationKind.extension_requested,
        text, assignment=assignment, key=f"extension_requested:{assignment.id}",
        subject=f"延期申请待审批：第{proposal.number}号",
        sms_text=f"{assignment.unit.name}申请第{proposal.number}号延期，请审批。")


def notify_extension_decided(assignment: Assignment) -> int:
    """Tell the unit (its clerks and the drafter) what the supervising clerk decided."""
    extension = assignment.extension
    proposal = assignment.proposal
    decider = extension.decided_by.full_name if extension.decided_by else "交办员"
    if extension.status == ExtensionStatus.approved:
        outcome = "同意延期"
        text = (f"{item_name(proposal)}：交办员{decider}已同意延期，期限由 "
                f"{extension.original_due_on.isoformat()} 延至 {assignment.due_on.isoformat()}。")
    else:
        outcome = "不同意延期"
        text = (f"{item_name(proposal)}：交办员{decider}不同意延期"
                f"（理由：{extension.decision_note}），期限仍为 {assignment.due_on.isoformat()}。")
    # The request has been dealt with: its notices need no more attention.
    db.session.execute(
        update(Notification)
        .where(Notification.assignment_id == assignment.id,
               Notification.kind == NotificationKind.extension_requested.value,
               Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False))
    return notify_people(
        unit_people(assignment), NotificationKind.extension_decided, text, assignment=assignment,
        key=f"extension_decided:{assignment.id}", subject=f"{outcome}：第{proposal.number}号",
        sms_text=f"第{proposal.number}号{outcome}，期限{assignment.due_on.isoformat()}。")


def on_extension_requested(event) -> None:
    """Subscribed to 申请延期."""
    notify_extension_requested(event.obj)


def on_extension_decided(event) -> None:
    """Subscribed to 同意延期 and 不同意延期."""
    notify_extension_decided(event.obj)


def unit_people(assignment: Assignment) -> list[User]:
    """The unit's clerks (one of them asked) and the drafter the item was passed to."""
    return [u for u in _pool(assignment, None) if u.is_enabled and (
        u.id == assignment.drafter_id or permissions.is_unit_clerk_of(u, assignment))]


# --- reminders ---------------------------------------------------------------------------

@dataclass
class Reminder:
    user: User
    assignment: Assignment
    kind: NotificationKind
    due_on: date
    text: str
    key: str
    new: bool = True
    id: int | None = None


@dataclass
class RemindReport:
    on: date
    horizon: date
    reminders: list[Reminder] = field(default_factory=list)
    people: int = 0  # told anew in this run

    @property
    def sent(self) -> Counter:
        return Counter(r.kind for r in self.reminders if r.new)

    @property
    def repeated(self) -> int:
        return sum(1 for r in self.reminders if not r.new)


def due_assignments(horizon: date) -> list[Assignment]:
    """Assignments still running, of items not closed, whose next step is due by horizon."""
    query = (
        select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(
            ~Assignment.is_finished,
            Proposal.state != ProposalState.closed.value,
            Proposal.closed_at.is_(None),
            or_(Assignment.due_on <= horizon,
                (Assignment.state == A.assigned.value) & (Assignment.return_due_on <= horizon)),
        )
        .options(selectinload(Assignment.proposal).selectinload(Proposal.meeting),
                 selectinload(Assignment.unit))
        .order_by(Assignment.due_on, Assignment.id)
    )
    return list(db.session.scalars(query))


def _reminder_text(assignment: Assignment, words: str, due: date, on: date,
                   calendar: WorkCalendar) -> str:
    state = AssignmentState(assignment.state)
    if due < on:
        late = calendar.working_days_between(due, on)
        when = f"期限为 {due.isoformat()}，已逾期 {late} 个工作日"
    elif due == on:
        when = f"期限为今天（{due.isoformat()}）"
    else:
        left = calendar.working_days_between(on, due)
        when = f"期限为 {due.isoformat()}，还有 {left} 个工作日"
    if state == A.assigned:
        what = "签收及申请退回"
    elif state == A.return_requested:
        what = "该交办的答复"
    elif assignment.role == UnitRole.co:
        what = "会办意见"
    else:
        what = "答复"
    return (f"{item_name(assignment.proposal)}：{assignment.unit.name}（{assignment.role.label}）"
            f"当前为「{state.label}」，{what}{when}。请及时{words}。")


def remind(days: int = 3, *, on: date | None = None, dry_run: bool = False) -> RemindReport:
    """Notify the people who must act next on assignments due within `days` working days or
    overdue, and the leader of a unit whose step is overdue; each (assignment, state, due
    date, person) once. With dry_run nothing is written.
    """
    on = on or today()
    calendar = WorkCalendar.load()
    horizon = calendar.add_working_days(on, days) if days > 0 else on
    report = RemindReport(on=on, horizon=horizon)
    people = list(db.session.scalars(
        select(User).where(User.is_enabled.is_(True)).order_by(User.id)))
    by_unit: dict[int, list[User]] = {}
    for user in people:
        by_unit.setdefault(user.unit_id, []).append(user)
    supervisors = [u for u in people if u.has_role(Role.supervisor)]

    for assignment in due_assignments(horizon):
        step = next_step(assignment)
        if step is None:
            continue
        due = step_due_on(assignment)
        if due > horizon:
            continue
        kind = NotificationKind.overdue if due < on else NotificationKind.due_soon
        pool = by_unit.get(assignment.unit_id, []) + [
            u for u in supervisors if u.unit_id != assignment.unit_id]
        text = _reminder_text(assignment, step[1], due, on, calendar)
        since = assignment.state_since.isoformat() if assignment.state_since else ""
        told = recipients(assignment, pool)
        if any(u.unit_id == assignment.unit_id for u in told):
            # The unit's step: its clerks (联络员), who track the unit's deadlines, are warned
            # too, and when it is overdue its leader (超时预警). A step of the supervising
            # office (a return to decide) is the office's alone.
            told += [u for u in by_unit.get(assignment.unit_id, [])
                     if permissions.is_unit_clerk_of(u, assignment) and u not in told]
            if kind == NotificationKind.overdue:
                told += [u for u in unit_leaders(assignment.unit) if u not in told]
        for user in told:
            key = (f"{kind.value}:{assignment.id}:{assignment.state}:{since}:"
                   f"{due.isoformat()}:{user.id}")
            reminder = Reminder(user, assignment, kind, due, text, key)
            if dry_run:
                reminder.new = not _exists(key)
            else:
                reminder.id = notify(user, kind, text, key=key, assignment=assignment)
                reminder.new = reminder.id is not None
            report.reminders.append(reminder)

    if not dry_run:
        report.people = _send_reminders(report)
    return report


def _send_reminders(report: RemindReport) -> int:
    """One message per person with the reminders of this run that are new (by the channels
    they chose for due-soon and overdue notices); returns how many people were sent one."""
    by_user: dict[int, list[Reminder]] = {}
    for reminder in report.reminders:
        if reminder.new:
            by_user.setdefault(reminder.user.id, []).append(reminder)
    base = current_app.config["PUBLIC_BASE_URL"]
    for reminders in by_user.values():
        user = reminders[0].user
        overdue = sum(1 for r in reminders if r.kind == NotificationKind.overdue)
        soon = len(reminders) - overdue
        parts = ([f"{overdue} 件已逾期"] if overdue else []) + (
            [f"{soon} 件即将到期"] if soon else [])
        lines = [f"{user.full_name}：", "", f"以下事项需要您办理（{'，'.join(parts)}）：", ""]
        for number, r in enumerate(reminders, 1):
            lines += [f"{number}. 【{r.kind.label}】{r.text}",
                      f"   {_item_url(r.assignment.proposal_id)}", ""]
        lines.append(f"全部通知：{base}/notifications")
        numbers = "、".join(f"第{r.assignment.proposal.number}号" for r in reminders[:3])
        more = "等" if len(reminders) > 3 else ""
        delivery.send(user, {r.kind for r in reminders},
                      subject=f"您有 {'，'.join(parts)}的建议提案",
                      body="\n".join(lines) + "\n",
                      sms_text=f"您有{'，'.join(parts).replace(' ', '')}的建议提案（{numbers}{more}），"
                               "请及时办理。",
                      notification_ids=[r.id for r in reminders])
    return len(by_user)


# --- reading -----------------------------------------------------------------------------

def for_user(user: User, *, unread_only: bool = False):
    """The user's notifications, newest first (a select for pagination)."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count_of(user_id):
    """The unread count as a scalar subquery (the user loader reads it with the user)."""
    return (select(func.count(Notification.id))
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .correlate_except(Notification).scalar_subquery())


def unread_count(user: User) -> int:
    return db.session.scalar(select(unread_count_of(user.id))) or 0


def own_notification(user: User, notification_id: int) -> Notification | None:
    """The notification if it is the user's (another user's is as good as missing)."""
    return db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount


# --- settings ----------------------------------------------------------------------------

def save_settings(user: User, *, channels: dict, digest: bool, quiet_from: str,
                  quiet_until: str) -> None:
    """Store the user's channels per kind ({kind: Choice}) and delivery settings (flushes)."""
    from tracker.notifications.models import NotificationPreference, NotificationSettings

    existing = {NotificationKind(p.kind): p for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind, choice in channels.items():
        row = existing.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind,
                                                  email=choice.email, sms=choice.sms))
        else:
            row.email, row.sms = choice.email, choice.sms
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id)
        db.session.add(settings)
    settings.digest, settings.quiet_from, settings.quiet_until = digest, quiet_from, quiet_until
    db.session.flush()
