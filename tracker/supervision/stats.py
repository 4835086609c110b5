"""The supervision figures (督办统计), computed in SQL with one GROUP BY per table.

Definitions (the dashboard prints the same in Chinese, DEFINITIONS below). Every figure
counts assignments (one unit × one item) in scope — meeting, kind, unit — leaving out those
the unit had returned (退回); the 合计 row adds the units' figures up.

- 收到件数: the unit's assignments. 主办（分办）: roles lead and separate (they write replies);
  会办: role co (they send opinions).
- 按时签收: acknowledged (签收) on or before return_due_on, the 7th working day after the
  assignment (China time of accepted_at).
- 已答复: main assignments with an issued reply (any round). 按时答复: the reply of the
  assignment's current round was issued on or before due_on. due_on is the deadline of the
  current round (an approved extension moves it; after 不满意 it is the re-handling
  deadline, so a re-handled assignment counts as on time when its second reply is).
  按时答复率 = 按时答复 / 主办（分办）.
- 超期未办: not finished (FINISHED_STATES of the workflow) and due_on before today — the
  workflow's is_overdue(), for every role.
- 满意率: main assignments whose latest rated reply was rated 满意 or 基本满意, over the
  main assignments with a rated reply. The rating is Reply.rating: the item's rating of that
  reply, aggregated from every author's answer by the administrator's rule.
- 联系率 / 见面率: main assignments with at least one contact / at least one 面商 (face)
  contact with the authors, over the main assignments.
- A/B/C: the result class of each main assignment's latest issued reply.
- 重新办理: main assignments in round 2 or later (rated 不满意 once).
- 会办意见按时: co assignments whose opinion was submitted on or before their due_on.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from sqlalchemy import Boolean, Date, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from tracker.accounts.models import Unit
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment, CoOpinion, Contact, ContactMethod, UnitRole
from tracker.handling.workflow import FINISHED_STATES, AssignmentState, ProposalState
from tracker.proposals.models import Meeting, Proposal
from tracker.ratings.models import Satisfaction
from tracker.replies.models import DraftVersion, Reply
from tracker.supervision import indexes as _indexes  # noqa: F401  (declares the indexes)

FINISHED = sorted(s.value for s in FINISHED_STATES)
UNFINISHED = sorted(s.value for s in AssignmentState if s not in FINISHED_STATES)

DEFINITIONS = [
    ("统计口径", "按承办单位统计交办件（一个单位办理一件建议提案为一件），不含已退回的交办；"
                "合计为各单位之和。主办（分办）单位负责答复，会办单位提交会办意见。"),
    ("按时签收", "在交办后 7 个工作日内（签收期限之前，含当日）签收。"),
    ("已答复", "主办（分办）件中已有答复发文的件数（重新办理的，第一次答复即计入）。"),
    ("按时答复", "本轮答复的发文日期不晚于答复期限（经批准延期的以延期后的期限为准；重新办理的以"
                "重新办理期限和第二次答复为准）。按时答复率 = 按时答复 ÷ 主办（分办）件数。"),
    ("超期未办", "尚未办结本单位环节（未答复、未提交会办意见），且已超过办理期限（截至今日）。"),
    ("满意率", "（满意 + 基本满意）÷ 已测评件数；以最近一次已测评答复的评价结果为准，"
              "该结果按系统设置的汇总规则由全部提出人的评价得出。"),
    ("联系率、见面率", "主办（分办）件中至少登记一次与提出人联系（见面率：至少一次面商）的件数 ÷ "
                     "主办（分办）件数。"),
    ("A/B/C 类", "最近一次已发文答复的类别标记：A 类所提问题已经解决或基本解决，B 类正在解决或"
                "列入计划逐步解决，C 类因条件限制暂时不能解决或留作参考。"),
    ("重新办理", "因评价不满意而重新办理（第二轮及以后）的件数。"),
    ("会办意见按时", "会办件中在会办期限内（含当日）提交会办意见的件数。"),
    ("事项件数", "“建议提案”“逾期”和“办理进度”按事项计数，与建议提案列表相同筛选条件下的件数一致；"
                "逾期事项指有任一承办单位超期未办的事项。"),
]


class local_date(FunctionElement):
    """The China-time date of a naive UTC timestamp column."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return "date(%s, '+8 hours')" % compiler.process(element.clauses, **kw)


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    return "CAST((%s + INTERVAL '8 hours') AS DATE)" % compiler.process(element.clauses, **kw)


class on_or_before(FunctionElement):
    """True when a naive UTC timestamp falls on or before a date in China time.

    Written as a comparison of the timestamp itself (before 16:00 UTC of the date), so no
    function runs on each row: SQLite compares its ISO text, PostgreSQL the timestamps.
    """

    type = Boolean()
    inherit_cache = True


@compiles(on_or_before, "sqlite")
def _on_or_before_sqlite(element, compiler, **kw):
    moment, day = (compiler.process(c, **kw) for c in element.clauses)
    return f"({moment} < {day} || ' 16:00:00')"


@compiles(on_or_before)
def _on_or_before_default(element, compiler, **kw):
    moment, day = (compiler.process(c, **kw) for c in element.clauses)
    return f"({moment} < {day} + INTERVAL '16 hours')"


@dataclass
class Scope:
    """What the figures cover: a meeting, a kind, a unit (None: all)."""

    meeting_id: int | None = None
    kind: str | None = None
    unit_id: int | None = None


@dataclass
class UnitFigures:
    unit_id: int | None
    unit_name: str
    received: int = 0
    main: int = 0
    co: int = 0
    accepted_on_time: int = 0
    replied: int = 0
    replied_on_time: int = 0
    overdue: int = 0
    contacted: int = 0
    face: int = 0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    class_a: int = 0
    class_b: int = 0
    class_c: int = 0
    rehandled: int = 0
    co_on_time: int = 0

    COUNTS = ("received", "main", "co", "accepted_on_time", "replied", "replied_on_time",
              "overdue", "contacted", "face", "rated", "satisfied", "basic", "unsatisfied",
              "class_a", "class_b", "class_c", "rehandled", "co_on_time")

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def accepted_rate(self) -> float | None:
        return self.rate(self.accepted_on_time, self.received)

    @property
    def replied_rate(self) -> float | None:
        return self.rate(self.replied_on_time, self.main)

    @property
    def satisfied_total(self) -> int:
        return self.satisfied + self.basic

    @property
    def satisfaction_rate(self) -> float | None:
        return self.rate(self.satisfied_total, self.rated)

    @property
    def contact_rate(self) -> float | None:
        return self.rate(self.contacted, self.main)

    @property
    def face_rate(self) -> float | None:
        return self.rate(self.face, self.main)

    @property
    def classified(self) -> int:
        return self.class_a + self.class_b + self.class_c


@dataclass
class Week:
    start: date
    first: int = 0  # first replies issued this week
    again: int = 0  # replies of later rounds (re-handling)
    first_total: int = 0
    progress: float | None = None  # first replies so far / main assignments

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass
class Dashboard:
    scope: Scope
    on: date
    units: list[UnitFigures]
    total: UnitFigures
    states: list[tuple[ProposalState, int]]
    items: int
    overdue_items: int
    weeks: list[Week] = field(default_factory=list)


def _count_if(condition):
    """COUNT(*) FILTER (WHERE condition): on both databases, and cheaper than SUM(CASE …)
    on SQLite."""
    return func.count().filter(condition)


def _scoped(query, scope: Scope):
    """Restrict a query over Assignment to the scope."""
    query = query.where(Assignment.state != "returned")
    if scope.unit_id:
        query = query.where(Assignment.unit_id == scope.unit_id)
    if scope.meeting_id or scope.kind:
        # IN rather than a join: the meeting's items are looked up once, not per row.
        items = select(Proposal.id)
        if scope.meeting_id:
            items = items.where(Proposal.meeting_id == scope.meeting_id)
        if scope.kind:
            items = items.where(Proposal.kind == scope.kind)
        query = query.where(Assignment.proposal_id.in_(items))
    return query


# A main assignment's current round has an issued reply exactly in these states (the
# workflow leaves 已答复 only by a rating: 已评价, or back to drafting in the next round).
ISSUED_STATES = ("replied", "rated")


def _assignment_counts(scope: Scope, on: date, figures: dict[int, UnitFigures]) -> None:
    """Received, acknowledged on time, overdue, re-handled, replied: grouped by unit, state
    and role over the assignments alone (the workflow state says whether a reply went out)."""
    query = _scoped(
        select(Assignment.unit_id, Assignment.state, Assignment.role,
               func.count(Assignment.id).label("n"),
               _count_if(on_or_before(Assignment.accepted_at, Assignment.return_due_on))
               .label("accepted_on_time"),
               _count_if(Assignment.due_on < on).label("past_due"),
               _count_if(Assignment.round > 1).label("later_round"))
        .group_by(Assignment.unit_id, Assignment.state, Assignment.role), scope)
    for row in db.session.execute(query):
        unit = figures.get(row.unit_id)
        if unit is None:
            continue
        main = row.role != UnitRole.co
        unit.received += row.n
        unit.accepted_on_time += row.accepted_on_time
        if row.state not in FINISHED:
            unit.overdue += row.past_due
        if main:
            unit.main += row.n
            unit.rehandled += row.later_round
            # Replied at least once: this round's reply is out, or an earlier round's was.
            unit.replied += row.n if row.state in ISSUED_STATES else row.later_round
        else:
            unit.co += row.n


def _reply_counts(scope: Scope, figures: dict[int, UnitFigures]) -> dict[date, list[int]]:
    """On-time replies, ratings and result classes, from the issued replies; also the
    replies issued per day ([first replies, later rounds' replies]) for the timeline, from
    the same pass over the replies (grouped by unit and day)."""
    this_round = Reply.round == Assignment.round
    issued_now = Assignment.state.in_(ISSUED_STATES)
    # The latest issued reply: this round's once issued, else the previous round's.
    latest = case((issued_now, this_round), else_=Reply.round == Assignment.round - 1)
    day = local_date(Reply.issued_at)
    query = _scoped(
        select(Assignment.unit_id, day.label("day"), func.count().label("n"),
               _count_if(Reply.round > 1).label("later"),
               _count_if(and_(this_round, issued_now,
                              on_or_before(Reply.issued_at, Assignment.due_on)))
               .label("replied_on_time"),
               # Every rated assignment had its first reply rated (later rounds follow a
               # 不满意); its latest rating is this round's when there is one, else 不满意.
               _count_if(and_(Reply.round == 1, Reply.rating.is_not(None))).label("rated"),
               _count_if(and_(this_round, Reply.rating == Satisfaction.satisfied.value))
               .label("satisfied"),
               _count_if(and_(this_round, Reply.rating == Satisfaction.basic.value))
               .label("basic"),
               *[_count_if(and_(latest, DraftVersion.result_class == c)).label(f"class_{c}")
                 for c in "ABC"])
        .select_from(Reply)
        .join(Assignment, Assignment.id == Reply.assignment_id)
        .join(DraftVersion, DraftVersion.id == Reply.draft_version_id)
        .where(Reply.issued_at.is_not(None))
        .group_by(Assignment.unit_id, day), scope)
    days: dict[date, list[int]] = {}
    per_unit: dict[int, list[int]] = {}
    # One row per unit and day: a few thousand at most, added up as plain tuples.
    for unit_id, day_value, n, later, *counts in db.session.execute(query):
        day_counts = days.setdefault(day_value, [0, 0])
        day_counts[0] += n - later
        day_counts[1] += later
        sums = per_unit.setdefault(unit_id, [0] * len(counts))
        for i, value in enumerate(counts):
            sums[i] += value
    for unit_id, (on_time, rated, satisfied, basic, a, b, c) in per_unit.items():
        unit = figures.get(unit_id)
        if unit is not None:
            unit.replied_on_time += on_time
            unit.rated += rated
            unit.satisfied += satisfied
            unit.basic += basic
            unit.unsatisfied += rated - satisfied - basic
            unit.class_a, unit.class_b, unit.class_c = (
                unit.class_a + a, unit.class_b + b, unit.class_c + c)
    # SQLite gives the computed date as text.
    return {date.fromisoformat(d) if isinstance(d, str) else d: v for d, v in days.items()}


def _contact_counts(scope: Scope, figures: dict[int, UnitFigures]) -> None:
    """Main assignments with a contact, and with a face-to-face (面商) one."""
    per_assignment = (
        select(Contact.assignment_id,
               func.max(case((Contact.method == ContactMethod.face, 1), else_=0)).label("face"))
        .group_by(Contact.assignment_id).subquery())
    query = _scoped(
        select(Assignment.unit_id, func.count().label("contacted"),
               func.coalesce(func.sum(per_assignment.c.face), 0).label("face"))
        .select_from(per_assignment)
        .join(Assignment, Assignment.id == per_assignment.c.assignment_id)
        .where(Assignment.role != UnitRole.co)
        .group_by(Assignment.unit_id), scope)
    for row in db.session.execute(query):
        unit = figures.get(row.unit_id)
        if unit is not None:
            unit.contacted += row.contacted
            unit.face += row.face


def _opinion_counts(scope: Scope, figures: dict[int, UnitFigures]) -> None:
    """Co-handling assignments whose opinion went to the lead unit on time."""
    query = _scoped(
        select(Assignment.unit_id, func.count(func.distinct(Assignment.id)).label("n"))
        .select_from(CoOpinion)
        .join(Assignment, Assignment.id == CoOpinion.assignment_id)
        .where(on_or_before(CoOpinion.submitted_at, Assignment.due_on))
        .group_by(Assignment.unit_id), scope)
    for row in db.session.execute(query):
        unit = figures.get(row.unit_id)
        if unit is not None:
            unit.co_on_time += row.n


def unit_figures(scope: Scope, on: date | None = None) -> list[UnitFigures]:
    """One row per handling unit (active units with nothing in scope show zeros)."""
    return _figures(scope, on or today())[0]


def _figures(scope: Scope, on: date) -> tuple[list[UnitFigures], dict[date, list[int]]]:
    """The unit rows, and the replies issued per day."""
    units = select(Unit.id, Unit.name, Unit.short_name, Unit.is_active).where(
        Unit.is_supervising.is_(False)).order_by(Unit.id)
    if scope.unit_id:
        units = units.where(Unit.id == scope.unit_id)
    rows = db.session.execute(units).all()
    figures = {u.id: UnitFigures(u.id, u.short_name or u.name) for u in rows}
    active = {u.id for u in rows if u.is_active}
    _assignment_counts(scope, on, figures)
    days = _reply_counts(scope, figures)
    _contact_counts(scope, figures)
    _opinion_counts(scope, figures)
    return [f for f in figures.values() if f.unit_id in active or f.received], days


def add_up(rows: list[UnitFigures], name: str = "合计") -> UnitFigures:
    total = UnitFigures(None, name)
    for key in UnitFigures.COUNTS:
        setattr(total, key, sum(getattr(r, key) for r in rows))
    return total


def _items(scope: Scope):
    """The items in scope, as the item list filters them: every item for the supervising
    office, those with a unit's (not returned) assignment when a unit is chosen — for a
    unit's own users that is also what they may see (handling.permissions)."""
    query = select(Proposal.state, func.count(Proposal.id)).group_by(Proposal.state)
    if scope.meeting_id:
        query = query.where(Proposal.meeting_id == scope.meeting_id)
    if scope.kind:
        query = query.where(Proposal.kind == scope.kind)
    if scope.unit_id:
        # IN rather than the list's EXISTS: the unit's assignments drive the query.
        query = query.where(Proposal.id.in_(select(Assignment.proposal_id).where(
            Assignment.unit_id == scope.unit_id, Assignment.state != "returned")))
    return query


def item_states(scope: Scope) -> list[tuple[ProposalState, int]]:
    """Items by state: the counts the item list shows with the same filters."""
    counts = {state: n for state, n in db.session.execute(_items(scope))}
    return [(s, counts.get(s.value, 0)) for s in ProposalState]


def overdue_items(scope: Scope, on: date | None = None) -> int:
    """The item list's count with 仅逾期 ticked (an assignment of any unit not finished and
    past its deadline)."""
    overdue = select(Assignment.proposal_id).where(
        Assignment.state.in_(UNFINISHED), Assignment.due_on < (on or today()))
    query = _items(scope).where(Proposal.id.in_(overdue))
    return sum(n for _, n in db.session.execute(query))


def weekly(days: dict[date, list[int]], main_total: int) -> list[Week]:
    """Replies issued per week (Monday to Sunday): first replies and later rounds' replies,
    with the running total of first replies and its share of the main assignments."""
    weeks: dict[date, Week] = {}
    for day, (first, again) in days.items():
        week = weeks.setdefault(day - timedelta(days=day.weekday()),
                                Week(day - timedelta(days=day.weekday())))
        week.first += first
        week.again += again
    if not weeks:
        return []
    # Every week from the first reply to the last, empty ones too: a timeline has no gaps.
    result, running, start = [], 0, min(weeks)
    while start <= max(weeks):
        week = weeks.get(start) or Week(start)
        running += week.first
        week.first_total = running
        week.progress = running / main_total if main_total else None
        result.append(week)
        start += timedelta(days=7)
    return result


def dashboard(scope: Scope, on: date | None = None) -> Dashboard:
    on = on or today()
    units, days = _figures(scope, on)
    total = add_up(units)
    states = item_states(scope)
    return Dashboard(
        scope=scope, on=on, units=units, total=total, states=states,
        items=sum(n for _, n in states), overdue_items=overdue_items(scope, on),
        weeks=weekly(days, total.main))


def scope_labels(scope: Scope) -> dict[str, str]:
    """The scope in words, for titles and spreadsheets."""
    from tracker.proposals.models import ItemKind

    meeting = db.session.get(Meeting, scope.meeting_id) if scope.meeting_id else None
    unit = db.session.get(Unit, scope.unit_id) if scope.unit_id else None
    return {
        "会议": meeting.name if meeting else "全部会议",
        "类别": ItemKind(scope.kind).label if scope.kind else "全部类别",
        "承办单位": unit.name if unit else "全部承办单位",
    }


def figures_as_dict(figures: UnitFigures) -> dict:
    return {f.name: getattr(figures, f.name) for f in fields(figures)}
