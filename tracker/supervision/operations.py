"""催办: the supervising office urges a unit on one assignment, or on all its overdue ones.

Each urge is a row (tracker.supervision.models.Urge), an audit event on the item's timeline
(action "urge") and a notice to the unit's clerks, its leader and the drafter. These
functions flush, never commit.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Unit, User
from tracker.audit import log as audit
from tracker.core.errors import PermissionDenied, ValidationFailed
from tracker.core.time import to_local, utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.notifications.choices import NotificationKind
from tracker.notifications.operations import item_name, notify_people, unit_clerks, unit_leaders
from tracker.proposals.models import Proposal
from tracker.supervision import permissions
from tracker.supervision.models import URGE_MESSAGE_MAX, Urge

NO_OVERDUE = "该单位没有超期未办的事项，无需催办。"


def _clean(message: str) -> str:
    message = (message or "").strip()
    if not message:
        raise ValidationFailed("请填写催办意见。", {"message": ["请填写催办意见。"]})
    if len(message) > URGE_MESSAGE_MAX:
        raise ValidationFailed("催办意见过长。", {
            "message": [f"催办意见不能超过 {URGE_MESSAGE_MAX} 个字。"]})
    return message


def recipients(assignment: Assignment) -> list[User]:
    """Who hears of an urge: the unit's clerks, its leader, and the drafter if one is set."""
    clerks = unit_clerks(assignment.unit_id)
    people = clerks + unit_leaders(assignment.unit)
    if assignment.drafter is not None:
        people.append(assignment.drafter)
    return people


def _record(assignment: Assignment, actor: User, message: str, batch_id: int | None,
            *, tell: bool = True) -> Urge:
    urge = Urge(assignment_id=assignment.id, proposal_id=assignment.proposal_id,
                unit_id=assignment.unit_id, message=message, urged_by_id=actor.id,
                urged_at=utcnow(), batch_id=batch_id)
    db.session.add(urge)
    db.session.flush()
    proposal = assignment.proposal
    unit = assignment.unit
    audit.record("urge", actor=actor, object_type="assignment", object_id=assignment.id,
                 proposal_id=proposal.id, details={
                     "urge_id": urge.id, "unit": unit.name, "message": message,
                     "due_on": assignment.due_on.isoformat()})
    due = assignment.due_on.isoformat()
    text = (f"{actor.unit.name if actor.unit else '交办单位'}催办：{item_name(proposal)}，"
            f"承办单位 {unit.name}，办理期限 {due}。催办意见：{message}")
    # The SMS leaves out the message, which may name the item (SMS passes an outside gateway).
    sms_text = f"交办员催办{proposal.display_number}，期限{due}，请抓紧办理并登录系统查看催办意见。"
    if tell:
        notify_people(recipients(assignment), NotificationKind.urge, text, key=f"urge:{urge.id}",
                      assignment=assignment, subject=f"催办：{proposal.display_number}",
                      sms_text=sms_text)
    return urge


def _tell_batch(urges: list[Urge], actor: User, message: str) -> None:
    """One notice per person for a whole-unit urge, listing their items (not one per item)."""
    items: dict[int, tuple[User, list[Urge]]] = {}
    for urge in urges:
        for person in recipients(urge.assignment):
            items.setdefault(person.id, (person, []))[1].append(urge)
    office = actor.unit.name if actor.unit else "交办单位"
    for person, theirs in items.values():
        numbers = "、".join(u.proposal.display_number for u in theirs[:5])
        more = f"等 {len(theirs)} 件" if len(theirs) > 5 else f"共 {len(theirs)} 件"
        unit = theirs[0].unit.name
        text = (f"{office}催办：{unit}超期未办的建议提案{numbers}{more}，请抓紧办理。"
                f"催办意见：{message}")
        notify_people([person], NotificationKind.urge, text,
                      key=f"urge_batch:{urges[0].batch_id}",
                      proposal_id=theirs[0].proposal_id if len(theirs) == 1 else None,
                      subject=f"催办：超期未办 {len(theirs)} 件",
                      sms_text=f"交办员催办本单位超期未办建议提案{len(theirs)}件，"
                               "请抓紧办理并登录系统查看催办意见。")


def urge_assignment(assignment: Assignment, actor: User, message: str) -> Urge:
    """Urge the unit on one assignment that is still running."""
    if not permissions.can_urge(actor, assignment):
        raise PermissionDenied("只有交办员可以催办尚未办结的交办件。")
    return _record(assignment, actor, _clean(message), None)


def overdue_assignments(unit: Unit, on: date | None = None) -> list[Assignment]:
    """The unit's assignments past their deadline and not finished, earliest deadline first."""
    return list(db.session.scalars(
        select(Assignment).join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Assignment.unit_id == unit.id, Assignment.is_overdue(on))
        .options(selectinload(Assignment.proposal).selectinload(Proposal.meeting))
        .order_by(Assignment.due_on, Proposal.id)))


def urge_unit(unit: Unit, actor: User, message: str, on: date | None = None) -> list[Urge]:
    """Urge the unit on all its overdue assignments at once (one batch, one 督办函)."""
    if not permissions.can_urge_unit(actor):
        raise PermissionDenied("只有交办员可以催办。")
    message = _clean(message)
    assignments = overdue_assignments(unit, on)
    if not assignments:
        raise ValidationFailed(NO_OVERDUE)
    urges = []
    for assignment in assignments:
        urge = _record(assignment, actor, message, urges[0].batch_id if urges else None,
                       tell=False)
        if not urges:
            urge.batch_id = urge.id
            db.session.flush()
        urges.append(urge)
    _tell_batch(urges, actor, message)
    return urges


def urges_of_letter(urge: Urge) -> list[Urge]:
    """The urges one 督办函 lists: the whole batch, or the one urge."""
    if urge.batch_id is None:
        return [urge]
    return list(db.session.scalars(
        select(Urge).where(Urge.batch_id == urge.batch_id).order_by(Urge.id)))


def urged_on(urge: Urge) -> date:
    """The day (China time) the urge was made."""
    return to_local(urge.urged_at).date()


def recent_letters(unit: Unit, limit: int = 10) -> list[tuple[Urge, int]]:
    """The unit's latest 督办函: (its first urge, how many items it lists), newest first."""
    letters: dict[int, list] = {}
    for urge in db.session.scalars(select(Urge).where(Urge.unit_id == unit.id)
                                   .options(selectinload(Urge.proposal), selectinload(Urge.urged_by))
                                   .order_by(Urge.id.desc()).limit(limit * 20)):
        key = urge.batch_id or urge.id
        if key not in letters and len(letters) >= limit:
            continue
        entry = letters.setdefault(key, [urge, 0])
        entry[0] = urge if urge.id < entry[0].id else entry[0]
        entry[1] += 1
    return [(first, n) for first, n in letters.values()]
