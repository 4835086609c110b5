"""Whose turn it is after each move of the workflow: subscribed to every transition, it tells
the people who must act next what to do, on which item, by when, with a link.

The people come from the workflow table itself (`recipients()`: whoever the table lets make
the next step, the drafter the item was passed to first), so a notice never reaches someone
who could not act on, or see, the item. The actor is never told of their own move.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import event as orm_events
from sqlalchemy import select, update

from tracker.accounts.models import User
from tracker.core.states import Action, AssignmentState, ProposalState, ReviewLevel, Satisfaction
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.events import Transition
from tracker.handling.models import Assignment, UnitRole
from tracker.notifications.choices import NotificationKind as K
from tracker.notifications.models import Notification
from tracker.notifications.operations import (
    _pool,
    item_name,
    notify_people,
    recipients,
    step_due_on,
    unit_people,
)
from tracker.proposals.models import Proposal

A = AssignmentState

# The kind of notice for whoever acts next after a move into this state.
KIND_OF_STATE = {
    A.first_review: K.to_review,
    A.second_review: K.to_review,
    A.final_review: K.to_review,
    A.awaiting_signature: K.to_sign,
    A.signed: K.to_issue,
}


# Notices that announce someone's turn on an assignment (not deadlines, urging or decisions).
TURN_KINDS = (K.assigned, K.dispatched, K.to_review, K.to_sign, K.to_issue, K.draft_returned,
              K.rehandle, K.return_request)


def _others(users: list[User], actor: User | None) -> list[User]:
    """Everyone but the actor (None: an author's rating, a move the tracker makes itself)."""
    actor_id = getattr(actor, "id", None)
    return [u for u in users if u.id != actor_id]


def _number(assignment: Assignment) -> str:
    return f"第{assignment.proposal.number}号"


def _due(assignment: Assignment) -> str:
    return step_due_on(assignment).isoformat()


def _tell(event: Transition, users: list[User], kind: K, text: str, sms_text: str,
          subject: str, assignment: Assignment | None = None) -> None:
    target = assignment if assignment is not None else event.obj
    moved = event.obj
    notify_people(_others(users, event.actor), kind, text,
                  key=(f"{kind.value}:{event.action.value}:{type(moved).__name__}{moved.id}:"
                       f"{_stamp(moved)}:{target.id}"),
                  assignment=target if isinstance(target, Assignment) else None,
                  proposal_id=event.proposal_id, subject=subject, sms_text=sms_text)


def _stamp(obj) -> str:
    """What makes this move's notice distinct from an earlier one of the same kind."""
    return str(getattr(obj, "version", "") or getattr(obj, "lock_version", ""))


def on_transition(event: Transition) -> None:
    """Subscribed to every move."""
    if event.bulk:
        if event.action == Action.assign:
            _note_bulk(event)
        return
    _handled(event)
    if isinstance(event.obj, Proposal):
        if event.action == Action.assign:
            _assigned(event, [d["assignment_id"] for d in event.details.get("units", [])])
        return
    assignment: Assignment = event.obj
    db.session.refresh(assignment)
    handler = HANDLERS.get(event.action)
    if handler is not None:
        handler(event, assignment)


def _handled(event: Transition) -> None:
    """The actor has taken their turn: their unread notices about what they acted on need
    no more attention (marked read; the list keeps them)."""
    actor_id = getattr(event.actor, "id", None)
    if actor_id is None:
        return
    column = (Notification.assignment_id if isinstance(event.obj, Assignment)
              else Notification.proposal_id)
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == actor_id, column == event.obj.id,
               Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    if isinstance(event.obj, Assignment) and event.old_state != event.new_state:
        # The turn they announced has passed (another signer signed, the clerk issued):
        # everyone's unread notices of whose turn it was are done with too.
        db.session.execute(
            update(Notification)
            .where(Notification.assignment_id == event.obj.id,
                   Notification.kind.in_(TURN_KINDS), Notification.read_at.is_(None))
            .values(read_at=utcnow()).execution_options(synchronize_session=False))


BULK = "bulk_assigned"


def _note_bulk(event: Transition) -> None:
    """A 交办 of a bulk import: noted, and told per unit once the import commits."""
    noted = db.session.info.setdefault(BULK, {"actor": getattr(event.actor, "id", None),
                                              "ids": []})
    noted["ids"].extend(d["assignment_id"] for d in event.details.get("units", []))


def listen() -> None:
    """Sum up a bulk import's 交办 for each unit just before its transaction commits."""
    if orm_events.contains(db.session, "before_commit", _tell_bulk):
        return
    orm_events.listen(db.session, "before_commit", _tell_bulk)
    orm_events.listen(db.session, "after_rollback", _forget_bulk)


def _forget_bulk(session) -> None:
    session.info.pop(BULK, None)


def _tell_bulk(session) -> None:
    noted = session.info.pop(BULK, None)
    if not noted or not noted["ids"]:
        return
    by_unit: dict[int, list[Assignment]] = {}
    for assignment in db.session.scalars(select(Assignment).where(
            Assignment.id.in_(noted["ids"])).order_by(Assignment.id)):
        by_unit.setdefault(assignment.unit_id, []).append(assignment)
    for assignments in by_unit.values():
        first = assignments[0]
        clerks = [u for u in _pool(first, None)
                  if u.is_enabled and permissions.is_unit_clerk_of(u, first)
                  and u.id != noted["actor"]]
        roles = Counter(a.role.label for a in assignments)
        parts = "，".join(f"{label} {count} 件" for label, count in roles.items())
        soonest = min(a.return_due_on for a in assignments)
        numbers = "、".join(f"第{a.proposal.number}号" for a in assignments[:5])
        more = f"等 {len(assignments)} 件" if len(assignments) > 5 else ""
        notify_people(
            clerks, K.assigned,
            f"批量交办：{first.unit.name}新收到 {len(assignments)} 件建议提案（{parts}），"
            f"包括{numbers}{more}。请在待办中逐件签收办理；如有不属于本单位职责的，请在 "
            f"{soonest.isoformat()} 前申请退回。",
            key=f"assigned_bulk:{first.unit_id}:{first.id}", subject=(
                f"批量交办 {len(assignments)} 件"),
            sms_text=f"新交办：批量交办{len(assignments)}件建议提案，请登录系统签收。")


def _assigned(event: Transition, assignment_ids: list[int]) -> None:
    """交办 (and 改交 after a return): each unit's clerks are told of the new work."""
    for assignment_id in assignment_ids:
        assignment = db.session.get(Assignment, assignment_id)
        if assignment is None:
            continue
        proposal = assignment.proposal
        if assignment.role == UnitRole.co:
            what = f"请签收并于 {assignment.due_on.isoformat()} 前提出会办意见"
        else:
            what = f"请签收办理，办理期限 {assignment.due_on.isoformat()}"
        text = (f"{item_name(proposal)}已交由{assignment.unit.name}"
                f"（{assignment.role.label}），{what}；如不属于本单位职责，请在 "
                f"{assignment.return_due_on.isoformat()} 前申请退回。")
        _tell(event, recipients(assignment), K.assigned, text,
              f"新交办：{_number(assignment)}（{assignment.role.label}），期限"
              f"{assignment.due_on.isoformat()}，请登录系统签收。",
              f"新交办：{_number(assignment)}", assignment)


def _return_requested(event: Transition, assignment: Assignment) -> None:
    reason = event.details.get("reason", "")
    _tell(event, recipients(assignment), K.return_request,
          f"{item_name(assignment.proposal)}：{assignment.unit.name}（{assignment.role.label}）"
          f"申请退回（理由：{reason}），请审核。",
          f"{assignment.unit.name}申请退回{_number(assignment)}，请审核。",
          f"退回申请待审核：{_number(assignment)}", assignment)


def _return_decided(event: Transition, assignment: Assignment) -> None:
    clerks = [u for u in _pool(assignment, None)
              if u.is_enabled and permissions.is_unit_clerk_of(u, assignment)]
    name = item_name(assignment.proposal)
    if event.action == Action.approve_return:
        text = f"{name}：交办员已同意退回，本单位不再办理该事项。"
        short = f"{_number(assignment)}已同意退回。"
        subject = f"同意退回：{_number(assignment)}"
    else:
        reason = event.details.get("reason", "")
        text = (f"{name}：交办员不同意退回（理由：{reason}），请签收办理，"
                f"办理期限 {assignment.due_on.isoformat()}。")
        short = f"{_number(assignment)}不同意退回，请签收办理。"
        subject = f"不同意退回：{_number(assignment)}"
    _tell(event, clerks, K.return_decided, text, short, subject, assignment)


def _dispatched(event: Transition, assignment: Assignment) -> None:
    drafter = db.session.get(User, assignment.drafter_id) if assignment.drafter_id else None
    if drafter is None:
        return
    if assignment.role == UnitRole.co:
        what = f"请于 {assignment.due_on.isoformat()} 前提出会办意见"
    else:
        what = f"请于 {assignment.due_on.isoformat()} 前拟写答复并送审"
    _tell(event, [drafter], K.dispatched,
          f"{item_name(assignment.proposal)}已交由您承办（{assignment.unit.name}，"
          f"{assignment.role.label}），{what}。",
          f"{_number(assignment)}已交由您承办，期限{assignment.due_on.isoformat()}。",
          f"请您承办：{_number(assignment)}", assignment)


def _opinion_submitted(event: Transition, assignment: Assignment) -> None:
    """会办意见 submitted: the co-handling unit's approvers are asked to approve it."""
    _tell(event, recipients(assignment), K.co_opinion,
          f"{item_name(assignment.proposal)}：{assignment.unit.name}（会办）的会办意见已由"
          f"{event.actor.full_name}提交，请审批，会办期限 {_due(assignment)}。",
          f"{_number(assignment)}会办意见待您审批，期限{_due(assignment)}。",
          f"会办意见待审批：{_number(assignment)}", assignment)


def _opinion_returned(event: Transition, assignment: Assignment) -> None:
    """会办意见 returned: whoever revises it (the drafter, or the clerks) is told why."""
    comment = event.details.get("comment", "")
    _tell(event, recipients(assignment), K.draft_returned,
          f"{item_name(assignment.proposal)}：{event.actor.full_name}退回了会办意见"
          f"（意见：{comment}），请修改后重新提交，会办期限 {_due(assignment)}。",
          f"{_number(assignment)}会办意见被退回修改，请登录系统查看意见。",
          f"会办意见退回修改：{_number(assignment)}", assignment)


def _opinion_in(event: Transition, assignment: Assignment) -> None:
    """会办意见 approved and sent: the lead unit's drafter (or clerks) may now send the reply
    for review."""
    for lead in assignment.proposal.assignments:
        if lead.role != UnitRole.lead or lead.state == A.returned:
            continue
        people = unit_people(lead)
        _tell(event, people, K.co_opinion,
              f"{item_name(assignment.proposal)}：会办单位{assignment.unit.name}的会办意见"
              f"{_opinion_number(assignment)}已经领导审批送达，请在答复中研究吸收。",
              f"{assignment.unit.name}已提交{_number(assignment)}会办意见。",
              f"会办意见已到：{_number(assignment)}", lead)


def _opinion_number(assignment: Assignment) -> str:
    opinion = assignment.approved_opinion
    return f"（{opinion.doc_number}）" if opinion is not None and opinion.doc_number else ""


def _cosign_override(event: Transition, assignment: Assignment) -> None:
    people = unit_people(assignment)
    _tell(event, people, K.co_opinion,
          f"{item_name(assignment.proposal)}：交办员已登记会签例外，可不待会办意见先行送审。",
          f"{_number(assignment)}已登记会签例外，可以送审。",
          f"会签例外：{_number(assignment)}", assignment)


def _next_in_chain(event: Transition, assignment: Assignment) -> None:
    """送审, 审核通过, 签发: the next reviewer, the signer, or the clerk who issues."""
    state = AssignmentState(assignment.state)
    kind = KIND_OF_STATE.get(state)
    if kind is None:
        return
    what = {K.to_review: f"请{state.label.removesuffix('中')}答复稿", K.to_sign: "请签发答复",
            K.to_issue: "答复已签发，请发文"}[kind]
    _tell(event, recipients(assignment), kind,
          f"{item_name(assignment.proposal)}（{assignment.unit.name}）：{what}，"
          f"办理期限 {_due(assignment)}。",
          f"{_number(assignment)}{what}，期限{_due(assignment)}。",
          f"{kind.label}：{_number(assignment)}", assignment)


def _draft_returned(event: Transition, assignment: Assignment) -> None:
    comment = event.details.get("comment", "")
    level = event.details.get("level")
    who = f"{ReviewLevel.label_of(level)}人" if level else "审核人"
    said = f"，意见：{comment}" if comment else ""
    _tell(event, recipients(assignment), K.draft_returned,
          f"{item_name(assignment.proposal)}：{who}{event.actor.full_name}退回修改{said}。"
          f"请修改后重新送审，办理期限 {_due(assignment)}。",
          f"{_number(assignment)}答复稿被退回修改，请登录系统查看意见。",
          f"退回修改：{_number(assignment)}", assignment)


def _supervisors(assignment: Assignment) -> list[User]:
    return [u for u in _pool(assignment, None) if u.is_enabled and permissions.is_supervisor(u)]


def _rated(event: Transition, assignment: Assignment) -> None:
    proposal = assignment.proposal
    db.session.refresh(proposal)
    if proposal.state != ProposalState.rated:
        return  # another unit's reply still awaits its ratings
    _tell(event, _supervisors(assignment), K.rated,
          f"{item_name(proposal)}：提出人评价已全部收到，可以办结。",
          f"{_number(assignment)}评价已全部收到，可以办结。",
          f"可以办结：{_number(assignment)}", assignment)


def _rehandle(event: Transition, assignment: Assignment) -> None:
    name = item_name(assignment.proposal)
    label = Satisfaction.unsatisfied.label
    _tell(event, _supervisors(assignment), K.rated,
          f"{name}：提出人评价为{label}，已退回{assignment.unit.name}重新办理，"
          f"期限 {assignment.due_on.isoformat()}。",
          f"{_number(assignment)}评价{label}，已重新办理。",
          f"{label}：{_number(assignment)}", assignment)
    _tell(event, recipients(assignment), K.rehandle,
          f"{name}：提出人对答复{label}，请重新办理并再次答复，期限 {assignment.due_on.isoformat()}。",
          f"{_number(assignment)}提出人{label}，请重新办理，期限{assignment.due_on.isoformat()}。",
          f"重新办理：{_number(assignment)}", assignment)


def _reassigned(event: Transition, assignment: Assignment) -> None:
    _return_decided(event, assignment)
    moved = event.details.get("reassigned_to")
    if moved:
        _assigned(event, [moved["assignment_id"]])


HANDLERS = {
    Action.request_return: _return_requested,
    Action.approve_return: _reassigned,
    Action.reject_return: _return_decided,
    Action.dispatch: _dispatched,
    Action.submit_opinion: _opinion_submitted,
    Action.approve_opinion: _opinion_in,
    Action.return_opinion: _opinion_returned,
    Action.override_cosign: _cosign_override,
    Action.submit_review: _next_in_chain,
    Action.approve: _next_in_chain,
    Action.sign: _next_in_chain,
    Action.return_draft: _draft_returned,
    Action.rate: _rated,
    Action.rehandle: _rehandle,
}
