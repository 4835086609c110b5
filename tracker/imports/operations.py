"""Importing a 交办清单: every row is checked first; only when all are valid are they all
registered and assigned, in the caller's transaction (these functions flush, never commit).

Each item ends exactly as registering it and assigning it on the single-item pages would
leave it (tests/imports/test_saving.py compares the two): the same checks (those of
register_proposal and assign_proposal, made for the whole file with one query per table),
the same rows (deadlines and the return window by tracker.handling.operations' deadline_for
and return_due_on, the move checked by workflow.check, the row locks taken by
workflow.lock_items and the item's state written by workflow.sync_proposal_state, nowhere
else), the same transition event to the subscribers (handling.events) and the same audit
events, one "register" and one "assign" per item, then one "import_items" for the batch.
For speed the rows are inserted in bulk and the events appended to the hash chain in one
step (tracker.audit.log.record_many); the chain still verifies
(`flask --app wsgi audit verify`).
"""
from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from tracker.accounts.models import Unit, User
from tracker.audit.log import record_many
from tracker.core.errors import PermissionDenied
from tracker.core.states import ProposalState
from tracker.core.time import today
from tracker.core.touched import items_touched
from tracker.extensions import db
from tracker.handling import events as transitions
from tracker.handling import permissions
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.operations import (
    RoleProblem,
    assignment_summary,
    co_due_on_problem,
    deadline_for,
    due_on_problem,
    meeting_deadline,
    return_due_on,
    unit_role_problems,
)
from tracker.handling.workflow import Action, check, lock_items, sync_proposal_state
from tracker.imports import parse
from tracker.imports.parse import BY_KEY, CellError, ImportRejected, Problem, Sheet, SheetRow
from tracker.letters.fields import item_number_problem
from tracker.proposals.models import CATEGORIES, Author, Disclosure, ItemKind, Meeting, Proposal
from tracker.proposals.operations import (
    authors_problem,
    kind_problem,
    number_taken,
    received_on_problem,
)
from tracker.supervision import rollup
from tracker.workdays.calendar import WorkCalendar

PHONE = re.compile(r"^[0-9+\-（）() ]*\Z")
KINDS = {
    "代表建议": ItemKind.suggestion, "建议": ItemKind.suggestion,
    "批评和意见": ItemKind.suggestion, "批评意见": ItemKind.suggestion,
    "委员提案": ItemKind.proposal, "提案": ItemKind.proposal,
}
MAX_AUTHORS = 200
# The role rules are assign_proposal's; in a spreadsheet two of them say which column to use.
IMPORT_WORDING = {
    RoleProblem.no_unit: "请填写主办单位（只按分办交办时填写「分办单位」）。",
    RoleProblem.two_leads: "主办单位只能填写一个（其他单位请填在「会办单位」或「分办单位」）。",
}
BATCH = 1000  # ids per SELECT ... WHERE id IN (...)


@dataclass
class ItemPlan:
    """One valid row, ready to be registered and assigned."""

    row: int
    meeting: Meeting
    number: str
    title: str
    authors: list[dict]
    category: str
    is_key: bool
    received_on: date
    units: list[tuple[Unit, UnitRole]]
    due_on: date | None


@dataclass
class ImportResult:
    count: int
    proposal_ids: list[int]
    # meeting name -> (meeting id, number of items)
    meetings: dict[str, tuple[int, int]] = field(default_factory=dict)


def _require_clerk(actor: User) -> None:
    if not permissions.can_register(actor):
        raise PermissionDenied("只有交办员可以批量导入交办清单。")


def upload_limit() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def import_workbook(actor: User, content: bytes, filename: str) -> ImportResult:
    """Check the whole file, then register and assign every row; raise ImportRejected with
    every problem found (nothing is written then)."""
    plans = check_workbook(actor, content, filename)
    return save_items(actor, plans, filename=filename,
                      sha256=hashlib.sha256(content).hexdigest())


def check_workbook(actor: User, content: bytes, filename: str) -> list[ItemPlan]:
    """Read and check the file without writing anything."""
    _require_clerk(actor)
    parse.check_file(content, filename, upload_limit())
    return check_rows(parse.read_sheet(content))


# -- checking -------------------------------------------------------------------------------

class _Lookup:
    """Meetings, units and the numbers already taken, loaded once for the whole file."""

    def __init__(self, sheet: Sheet):
        self.meetings = {m.name: m for m in db.session.scalars(select(Meeting))}
        self.units_by_name: dict[str, Unit] = {}
        self.units_by_short: dict[str, list[Unit]] = {}
        for unit in db.session.scalars(select(Unit).order_by(Unit.id)):
            self.units_by_name[unit.name] = unit
            if unit.short_name:
                self.units_by_short.setdefault(unit.short_name, []).append(unit)
        wanted = {parse.text(row.cells.get("meeting")) for row in sheet.rows}
        ids = [m.id for name, m in self.meetings.items() if name in wanted]
        self.taken: set[tuple[int, str]] = set()
        if ids:
            self.taken = {(meeting_id, number) for meeting_id, number in db.session.execute(
                select(Proposal.meeting_id, Proposal.number).where(Proposal.meeting_id.in_(ids)))}
        self.seen: dict[tuple[int, str], int] = {}  # (meeting id, number) -> first row
        self._calendar: WorkCalendar | None = None

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar, loaded for the first row that needs it."""
        if self._calendar is None:
            self._calendar = WorkCalendar.load()
        return self._calendar

    def unit(self, name: str) -> Unit:
        unit = self.units_by_name.get(name)
        if unit is None:
            candidates = self.units_by_short.get(name, [])
            if len(candidates) > 1:
                raise CellError(f"简称「{name}」对应多个单位（"
                                + "、".join(u.name for u in candidates) + "），请填写全称。")
            unit = candidates[0] if candidates else None
        if unit is None:
            known = [u.name for u in self.units_by_name.values()
                     if u.is_active and not u.is_supervising]
            known += [short for short, units in self.units_by_short.items()
                      if any(u.is_active and not u.is_supervising for u in units)]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"（是否为「{close[0]}」？）" if close else "（单位名称见模板的「说明」页）"
            raise CellError(f"找不到单位「{name}」{hint}。")
        if unit.is_supervising:
            raise CellError(f"「{name}」是交办单位，不能承办。")
        if not unit.is_active:
            raise CellError(f"「{name}」已停用，不能交办。")
        return unit

    def meeting_list(self) -> str:
        names = sorted(self.meetings)
        shown = "".join(f"「{n}」" for n in names[:10]) + ("等" if len(names) > 10 else "")
        return f"现有会议：{shown}" if names else "系统中还没有会议，请先新建会议"


def check_rows(sheet: Sheet) -> list[ItemPlan]:
    """Check every row against the rules of registration and assignment; raise
    ImportRejected listing every problem, or return the plans."""
    lookup = _Lookup(sheet)
    problems = list(sheet.problems)
    plans = []
    start = today()
    for row in sheet.rows:
        plan = _check_row(row, lookup, problems, start)
        if plan is not None:
            plans.append(plan)
    if problems:
        order = {c.key: i for i, c in enumerate(parse.COLUMNS)}
        by_header = {c.header: c.key for c in parse.COLUMNS}
        problems.sort(key=lambda p: (p.row or 0, order.get(by_header.get(p.column), -1)))
        raise ImportRejected(problems)
    return plans


def _check_row(row: SheetRow, lookup: _Lookup, problems: list[Problem],
               start: date) -> ItemPlan | None:
    found: list[Problem] = []

    def bad(key: str, message: str) -> None:
        found.append(Problem(row.number, BY_KEY[key].header, message))

    def value(key: str, convert=parse.text):
        """The converted cell, or None when it was reported (now or while reading)."""
        if key in row.reported:
            return None
        try:
            return convert(row.cells.get(key))
        except CellError as exc:
            bad(key, str(exc))
            return None

    # Meeting and kind.
    meeting = None
    name = value("meeting")
    if name == "":
        bad("meeting", "必须填写会议。")
    elif name is not None:
        meeting = lookup.meetings.get(name)
        if meeting is None:
            bad("meeting", f"找不到会议「{name}」。{lookup.meeting_list()}。")
    kind_text = value("kind")
    if kind_text:
        kind = KINDS.get(kind_text.replace(" ", ""))
        if kind is None:
            bad("kind", f"「{kind_text}」无法识别，请填写「代表建议」或「委员提案」。")
        elif meeting is not None and kind_problem(meeting, kind):
            bad("kind", kind_problem(meeting, kind))

    # Number: its form, then duplicates within the file and in the database.
    number = value("number")
    if number is not None:
        number = re.sub(r"^第\s*(.+?)\s*号$", r"\1", number)
        problem = item_number_problem(number)
        if problem:
            bad("number", problem)
        elif meeting is not None:
            key = (meeting.id, number)
            if key in lookup.seen:
                bad("number", f"编号 {number} 与第 {lookup.seen[key]} 行重复"
                              "（同一会议内编号不能重复）。")
            elif key in lookup.taken:
                bad("number", number_taken(meeting, number))
            else:
                lookup.seen[key] = row.number

    title = value("title")
    if title:
        title = re.sub(r"\s*\n\s*", "", title)  # lines broken with Alt+Enter in Excel
    if title == "":
        bad("title", "必须填写标题（案由）。")
    elif title is not None and len(title) > 200:
        bad("title", f"标题不能超过 200 字（现有 {len(title)} 字）。")

    authors = _authors(row, value, bad, meeting)

    category = value("category") or ""
    if category and category not in CATEGORIES:
        bad("category", f"分类「{category}」不在列表中，可选：{'、'.join(CATEGORIES)}。")

    units = _units(row, lookup, value, bad)

    due_on = value("due_on", parse.to_date)
    if due_on_problem(due_on, start):
        bad("due_on", due_on_problem(due_on, start))
    elif due_on is not None and meeting is not None and any(
            role == UnitRole.co for _, role in units):
        # assign_proposal's rule: the co units' deadline (the meeting's, a file has no column
        # for it) may not pass the lead's.
        co_due = meeting_deadline(lookup.calendar, meeting, UnitRole.co, start).due_on
        if co_due_on_problem(co_due, due_on, given=False):
            bad("due_on", f"办理期限（{due_on.isoformat()}）早于按会议规定计算的会办期限"
                          f"（{co_due.isoformat()}）：会办意见须在主办单位答复之前送达，"
                          "请放宽办理期限，或不在清单中填写会办单位、导入后再单独交办会办。")
    received_on = value("received_on", parse.to_date)
    if received_on is not None and received_on_problem(received_on, start, meeting):
        bad("received_on", received_on_problem(received_on, start, meeting))
    is_key = value("is_key", parse.to_flag)

    problems.extend(found)
    if found:
        return None
    return ItemPlan(row=row.number, meeting=meeting, number=number, title=title,
                    authors=authors, category=category, is_key=bool(is_key),
                    received_on=received_on or start, units=units, due_on=due_on)


def _authors(row: SheetRow, value, bad, meeting: Meeting | None) -> list[dict]:
    people = value("authors", parse.names)
    title = meeting.item_kind.author_title if meeting is not None else "提出人"
    result: list[dict] = []
    if people is None:
        return result
    if not people:
        bad("authors", f"至少填写一位{title}（领衔人）。" if meeting is None
            else authors_problem(meeting.item_kind, 0))
    elif len(people) > MAX_AUTHORS:
        bad("authors", f"提出人不能超过 {MAX_AUTHORS} 位。")
    for person in people:
        if len(person) > 60:
            bad("authors", f"提出人姓名「{person[:20]}…」过长（不能超过 60 字）。")
    phones = value("phones", parse.names) or []
    if len(phones) > max(len(people), 1):
        bad("phones", "电话比提出人多：请按提出人的顺序填写，用顿号分隔。")
    for phone in phones:
        if len(phone) > 40 or not PHONE.match(phone):
            bad("phones", f"电话「{phone[:40]}」只能包含数字、+、- 和括号，且不超过 40 个字符。")
    for position, person in enumerate(people):
        result.append({"name": person,
                       "phone": phones[position] if position < len(phones) else ""})
    return result


def _units(row: SheetRow, lookup: _Lookup, value, bad) -> list[tuple[Unit, UnitRole]]:
    """The units with their roles, by the rules of assign_proposal."""
    chosen: list[tuple[Unit, UnitRole]] = []
    taken: set[int] = set()
    columns = (("lead", UnitRole.lead), ("co", UnitRole.co), ("separate", UnitRole.separate))
    given = {}
    for key, role in columns:
        names = value(key, parse.names)
        given[key] = names
        if names is None:
            continue
        for name in names:
            try:
                unit = lookup.unit(name)
            except CellError as exc:
                bad(key, str(exc))
                continue
            if unit.id in taken:
                bad(key, f"单位「{name}」重复出现：一个单位在同一事项中只能承担一种角色。")
                continue
            taken.add(unit.id)
            chosen.append((unit, role))
    if any(names is None for names in given.values()):
        return chosen  # a cell was refused already: the rules below would only repeat it
    roles = [role for key, role in columns for _ in given[key]]
    for problem in unit_role_problems(roles):
        key = {RoleProblem.lead_and_separate: "separate",
               RoleProblem.co_without_lead: "co" if given["separate"] else "lead"}.get(
            problem, "lead")
        bad(key, IMPORT_WORDING.get(problem, problem.label))
    return chosen


# -- saving ---------------------------------------------------------------------------------

def save_items(actor: User, plans: list[ItemPlan], *, filename: str = "",
               sha256: str = "") -> ImportResult:
    """Register and assign every planned item (all or nothing: the caller commits or rolls
    back the one transaction)."""
    _require_clerk(actor)
    if not plans:
        return ImportResult(count=0, proposal_ids=[])
    calendar = WorkCalendar.load()
    start = today()

    # 登记: the rows register_proposal writes (its checks were made for the whole file).
    ids = _insert_returning_ids(Proposal, [dict(
        meeting_id=plan.meeting.id, kind=plan.meeting.item_kind, number=plan.number,
        title=plan.title, body="", category=plan.category, is_key=plan.is_key,
        disclosure=Disclosure.public, received_on=plan.received_on, created_by_id=actor.id,
    ) for plan in plans])
    _insert(Author, [dict(proposal_id=proposal_id, position=position, name=a["name"],
                          organisation="", phone=a["phone"], email="", address="")
                     for proposal_id, plan in zip(ids, plans)
                     for position, a in enumerate(plan.authors)])
    proposals = _load(Proposal, Proposal.id, ids)
    items_touched(db.session, ids)  # inserted around the ORM: the search index is told

    # 交办: the workflow's check of the move for each item, then the assignments as
    # assign_proposal builds them (deadlines in working days, the return window).
    return_due = return_due_on(calendar, start)
    deadlines: dict[tuple, object] = {}
    rows = []
    for proposal, plan in zip(proposals, plans):
        check(proposal, Action.assign, actor)
        for unit, role in plan.units:
            override = plan.due_on if role != UnitRole.co else None
            key = (plan.meeting.id, role, override)
            if key not in deadlines:
                deadlines[key] = deadline_for(calendar, proposal, role, start, override)
            deadline = deadlines[key]
            rows.append(dict(proposal_id=proposal.id, unit_id=unit.id, role=role,
                             assigned_on=start, due_on=deadline.due_on,
                             due_basis=deadline.basis, return_due_on=return_due,
                             assigned_by_id=actor.id, replaces_id=None))
    _insert(Assignment, rows)
    assignments: dict[int, list[Assignment]] = {}
    for assignment in _load(Assignment, Assignment.proposal_id, ids, Assignment.id):
        assignments.setdefault(assignment.proposal_id, []).append(assignment)
    lock_items(ids)
    for proposal in proposals:
        sync_proposal_state(proposal)
    # Inserted around the ORM: the dashboard's totals are told (counted before the commit).
    rollup.note(db.session, [a.id for group in assignments.values() for a in group], days=True)

    units = {unit.id: unit for plan in plans for unit, _ in plan.units}
    events = []
    for proposal, plan in zip(proposals, plans):
        events.append(dict(action="register", object_type="proposal", object_id=proposal.id,
                           proposal_id=proposal.id, details={
                               "number": plan.number, "title": plan.title,
                               "to": ProposalState.registered.value}))
        details = {"units": [assignment_summary(a, units[a.unit_id])
                             for a in assignments[proposal.id]],
                   "from": ProposalState.registered.value, "to": ProposalState.assigned.value}
        # The move's subscribers hear of it as they would from transition(), in this
        # transaction, and what they add to the details is logged with it.
        transitions.emit(transitions.Transition(
            obj=proposal, action=Action.assign, actor=actor, old_state=details["from"],
            new_state=details["to"], details=details, bulk=True))
        events.append(dict(action=Action.assign.value, object_type="proposal",
                           object_id=proposal.id, proposal_id=proposal.id, details=details))
    per_meeting = Counter(plan.meeting.name for plan in plans)
    meetings = {plan.meeting.name: (plan.meeting.id, per_meeting[plan.meeting.name])
                for plan in plans}
    events.append(dict(action="import_items", object_type="import", object_id=None,
                       proposal_id=None, details={
                           "file": filename[:200], "sha256": sha256, "items": len(plans),
                           "meetings": dict(per_meeting),
                           "first_proposal_id": ids[0], "last_proposal_id": ids[-1]}))
    record_many(actor, events)
    return ImportResult(count=len(plans), proposal_ids=ids, meetings=meetings)


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """Insert rows (column defaults apply) and return their new ids in the same order."""
    try:
        return list(db.session.scalars(
            insert(model).returning(model.id, sort_by_parameter_order=True), rows))
    except IntegrityError:
        # Someone registered one of these numbers while the file was being checked.
        raise parse.refuse("保存时发现有编号刚被他人登记，全部数据均未导入：请重新上传，"
                           "系统会列出重复的行。", column="编号") from None


def _insert(model, rows: list[dict]) -> None:
    # Without RETURNING the driver sends one prepared statement for every row (executemany),
    # much cheaper than the multi-row VALUES the unit of work builds to fetch each new id.
    if rows:
        db.session.execute(insert(model), rows)


def _load(model, column, ids: list[int], *order_by) -> list:
    """The rows whose column is one of ids, in the order of ids (then of order_by)."""
    found: dict[int, list] = {}
    for first in range(0, len(ids), BATCH):
        query = select(model).where(column.in_(ids[first:first + BATCH]))
        for obj in db.session.scalars(query.order_by(*order_by) if order_by else query):
            found.setdefault(getattr(obj, column.key), []).append(obj)
    return [obj for key in ids for obj in found.get(key, [])]
