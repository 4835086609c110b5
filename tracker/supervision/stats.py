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
  应答复 (the rate's denominator): main assignments already answered (any round) or whose
  deadline has passed (due_on before today); those not yet due and not answered cannot be
  late yet and are left out. 按时答复率 = 按时答复 / 应答复.
- 超期未办: not finished and due_on before today — Assignment.is_overdue (the one
  definition, tracker.handling.models), for every role.
- 满意率: main assignments whose latest rated reply was rated 满意 or 基本满意, over the
  main assignments with a rated reply. The rating is Reply.rating: the item's rating of that
  reply, aggregated from every author's answer by the administrator's rule.
- 联系率 / 见面率: main assignments with at least one contact / at least one 面商 (face)
  contact with the authors, over the main assignments.
- A/B/C: the result class of each main assignment's latest issued reply.
- 重新办理: main assignments in round 2 or later (rated 不满意 once).
- 会办意见按时: co assignments whose opinion was approved (sent) on or before their due_on.
- 催办次数: the urges (催办) of the unit's assignments in scope, every urge counted (a
  whole-unit 催办 counts once per item).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from tracker.accounts.models import Unit
from tracker.core.states import AssignmentState, ProposalState
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import return_window
from tracker.proposals.models import Meeting, Proposal
from tracker.supervision import facts as _facts  # noqa: F401  (keeps the facts up to date)
from tracker.supervision import indexes as _indexes  # noqa: F401  (declares the indexes)
from tracker.supervision import rollup
from tracker.supervision.models import COUNTERS, FigureCount, ReplyDay, Urge


def definitions() -> list[tuple[str, str]]:
    """The dashboard's definitions, with the configured return window."""
    return [(term, text.replace("{window}", str(return_window()))) for term, text in DEFINITIONS]


DEFINITIONS = [
    ("统计口径", "按承办单位统计交办件（一个单位办理一件建议提案为一件），不含已退回的交办；"
                "合计为各单位之和。主办（分办）单位负责答复，会办单位提交会办意见。"),
    ("按时签收", "在交办后 {window} 个工作日内（签收期限之前，含当日）签收。"),
    ("已答复", "主办（分办）件中已有答复发文的件数（重新办理的，第一次答复即计入）。"),
    ("按时答复", "本轮答复的发文日期不晚于答复期限（经批准延期的以延期后的期限为准；重新办理的以"
                "重新办理期限和第二次答复为准）。"),
    ("按时答复率", "按时答复 ÷ 应答复件数。应答复件数：主办（分办）件中已答复或已过答复期限（截至今日）"
                 "的件数；尚未到期且未答复的件不计入。"),
    ("超期未办", "尚未办结本单位环节（未答复、未提交会办意见），且已超过办理期限（截至今日）。"),
    ("满意率", "（满意 + 基本满意）÷ 已测评件数；以最近一次已测评答复的评价结果为准，"
              "该结果按系统设置的汇总规则由全部提出人的评价得出。"),
    ("联系率、见面率", "主办（分办）件中至少登记一次与提出人联系（见面率：至少一次面商）的件数 ÷ "
                     "主办（分办）件数。"),
    ("A/B/C 类", "最近一次已发文答复的类别标记：A 类所提问题已经解决或基本解决，B 类正在解决或"
                "列入计划逐步解决，C 类因条件限制暂时不能解决或留作参考。"),
    ("重新办理", "因评价不满意而重新办理（第二轮及以后）的件数。"),
    ("会办意见按时", "会办件中在会办期限内（含当日）提交会办意见的件数。"),
    ("催办次数", "交办员对该单位的交办件催办的次数（一并催办的，每件计一次）。"),
    ("事项件数", "“建议提案”“逾期”和“办理进度”按事项计数，与建议提案列表相同筛选条件下的件数一致；"
                "逾期事项指有任一承办单位超期未办的事项。"),
]


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
    due: int = 0  # answered or past the deadline: the denominator of 按时答复率
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
    urged: int = 0

    COUNTS = ("received", "main", "co", "accepted_on_time", "replied", "replied_on_time",
              "due", "overdue", "contacted", "face", "rated", "satisfied", "basic", "unsatisfied",
              "class_a", "class_b", "class_c", "rehandled", "co_on_time", "urged")

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def accepted_rate(self) -> float | None:
        return self.rate(self.accepted_on_time, self.received)

    @property
    def replied_rate(self) -> float | None:
        return self.rate(self.replied_on_time, self.due)

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
    query = query.where(Assignment.state != AssignmentState.returned)
    if scope.unit_id:
        query = query.where(Assignment.unit_id == scope.unit_id)
    items = _scope_items(scope)
    if items is not None:
        # IN rather than a join: the meeting's items are looked up once, not per row.
        query = query.where(Assignment.proposal_id.in_(items))
    return query


def _scope_items(scope: Scope):
    """The ids of the scope's items (its meeting, its kind) as a subquery; None: all."""
    if not (scope.meeting_id or scope.kind):
        return None
    items = select(Proposal.id)
    if scope.meeting_id:
        items = items.where(Proposal.meeting_id == scope.meeting_id)
    if scope.kind:
        items = items.where(Proposal.kind == scope.kind)
    return items


def _in_scope(query, model, scope: Scope):
    """Restrict a query over a rollup table (FigureCount, ReplyDay) to the scope."""
    if scope.unit_id:
        query = query.where(model.unit_id == scope.unit_id)
    if scope.meeting_id:
        query = query.where(model.meeting_id == scope.meeting_id)
    if scope.kind:
        query = query.where(model.kind == scope.kind)
    return query


def _assignment_counts(scope: Scope, on: date, figures: dict[int, UnitFigures]) -> None:
    """Every per-unit figure but 超期未办 from the running totals (tracker.supervision.rollup),
    by unit, role and state; 超期未办 from the open assignments past their deadline."""
    query = _in_scope(
        select(FigureCount.unit_id, FigureCount.role,
               *[func.sum(getattr(FigureCount, name)) for name in COUNTERS])
        .group_by(FigureCount.unit_id, FigureCount.role),
        FigureCount, scope)
    for unit_id, role, *values in db.session.execute(query):
        unit = figures.get(unit_id)
        if unit is None:
            continue
        row = dict(zip(COUNTERS, (int(v or 0) for v in values)))
        unit.received += row["received"]
        unit.accepted_on_time += row["accepted_on_time"]
        if role == UnitRole.co.value:
            unit.co += row["received"]
            unit.co_on_time += row["co_on_time"]
            continue
        unit.main += row["received"]
        unit.rehandled += row["later_round"]
        for name in ("replied", "replied_on_time", "rated", "satisfied", "basic", "class_a",
                     "class_b", "class_c", "contacted", "face"):
            setattr(unit, name, getattr(unit, name) + row[name])
    for unit in figures.values():
        unit.unsatisfied = unit.rated - unit.satisfied - unit.basic
    overdue = _scoped(
        select(Assignment.unit_id, func.count())
        .where(Assignment.is_overdue(on))
        .group_by(Assignment.unit_id), scope)
    for unit_id, n in db.session.execute(overdue):
        if unit_id in figures:
            figures[unit_id].overdue += n
    for unit_id, n in db.session.execute(_scoped(
            select(Assignment.unit_id, func.count())
            .where(Assignment.role != UnitRole.co, is_due_for_reply(on))
            .group_by(Assignment.unit_id), scope)):
        if unit_id in figures:
            figures[unit_id].due += n


def is_due_for_reply(on: date):
    """A main assignment that must have its reply by now: answered (any round), or past its
    deadline. Those not yet due and not answered are left out of 按时答复率."""
    return or_(Assignment.first_reply_on.is_not(None), Assignment.due_on < on)


def _urge_counts(scope: Scope, figures: dict[int, UnitFigures]) -> None:
    """催办次数 per unit, in one grouped query."""
    query = select(Urge.unit_id, func.count()).group_by(Urge.unit_id)
    if scope.unit_id:
        query = query.where(Urge.unit_id == scope.unit_id)
    items = _scope_items(scope)
    if items is not None:
        query = query.where(Urge.proposal_id.in_(items))
    for unit_id, n in db.session.execute(query):
        if unit_id in figures:
            figures[unit_id].urged += n


def _replies_per_day(scope: Scope) -> dict[date, list[int]]:
    """Replies issued per day, as [first replies, later rounds' replies], for the timeline."""
    query = _in_scope(
        select(ReplyDay.day, func.sum(ReplyDay.first_replies), func.sum(ReplyDay.later_replies))
        .group_by(ReplyDay.day), ReplyDay, scope)
    return {_as_date(day): [int(first), int(again)]
            for day, first, again in db.session.execute(query)}


def _as_date(value) -> date:
    """SQLite gives a computed date as text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def unit_figures(scope: Scope, on: date | None = None) -> list[UnitFigures]:
    """One row per handling unit (active units with nothing in scope show zeros)."""
    return _figures(scope, on or today())[0]


def _figures(scope: Scope, on: date) -> tuple[list[UnitFigures], dict[date, list[int]]]:
    """The unit rows, and the replies issued per day."""
    rollup.settle()  # this session's own changes not counted yet
    units = select(Unit.id, Unit.name, Unit.short_name, Unit.is_active).where(
        Unit.is_supervising.is_(False)).order_by(Unit.id)
    if scope.unit_id:
        units = units.where(Unit.id == scope.unit_id)
    rows = db.session.execute(units).all()
    figures = {u.id: UnitFigures(u.id, u.short_name or u.name) for u in rows}
    active = {u.id for u in rows if u.is_active}
    _assignment_counts(scope, on, figures)
    _urge_counts(scope, figures)
    days = _replies_per_day(scope)
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
            Assignment.unit_id == scope.unit_id, Assignment.state != AssignmentState.returned)))
    return query


def item_states(scope: Scope) -> list[tuple[ProposalState, int]]:
    """Items by state: the counts the item list shows with the same filters."""
    counts = {state: n for state, n in db.session.execute(_items(scope))}
    return [(s, counts.get(s.value, 0)) for s in ProposalState]


def overdue_items(scope: Scope, on: date | None = None) -> int:
    """The item list's count with 仅逾期 ticked (an assignment of any unit not finished and
    past its deadline)."""
    overdue = select(Assignment.proposal_id).where(Assignment.is_overdue(on))
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
