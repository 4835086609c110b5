"""Handling operations: assign, acknowledge, return, pass on, contacts, co-handling opinions.

Each checks its input, then moves the workflow through transition(); they flush, never commit.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tracker.accounts.models import Role, Section, Unit, User
from tracker.core.enums import LabelledEnum
from tracker.core.errors import Conflict, ValidationFailed
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.files.storage import store_upload
from tracker.handling.models import (
    Assignment,
    Contact,
    ContactMethod,
    ContactStage,
    CoOpinion,
    DeadlineExtension,
    ExtensionStatus,
    OpinionStatus,
    UnitRole,
)
from tracker.handling.workflow import Action, AssignmentState, check, return_window, transition
from tracker.proposals.models import Meeting, Proposal
from tracker.workdays.calendar import Deadline, WorkCalendar


@dataclass
class UnitChoice:
    unit_id: int
    role: UnitRole


class RoleProblem(LabelledEnum):
    """A broken rule of 主办/会办/分办; the label is the message the assign page shows."""

    no_unit = "no_unit", "请至少选择一个承办单位。"
    two_leads = "two_leads", "一个事项只能有一个主办单位。"
    lead_and_separate = "lead_and_separate", "主办和分办不能同时使用：请选一个主办单位，或全部按分办交办。"
    co_without_lead = "co_without_lead", "有会办单位时必须指定主办单位。"


def unit_role_problems(roles: Sequence[UnitRole]) -> list[RoleProblem]:
    """The rules for the roles of the units handling one item (those already at work included):
    one lead at most; a lead or separate units, not both; co-handling units need a lead."""
    problems = []
    if not roles:
        problems.append(RoleProblem.no_unit)
    if roles.count(UnitRole.lead) > 1:
        problems.append(RoleProblem.two_leads)
    if UnitRole.lead in roles and UnitRole.separate in roles:
        problems.append(RoleProblem.lead_and_separate)
    if UnitRole.co in roles and UnitRole.lead not in roles:
        problems.append(RoleProblem.co_without_lead)
    return problems


# The fields of the 交办 form (and the API's body) that name the units of each role: the
# errors about units are reported on them, beside the units they concern.
UNIT_FIELDS = {UnitRole.lead: "lead_unit_id", UnitRole.co: "co_unit_ids",
               UnitRole.separate: "separate_unit_ids"}


def _problem_field(problem: RoleProblem, choices: Sequence[UnitChoice]) -> str:
    """The unit field a broken role rule is reported on: 分办 when the clerk chose 分办 units
    beside a lead, else the lead's (the unit missing or doubled is a lead)."""
    if problem == RoleProblem.lead_and_separate and any(
            c.role == UnitRole.separate for c in choices):
        return UNIT_FIELDS[UnitRole.separate]
    return UNIT_FIELDS[UnitRole.lead]


def due_on_problem(due_on: date | None, start: date, what: str = "办理期限") -> str | None:
    """A deadline set by the clerk may not lie before the day of 交办."""
    if due_on is not None and due_on < start:
        return f"{what}不能早于交办日期（{start.isoformat()}）。"
    return None


def return_due_on(calendar: WorkCalendar, start: date) -> date:
    return calendar.add_working_days(start, return_window())


def deadline_for(calendar: WorkCalendar, proposal: Proposal, role: UnitRole, start: date,
                 override: date | None) -> Deadline:
    """The deadline of a new assignment: the clerk's date, or the meeting's period in months
    (会办 has its own, shorter one) rolled past holidays."""
    if override is not None:
        return Deadline(override, f"交办员指定办理期限 {calendar.describe(override)}")
    return meeting_deadline(calendar, proposal.meeting, role, start)


def meeting_deadline(calendar: WorkCalendar, meeting: Meeting, role: UnitRole,
                     start: date) -> Deadline:
    """The meeting's period for the role (会办 has its own, shorter one) from ``start``."""
    months = meeting.co_period_months if role == UnitRole.co else meeting.reply_period_months
    return calendar.months_deadline(start, months)


def co_due_on_problem(co_due: date, lead_due: date, *, given: bool) -> str | None:
    """The 会办意见 must reach the lead unit before its reply: a co-handling deadline may not
    pass the lead's. ``given``: the clerk typed the co deadline (else it is the meeting's)."""
    if co_due <= lead_due:
        return None
    if given:
        return (f"会办期限（{co_due.isoformat()}）不能晚于主办单位的办理期限"
                f"（{lead_due.isoformat()}）：会办意见须在主办单位答复之前送达。")
    return (f"按会议规定计算的会办期限（{co_due.isoformat()}）晚于主办单位的办理期限"
            f"（{lead_due.isoformat()}），请指定不晚于 {lead_due.isoformat()} 的会办期限。")


def _new_assignment(calendar: WorkCalendar, proposal: Proposal, unit: Unit, role: UnitRole,
                    actor: User, override: date | None, replaces_id: int | None = None
                    ) -> Assignment:
    start = today()
    deadline = deadline_for(calendar, proposal, role, start, override)
    assignment = Assignment(
        proposal_id=proposal.id, unit_id=unit.id, role=role, assigned_on=start,
        due_on=deadline.due_on, due_basis=deadline.basis,
        return_due_on=return_due_on(calendar, start),
        assigned_by_id=actor.id, replaces_id=replaces_id,
    )
    db.session.add(assignment)
    return assignment


def _active_assignments(proposal: Proposal) -> list[Assignment]:
    return list(db.session.execute(
        select(Assignment).where(
            Assignment.proposal_id == proposal.id,
            Assignment.state != AssignmentState.returned.value,
        )
    ).scalars())


def _handling_unit(unit_id: int, field: str) -> Unit:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None or not unit.is_active or unit.is_supervising:
        raise ValidationFailed("承办单位无效。", {field: ["请选择一个有效的承办单位。"]})
    return unit


def assign_proposal(proposal: Proposal, actor: User, choices: list[UnitChoice], *,
                    due_on: date | None = None, co_due_on: date | None = None,
                    note: str = "") -> list[Assignment]:
    """Assign the item to units (主办/会办/分办) with deadlines in working days."""
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        if message not in errors.setdefault(field, []):
            errors[field].append(message)

    start = today()
    if not choices:
        refuse(UNIT_FIELDS[UnitRole.lead], RoleProblem.no_unit.label)
    active = _active_assignments(proposal)
    taken = {a.unit_id for a in active}
    seen: set[int] = set()
    for choice in choices:
        if choice.unit_id in seen:
            refuse(UNIT_FIELDS[choice.role], "同一单位不能重复选择。")
        elif choice.unit_id in taken:
            refuse(UNIT_FIELDS[choice.role], "所选单位中已有正在办理该事项的单位。")
        seen.add(choice.unit_id)
    roles = [c.role for c in choices] + [a.role for a in active]
    for problem in unit_role_problems(roles):
        refuse(_problem_field(problem, choices), problem.label)
    for field, value, what in (("due_on", due_on, "办理期限"), ("co_due_on", co_due_on, "会办期限")):
        problem = due_on_problem(value, start, what)
        if problem:
            errors[field] = [problem]
    units = []
    for choice in choices:
        try:
            units.append((_handling_unit(choice.unit_id, UNIT_FIELDS[choice.role]), choice.role))
        except ValidationFailed as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    refuse(field, message)
    calendar = WorkCalendar.load()
    if not errors and any(c.role == UnitRole.co for c in choices):
        if any(c.role == UnitRole.lead for c in choices):
            lead_due = deadline_for(calendar, proposal, UnitRole.lead, start, due_on).due_on
        else:  # units added later: the lead already at work keeps its deadline
            lead_due = next((a.due_on for a in active if a.role == UnitRole.lead), None)
        co_due = deadline_for(calendar, proposal, UnitRole.co, start, co_due_on).due_on
        problem = lead_due and co_due_on_problem(co_due, lead_due, given=co_due_on is not None)
        if problem:
            errors["co_due_on"] = [problem]
    if errors:
        raise ValidationFailed("交办信息有误，请按提示修改。", errors)

    created: list[Assignment] = []
    details: dict = {"note": note} if note else {}

    def create() -> None:
        for unit, role in units:
            override = co_due_on if role == UnitRole.co else due_on
            created.append(_new_assignment(calendar, proposal, unit, role, actor, override))
        db.session.flush()
        # transition() builds the event after this runs, so the units go into the log.
        details["units"] = [assignment_summary(a, unit) for a, (unit, _) in zip(created, units)]

    transition(proposal, Action.assign, actor, effect=create, details=details)
    return created


def assignment_summary(assignment: Assignment, unit: Unit) -> dict:
    return {"assignment_id": assignment.id, "unit": unit.name, "role": assignment.role.value,
            "due_on": assignment.due_on.isoformat(), "basis": assignment.due_basis}


def accept_assignment(assignment: Assignment, actor: User, *, version: int | None = None,
                      note: str = "") -> Assignment:
    """签收."""
    return transition(
        assignment, Action.accept, actor, expected_version=version,
        changes={"accepted_at": utcnow()}, details={"note": note} if note else {},
    )


def request_return(assignment: Assignment, actor: User, *, reason: str,
                   version: int | None = None) -> Assignment:
    """申请退回, with a reason, within the return window."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写退回理由。", {"reason": ["申请退回必须说明理由。"]})
    return transition(
        assignment, Action.request_return, actor, expected_version=version,
        changes={"return_reason": reason}, details={"reason": reason},
    )


def approve_return(assignment: Assignment, actor: User, *, version: int | None = None,
                   note: str = "", reassign_unit_id: int | None = None) -> Assignment | None:
    """同意退回; optionally hand the item to another unit in the same role at once."""
    new_unit = None
    if reassign_unit_id:
        new_unit = _handling_unit(reassign_unit_id, "reassign_unit_id")
        taken = {a.unit_id for a in _active_assignments(assignment.proposal)}
        if new_unit.id in taken or new_unit.id == assignment.unit_id:
            raise ValidationFailed("改交单位无效。", {
                "reassign_unit_id": ["该单位已在办理此事项（或正是申请退回的单位）。"]})
    created: list[Assignment] = []
    details: dict = {"note": note} if note else {}
    role = assignment.role
    proposal = assignment.proposal

    def reassign() -> None:
        if new_unit is None:
            return
        calendar = WorkCalendar.load()
        created.append(_new_assignment(calendar, proposal, new_unit, role, actor, None,
                                       replaces_id=assignment.id))
        db.session.flush()
        details["reassigned_to"] = assignment_summary(created[0], new_unit)

    transition(assignment, Action.approve_return, actor, expected_version=version,
               effect=reassign, details=details)
    return created[0] if created else None


def reject_return(assignment: Assignment, actor: User, *, reason: str,
                  version: int | None = None) -> Assignment:
    """不同意退回: the unit must handle the item."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写不同意退回的理由。", {"reason": ["请说明不同意退回的理由。"]})
    return transition(assignment, Action.reject_return, actor, expected_version=version,
                      details={"reason": reason})


def dispatch_assignment(assignment: Assignment, actor: User, *, section_id: int | None,
                        drafter_id: int | None, version: int | None = None) -> Assignment:
    """指定承办人: pass the item to a section and a drafter of the unit."""
    errors: dict[str, list[str]] = {}
    section = db.session.get(Section, section_id) if section_id else None
    if section is None or section.unit_id != assignment.unit_id:
        errors["section_id"] = ["请选择本单位的一个处室。"]
    drafter = db.session.get(User, drafter_id) if drafter_id else None
    if (drafter is None or drafter.unit_id != assignment.unit_id or not drafter.is_enabled
            or not drafter.has_role(Role.drafter)):
        errors["drafter_id"] = ["请选择本单位一位在用的承办人。"]
    if errors:
        raise ValidationFailed("指定承办人的信息有误，请按提示修改。", errors)
    return transition(
        assignment, Action.dispatch, actor, expected_version=version,
        changes={"section_id": section.id, "drafter_id": drafter.id},
        details={"section": section.name, "drafter": drafter.full_name,
                 "drafter_id": drafter.id},
    )


def contacted_on_problem(assignment: Assignment, contacted_on: date, on: date) -> str | None:
    """A unit contacts the author about an item it was given: on or after its 交办 date, and
    not after today."""
    if contacted_on > on:
        return "联系日期不能晚于今天。"
    if contacted_on < assignment.assigned_on:
        return f"联系日期不能早于本单位的交办日期（{assignment.assigned_on.isoformat()}）。"
    if contacted_on < assignment.proposal.received_on:
        return "联系日期不能早于该事项的收到日期。"
    return None


def record_contact(assignment: Assignment, actor: User, *, stage: ContactStage,
                   method: ContactMethod, contacted_on: date, summary: str) -> Contact:
    """Record a contact with the author (办前/办中/办后)."""
    errors: dict[str, list[str]] = {}
    summary = (summary or "").strip()
    if not summary:
        errors["summary"] = ["请填写联系情况摘要。"]
    problem = contacted_on_problem(assignment, contacted_on, today())
    if problem:
        errors["contacted_on"] = [problem]
    if errors:
        raise ValidationFailed("联系情况有误，请按提示修改。", errors)
    created: list[Contact] = []

    def add() -> None:
        contact = Contact(assignment_id=assignment.id, stage=stage, method=method,
                          contacted_on=contacted_on, summary=summary, created_by_id=actor.id)
        db.session.add(contact)
        created.append(contact)

    transition(assignment, Action.record_contact, actor, effect=add, details={
        "stage": stage.value, "method": method.value,
        "contacted_on": contacted_on.isoformat(), "summary": summary[:200],
    })
    return created[0]


def submit_opinion(assignment: Assignment, actor: User, *, text: str,
                   attachment: FileStorage | None = None,
                   version: int | None = None) -> CoOpinion:
    """A co-handling unit submits its opinion (会办意见) to its leader for approval."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写会办意见。", {"text": ["会办意见不能为空。"]})
    stored = None
    # Refuse before writing anything to disk when the move is not allowed anyway.
    check(assignment, Action.submit_opinion, actor)
    if attachment is not None and attachment.filename:
        stored = store_upload(attachment, field="attachment", proposal_id=assignment.proposal_id,
                              unit_id=assignment.unit_id, actor_id=actor.id)
    created: list[CoOpinion] = []

    def add() -> None:
        if stored is not None:
            db.session.flush()
        opinion = CoOpinion(assignment_id=assignment.id, text=text,
                            attachment_id=stored.id if stored else None,
                            submitted_by_id=actor.id, status=OpinionStatus.pending)
        db.session.add(opinion)
        db.session.flush()
        created.append(opinion)
        details["opinion_id"] = opinion.id

    details = {"text": text[:200], "attachment": stored.original_name if stored else None}
    transition(assignment, Action.submit_opinion, actor, expected_version=version, effect=add,
               details=details)
    return created[0]


def _pending_opinion(assignment: Assignment, seen_opinion_id: int | None) -> CoOpinion:
    opinion = db.session.scalar(select(CoOpinion).where(
        CoOpinion.assignment_id == assignment.id,
        CoOpinion.status == OpinionStatus.pending.value).order_by(CoOpinion.id.desc()).limit(1))
    if opinion is None:
        raise Conflict("该交办没有待审批的会办意见。")
    if seen_opinion_id is not None and seen_opinion_id != opinion.id:
        raise Conflict("待审批的会办意见在您打开之后已有变化，请刷新后重新查看。")
    return opinion


def approve_opinion(assignment: Assignment, actor: User, *, note: str = "",
                    seen_opinion_id: int | None = None,
                    version: int | None = None) -> CoOpinion:
    """The co-handling unit's leader approves its 会办意见: it goes to the lead unit, with its
    number (taken by the replies' subscriber to this move), dated today."""
    check(assignment, Action.approve_opinion, actor)
    opinion = _pending_opinion(assignment, seen_opinion_id)
    note = (note or "").strip()
    details: dict = {"opinion_id": opinion.id, **({"note": note[:500]} if note else {})}

    def decide() -> None:
        opinion.status = OpinionStatus.approved.value
        opinion.decided_by_id, opinion.decided_at = actor.id, utcnow()
        opinion.decision_note = note
        db.session.flush()

    transition(assignment, Action.approve_opinion, actor, expected_version=version,
               effect=decide, details=details)
    return opinion


def return_opinion(assignment: Assignment, actor: User, *, comment: str,
                   seen_opinion_id: int | None = None,
                   version: int | None = None) -> CoOpinion:
    """The leader returns the 会办意见 with a comment; the unit revises and submits again."""
    check(assignment, Action.return_opinion, actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed("请填写退回会办意见的理由。",
                               {"comment": ["退回时必须写明修改意见。"]})
    opinion = _pending_opinion(assignment, seen_opinion_id)

    def decide() -> None:
        opinion.status = OpinionStatus.returned.value
        opinion.decided_by_id, opinion.decided_at = actor.id, utcnow()
        opinion.decision_note = comment
        db.session.flush()

    transition(assignment, Action.return_opinion, actor, expected_version=version,
               effect=decide, details={"opinion_id": opinion.id, "comment": comment[:500]})
    return opinion


# --- deadline extension (申请延期): once per assignment, at most one month more ---------------

EXTENSION_BASIS_MAX = 300  # the length of Assignment.due_basis


def extension_limit(assignment: Assignment, calendar: WorkCalendar | None = None) -> date:
    """The latest deadline an extension may ask for: one month after the current one, rolled
    forward past rest days on the working-day calendar."""
    calendar = calendar or WorkCalendar.load()
    return calendar.months_deadline(assignment.due_on, 1).due_on


def request_extension(assignment: Assignment, actor: User, *, reason: str,
                      due_on: date | None = None, one_month: bool = False,
                      version: int | None = None) -> DeadlineExtension:
    """申请延期: the unit's clerk asks once, with a reason, for a later deadline."""
    # A second request is refused for what it is before its input is looked at.
    check(assignment, Action.request_extension, actor)
    reason = (reason or "").strip()
    calendar = WorkCalendar.load()
    current = assignment.due_on
    limit = extension_limit(assignment, calendar)
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["申请延期必须说明理由。"]
    if one_month:
        if due_on is not None and due_on != limit:
            errors["due_on"] = [f"选择了延长 1 个月（至 {limit.isoformat()}），请不要另填日期。"]
        due_on = limit
    if due_on is None:
        errors.setdefault("due_on", ["请填写延期后的期限，或选择延长 1 个月。"])
    elif due_on <= current:
        errors["due_on"] = [f"延期后的期限须晚于现期限（{current.isoformat()}）。"]
    elif due_on > limit:
        errors["due_on"] = [
            f"延期最长 1 个月：现期限 {current.isoformat()}，最晚可延至 {calendar.describe(limit)}。"]
    elif not calendar.is_workday(due_on):
        errors["due_on"] = [f"{calendar.describe(due_on)}是休息日，请选择工作日"
                            f"（如 {calendar.roll_forward(due_on).isoformat()}）。"]
    if errors:
        raise ValidationFailed("延期申请有误，请按提示修改。", errors)
    created: list[DeadlineExtension] = []

    def add() -> None:
        extension = DeadlineExtension(
            assignment_id=assignment.id, reason=reason, original_due_on=current,
            original_basis=assignment.due_basis or "", requested_due_on=due_on,
            requested_by_id=actor.id, requested_at=utcnow())
        db.session.add(extension)
        created.append(extension)

    transition(assignment, Action.request_extension, actor, expected_version=version,
               effect=add, details={"reason": reason[:500], "due_on": current.isoformat(),
                                    "requested_due_on": due_on.isoformat()})
    return created[0]


def _extended_basis(extension: DeadlineExtension, approver: User,
                    calendar: WorkCalendar) -> str:
    """How the new deadline came about, in words: the original basis, then the approval."""
    head = f"原期限 {extension.original_due_on.isoformat()}"
    if extension.original_basis:
        head += f"（{extension.original_basis}）"
    approval = (f"；经交办员 {approver.full_name} 批准延期至 "
                f"{calendar.describe(extension.requested_due_on)}")
    reason = extension.reason.replace("\n", " ")
    room = EXTENSION_BASIS_MAX - len(head) - len(approval) - len("（理由：）")
    if room < 8:  # the whole reason stays on the extension and in the log
        return (head + approval)[-EXTENSION_BASIS_MAX:]
    if len(reason) > room:
        reason = reason[:room - 1] + "…"
    return f"{head}{approval}（理由：{reason}）"


def approve_extension(assignment: Assignment, actor: User, *, note: str = "",
                      version: int | None = None) -> Assignment:
    """同意延期: the deadline becomes the date asked for; its basis says why."""
    check(assignment, Action.approve_extension, actor)
    extension = assignment.extension
    calendar = WorkCalendar.load()
    note = (note or "").strip()
    old_due, new_due = assignment.due_on, extension.requested_due_on

    def decide() -> None:
        extension.status = ExtensionStatus.approved.value
        extension.decided_by_id, extension.decided_at = actor.id, utcnow()
        extension.decision_note = note

    transition(assignment, Action.approve_extension, actor, expected_version=version,
               changes={"due_on": new_due,
                        "due_basis": _extended_basis(extension, actor, calendar)},
               effect=decide, details={"due_on": old_due.isoformat(),
                                       "new_due_on": new_due.isoformat(),
                                       **({"note": note[:500]} if note else {})})
    return assignment


def reject_extension(assignment: Assignment, actor: User, *, reason: str,
                     version: int | None = None) -> Assignment:
    """不同意延期, with a reason: the deadline stays."""
    check(assignment, Action.reject_extension, actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写不同意延期的理由。", {"reason": ["请说明不同意延期的理由。"]})
    extension = assignment.extension

    def decide() -> None:
        extension.status = ExtensionStatus.rejected.value
        extension.decided_by_id, extension.decided_at = actor.id, utcnow()
        extension.decision_note = reason

    transition(assignment, Action.reject_extension, actor, expected_version=version,
               effect=decide, details={"reason": reason[:500],
                                       "due_on": assignment.due_on.isoformat(),
                                       "requested_due_on":
                                           extension.requested_due_on.isoformat()})
    return assignment
