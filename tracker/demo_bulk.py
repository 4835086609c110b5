"""Bulk demo data: N fictional items with their whole handling history, for the dashboard and
list speed checks (`flask --app wsgi demo --items 100000`).

Rows go in with SQLAlchemy Core inserts (executemany, in batches) and explicit ids instead of
the operations, so 100,000 items take well under a minute or two. The data follows what the
workflow would produce (states derived by tracker.handling.workflow, co-handling opinions in
before the lead goes to review, gap-free document numbers in issue order, ratings aggregated
with the administrator's rule, 不满意 sent back for a second round), but no audit events are
written for these rows: their timelines are empty.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text, update

from tracker.accounts import operations as accounts
from tracker.accounts.models import Role, Unit, User, UserRole
from tracker.core.states import OpinionStatus, ReviewLevel, Satisfaction
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import (
    Assignment,
    Contact,
    ContactMethod,
    ContactStage,
    CoOpinion,
    UnitRole,
)
from tracker.handling.workflow import (
    ASSIGNMENT_TABLE,
    PROPOSAL_TABLE,
    Action,
    AssignmentState,
    ProposalState,
    derive_proposal_state,
    return_window,
)
from tracker.proposals import operations as proposal_ops
from tracker.proposals.models import CATEGORIES, Author, Body, Level, Meeting, Proposal
from tracker.ratings import queries as rating_queries
from tracker.ratings.models import Rating, RatingChannel
from tracker.replies.choices import Decision
from tracker.replies.models import DocSeries, DraftVersion, Reply, ReviewDecision, SeriesKind
from tracker.replies.operations import format_doc_number
from tracker.search import index as search_index
from tracker.supervision import facts, rollup
from tracker.workdays.calendar import WorkCalendar

BATCH = 5000

# Extra handling units, so that the per-unit figures have more than three rows.
EXTRA_UNITS = [
    ("吉林省发展和改革委员会", "省发展改革委", "吉发改"),
    ("吉林省财政厅", "省财政厅", "吉财"),
    ("吉林省交通运输厅", "省交通运输厅", "吉交"),
    ("吉林省生态环境厅", "省生态环境厅", "吉环"),
    ("吉林省农业农村厅", "省农业农村厅", "吉农"),
    ("吉林省住房和城乡建设厅", "省住房城乡建设厅", "吉建"),
    ("吉林省公安厅", "省公安厅", "吉公"),
]
# Number prefixes for the base demo's units that have none (the letters need one to issue).
PREFIXES = {"吉林省人力资源和社会保障厅": "吉人社", "吉林省教育厅": "吉教"}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红春梅玉兰海波宁斌浩宇鹏飞雪琳晨欣"
DELEGATIONS = ["长春", "吉林", "四平", "辽源", "通化", "白山", "松原", "白城", "延边", "梅河口"]
SECTORS = ["民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟", "无党派人士",
           "工商联", "科技", "教育", "医药卫生", "经济", "农业", "社会福利和社会保障"]
ACTIONS = ["加强", "完善", "推进", "支持", "加快", "优化", "规范", "提升"]
TOPICS = {
    "经济发展": ["民营经济发展环境", "县域经济", "营商环境", "中小企业融资"],
    "农业农村": ["高标准农田建设", "农村集体经济", "黑土地保护", "乡村振兴人才"],
    "城乡建设": ["老旧小区改造", "城市排水防涝", "农村供水保障", "城市停车设施"],
    "交通运输": ["农村公路养护", "城乡客运一体化", "冷链物流", "高速公路服务区"],
    "生态环境": ["秸秆综合利用", "河湖长制", "大气污染防治", "矿山生态修复"],
    "教育科技": ["城乡义务教育一体化", "职业教育产教融合", "乡村教师队伍", "科技成果转化"],
    "医疗卫生": ["基层卫生人才队伍", "县域医共体", "乡村医生待遇", "公共卫生应急能力"],
    "社会保障": ["农村养老服务体系", "灵活就业人员社保", "困难群众救助", "残疾人就业"],
    "文化旅游": ["冰雪旅游", "历史文化街区保护", "公共文化服务", "红色旅游"],
    "政法综治": ["基层社会治理", "电信网络诈骗防范", "矛盾纠纷多元化解", "法律援助"],
    "政府建设": ["政务服务一网通办", "减证便民", "基层减负", "数字政府"],
    "其他": ["边境地区发展", "对口合作", "民族团结进步", "档案信息化"],
}
# Sentences of the items' bodies and the replies (real-looking text for the search index and
# the similar-items lookup), filled with the item's topic and a place.
PROBLEMS = ["资金投入不足", "基层人才短缺", "政策落实不到位", "部门协同不够", "标准体系不健全",
            "基础设施薄弱", "群众知晓率不高", "监管手段落后", "区域发展不平衡", "信息共享不充分",
            "运行维护经费缺口大", "考核评价机制不完善"]
MEASURES = ["加大财政投入", "完善配套政策", "建立部门联席会议制度", "开展专项督查",
            "推广试点经验", "加强业务培训", "强化数字化手段", "健全长效机制", "落实属地责任",
            "引导社会资本参与", "制定地方标准", "加强宣传引导"]
PLACES = ["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市",
          "延边州", "梅河口市", "公主岭市", "长白山管委会"]
CONTACT_NOTES = ["就办理思路征求代表意见，代表表示认可。", "邀请委员实地调研，现场交流意见。",
                 "电话沟通答复内容，代表对办理情况表示满意。", "上门走访，详细介绍下一步工作安排。",
                 "座谈会听取意见，代表提出补充建议。"]
COMMENTS = ["", "", "", "答复认真，措施具体。", "希望进一步加大落实力度。", "沟通充分，感谢支持。"]


@dataclass
class UnitInfo:
    id: int
    name: str
    clerk: tuple[int, str]
    drafter: tuple[int, str]
    signer: tuple[int, str]
    reviewers: dict[str, tuple[int, str]]
    chain: list[str]
    prefixes: dict[str, str]


@dataclass
class Report:
    items: int = 0
    rows: int = 0
    seconds: float = 0.0
    meetings: list[str] = field(default_factory=list)
    index_rows: int = 0
    index_seconds: float = 0.0


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _at(day: date, rng: random.Random) -> datetime:
    """A time in office hours (08:30-17:30 China time) of day, as naive UTC."""
    minutes = rng.randint(30, 570)
    return datetime(day.year, day.month, day.day) + timedelta(minutes=minutes)


def _move(row: dict, action: Action, chain: list[str], when: datetime) -> None:
    """Take one move of the workflow's transition table: the rows get the states the
    workflow itself would give them (the review levels follow the unit's chain)."""
    target = ASSIGNMENT_TABLE[(AssignmentState(row["state"]), action)].next_state
    if callable(target):
        target = target(SimpleNamespace(state=row["state"], unit=SimpleNamespace(chain=chain)))
    if AssignmentState(target).value != row["state"]:
        row["state_since"] = when
    row["state"] = AssignmentState(target).value
    row["version"] += 1


def _item_body(rng: random.Random, topic: str, noun: str) -> str:
    place = rng.choice(PLACES)
    problems = rng.sample(PROBLEMS, 3)
    measures = rng.sample(MEASURES, 3)
    return (f"近年来，我省{topic}工作取得了积极进展，但在调研中发现，{place}等地仍存在"
            f"{problems[0]}、{problems[1]}等问题，{problems[2]}的情况也较为突出，"
            f"群众反映较为集中。\n为此{noun}：一是{measures[0]}，明确{topic}的目标任务和"
            f"责任分工；二是{measures[1]}，统筹解决{place}{topic}中的突出问题；三是"
            f"{measures[2]}，定期通报工作进展，确保各项措施落地见效。")


def _reply_body(rng: random.Random, topic: str, unit: str) -> str:
    place = rng.choice(PLACES)
    measures = rng.sample(MEASURES, 4)
    return (f"一、基本情况\n{unit}高度重视{topic}工作，近年来会同有关部门{measures[0]}，"
            f"在{place}开展试点，取得了阶段性成效。\n二、主要措施\n（一）{measures[1]}。"
            f"围绕{topic}制定工作方案，明确各地各部门职责。\n（二）{measures[2]}。"
            f"加强对{place}等地的指导，推动问题整改。\n三、下一步工作\n我们将认真研究"
            f"您提出的意见建议，{measures[3]}，持续推进{topic}工作，努力让群众有更多获得感。")


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _ensure_units(clerk: User) -> list[UnitInfo]:
    """The handling units (adding EXTRA_UNITS once) with the users the rows will name."""
    from tracker.accounts.passwords import hash_password

    existing = set(db.session.scalars(select(Unit.name)))
    missing = [u for u in EXTRA_UNITS if u[0] not in existing]
    if missing:
        # One disabled demo user per new unit: its rows need a drafter and a signer, nobody
        # needs to log in as it (the password is random and not kept).
        password_hash = hash_password("bulk-" + str(random.SystemRandom().random()))
        for name, short, _ in missing:
            unit = accounts.create_unit(None, name=name, short_name=short,
                                        sections=["办公室", "综合处"])
            user = User(username=f"bulk_{unit.id}", full_name=_name(random.Random(unit.id)),
                        unit_id=unit.id, section_id=unit.sections[0].id,
                        password_hash=password_hash, is_demo=True, is_enabled=False)
            user.set_roles({Role.unit_clerk, Role.drafter, Role.signer})
            db.session.add(user)
    prefix_of = {name: prefix for name, _, prefix in EXTRA_UNITS} | PREFIXES
    units = db.session.scalars(select(Unit).where(
        Unit.is_supervising.is_(False), Unit.is_active.is_(True)).order_by(Unit.id)).all()
    infos = []
    for unit in units:
        if not unit.prefix_suggestion and unit.name in prefix_of:
            base = prefix_of[unit.name]
            unit.prefix_suggestion, unit.prefix_proposal = base + "复议字", base + "复提字"
        users = db.session.scalars(select(User).where(User.unit_id == unit.id)
                                   .order_by(User.id)).all()
        if not users or not unit.prefix_suggestion or not unit.prefix_proposal:
            continue  # a unit nobody could work in (or that cannot issue) gets no items

        def first(*roles: Role, users=users) -> tuple[int, str]:
            user = next((u for u in users if u.has_role(*roles)), users[0])
            return user.id, user.full_name

        infos.append(UnitInfo(
            id=unit.id, name=unit.name, clerk=first(Role.unit_clerk), drafter=first(Role.drafter),
            signer=first(Role.signer),
            reviewers={level: first(role) for level, role in (
                ("first", Role.reviewer_first), ("second", Role.reviewer_second),
                ("final", Role.reviewer_final))},
            chain=unit.chain or ["first"],
            prefixes={"suggestion": unit.prefix_suggestion, "proposal": unit.prefix_proposal}))
    db.session.flush()
    if not infos:
        raise RuntimeError("没有可用的承办单位（请先加载演示数据：flask --app wsgi demo）。")
    return infos


def _meetings(clerk: User) -> list[tuple[Meeting, date]]:
    """Five meetings with the day their items came in: two last year (long finished), three
    this year (some overdue, most in progress, some just assigned)."""
    now = today()
    plans = [
        (Level.province, Body.npc, "省", 14, 2, now - timedelta(days=420)),
        (Level.province, Body.cppcc, "省", 13, 2, now - timedelta(days=410)),
        (Level.city, Body.npc, "白城市", 10, 4, now - timedelta(days=115)),
        (Level.city, Body.cppcc, "白城市", 9, 4, now - timedelta(days=50)),
        (Level.county, Body.npc, "洮南市", 19, 4, now - timedelta(days=14)),
    ]
    taken = set(db.session.scalars(select(Meeting.name)))
    result = []
    for level, body, region, term, session, received in plans:
        while proposal_ops.meeting_name(region, body, term, session) in taken:
            term += 1  # already generated once: a later term of the same body
        meeting = proposal_ops.create_meeting(
            clerk, level=level, body=body, region=region, term=term, session=session,
            year=received.year)
        taken.add(meeting.name)
        result.append((meeting, received))
    return result


class _Ids:
    """Explicit primary keys, continuing after the rows already there."""

    def __init__(self, *models):
        self.next = {m: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def __call__(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Generator:
    def __init__(self, rng: random.Random, clerk: User, units: list[UnitInfo],
                 meetings: list[Meeting]):
        self.rng = rng
        self.topics: dict[int, str] = {}  # item id -> its topic (the reply speaks of it)
        self.periods = {m.id: (m.reply_period_months, m.co_period_months) for m in meetings}
        self.clerk = clerk
        self.units = units
        self.today = today()
        self.calendar = WorkCalendar.load()
        self.rule = rating_queries.rating_rule()
        self.ids = _Ids(Proposal, Author, Assignment, Contact, CoOpinion, DraftVersion,
                        ReviewDecision, Reply, Rating)
        self.rows: dict = {}
        self.replies: list[dict] = []  # numbered and inserted at the end, in issue order
        self.ratings: list[dict] = []
        self.count = 0
        # A few units get more items than others, as in real life.
        self.unit_weights = [rng.uniform(0.5, 3.0) for _ in units]

    # -- calendar (memoised: a few hundred distinct days) --------------------------------
    @cache  # noqa: B019 — the builder lives for one command; its memo may live as long
    def months_due(self, start: date, months: int) -> date:
        return self.calendar.months_deadline(start, months).due_on

    @cache  # noqa: B019 — as above
    def workdays(self, start: date, count: int) -> date:
        return self.calendar.add_working_days(start, count)

    def add(self, model, row: dict) -> None:
        self.rows.setdefault(model, []).append(row)

    def flush(self) -> None:
        """Insert the rows gathered so far, parents first."""
        for model in (Proposal, Author, Assignment, Contact, CoOpinion, DraftVersion,
                      ReviewDecision):
            rows = self.rows.pop(model, [])
            if rows:
                db.session.execute(insert(model.__table__), rows)
                self.count += len(rows)

    # -- one item ----------------------------------------------------------------------
    def item(self, meeting: Meeting, number: str, received: date) -> None:
        rng, kind = self.rng, meeting.item_kind
        category = rng.choice(CATEGORIES)
        topic = rng.choice(TOPICS[category])
        noun = "建议" if kind.value == "suggestion" else "提案"
        proposal_id = self.ids(Proposal)
        self.topics[proposal_id] = topic
        disclosure = _pick(rng, {"public": 80, "on_request": 15, "not_public": 5})
        proposal = {
            "id": proposal_id, "meeting_id": meeting.id, "kind": kind.value, "number": number,
            "title": f"关于{rng.choice(ACTIONS)}{topic}的{noun}",
            "body": _item_body(random.Random(proposal_id), topic, noun),
            "category": category, "is_key": rng.random() < 0.03, "disclosure": disclosure,
            "received_on": received, "state": ProposalState.registered.value, "lock_version": 0,
            "closed_at": None, "closed_by_id": None, "handling_grade": "", "grade_comment": "",
            "created_by_id": self.clerk.id, "created_at": _at(received, rng),
        }
        authors = self.authors(proposal_id, kind.value, rng)
        assigned_on = received + timedelta(days=rng.randint(2, 12))
        if assigned_on > self.today or rng.random() < 0.004:
            self.add(Proposal, proposal)  # still waiting to be assigned
            return
        assignments = self.assign(proposal, authors, assigned_on)
        proxies = [SimpleNamespace(state=a["state"], role=UnitRole(a["role"]), round=a["round"])
                   for a in assignments]
        derived = derive_proposal_state(proxies)
        if derived == ProposalState.rated and rng.random() < 0.7:
            last = max(a["state_since"] for a in assignments).date()
            closed = last + timedelta(days=rng.randint(3, 30))
            if closed <= self.today:
                # 办结 by the supervising office, with its grade.
                derived = PROPOSAL_TABLE[(derived, Action.close)].next_state
                proposal.update(closed_at=_at(closed, rng), closed_by_id=self.clerk.id,
                                handling_grade=_pick(rng, {"good": 70, "fair": 25, "poor": 5}))
                if proposal["handling_grade"] == "poor":
                    proposal["grade_comment"] = "答复内容空泛，未与提出人充分沟通。"
        proposal["state"] = derived.value
        proposal["lock_version"] = len(assignments) + 1
        self.add(Proposal, proposal)

    def authors(self, proposal_id: int, kind: str, rng: random.Random) -> list[int]:
        group = (rng.choice(DELEGATIONS) + "代表团") if kind == "suggestion" \
            else (rng.choice(SECTORS) + "界别")
        count = _pick(rng, {1: 60, 2: 25, 3: 10, 4: 5})
        ids = []
        for position in range(count):
            author_id = self.ids(Author)
            ids.append(author_id)
            self.add(Author, {
                "id": author_id, "proposal_id": proposal_id, "position": position,
                "name": _name(rng), "organisation": group,
                "phone": f"139{rng.randint(0, 99999999):08d}" if position == 0 else "",
                "email": "", "address": ""})
        return ids

    def assign(self, proposal: dict, authors: list[int], on: date) -> list[dict]:
        rng = self.rng
        pattern = _pick(rng, {"lead": 66, "lead+co": 24, "separate": 8, "lead+2co": 2})
        picks = rng.choices(range(len(self.units)), weights=self.unit_weights, k=6)
        chosen = list(dict.fromkeys(picks))
        if len(chosen) < 3:
            chosen += [i for i in range(len(self.units)) if i not in chosen]
        units = [self.units[i] for i in chosen]
        roles = {"lead": ["lead"], "lead+co": ["lead", "co"], "lead+2co": ["lead", "co", "co"],
                 "separate": ["separate", "separate"]}[pattern]
        reply_months, co_months = self.periods[proposal["meeting_id"]]
        plan = [(self.ids(Assignment), unit, role) for unit, role in zip(units, roles)]
        # Co-handling opinions first: the lead goes to review only once they are in.
        co_done = []
        rows = {}
        for assignment_id, unit, role in sorted(plan, key=lambda x: x[2] != "co"):
            if role == "co":
                row, opinion_on = self.co_assignment(assignment_id, proposal, unit, on,
                                                     co_months)
                co_done.append(opinion_on)
            else:
                row = self.main_assignment(assignment_id, proposal, unit, role, on,
                                           reply_months, authors, co_done)
            rows[assignment_id] = row
        ordered = [rows[assignment_id] for assignment_id, _, _ in plan]
        for row in ordered:
            self.add(Assignment, row)
        return ordered

    def base(self, assignment_id: int, proposal: dict, unit: UnitInfo, role: str, on: date,
             months: int) -> dict:
        return {
            "id": assignment_id, "proposal_id": proposal["id"], "unit_id": unit.id,
            "role": role, "state": AssignmentState.assigned.value, "version": 1,
            "assigned_at": _at(on, self.rng),
            "assigned_on": on, "due_on": self.months_due(on, months),
            "due_basis": f"自交办日 {on.isoformat()} 起 {months} 个月（批量演示数据）",
            "return_due_on": self.workdays(on, return_window()),
            "assigned_by_id": self.clerk.id,
            "accepted_at": None, "section_id": None, "drafter_id": None, "return_reason": "",
            "replaces_id": None, "state_since": _at(on, self.rng), "cosign_override_reason": "",
            "round": 1, "review_cycle": 0,
        }

    def accept(self, row: dict) -> date | None:
        """签收, mostly within the 7 working days; None when it has not happened yet."""
        rng = self.rng
        late = rng.random() < 0.08
        days = rng.randint(11, 25) if late else rng.randint(0, 8)
        day = row["assigned_on"] + timedelta(days=days)
        if day > self.today:
            return None
        row["accepted_at"] = _at(day, rng)
        _move(row, Action.accept, [], row["accepted_at"])
        return day

    def co_assignment(self, assignment_id, proposal, unit, on, months
                      ) -> tuple[dict, date | None]:
        rng = self.rng
        row = self.base(assignment_id, proposal, unit, "co", on, months)
        accepted = self.accept(row)
        if accepted is None:
            return row, None
        opinion_on = accepted + timedelta(days=rng.randint(3, 40))
        if opinion_on > self.today:
            return row, None
        when = _at(opinion_on, rng)
        _move(row, Action.submit_opinion, [], when)
        # The unit's signer approves it the same day (unnumbered: bulk rows take no numbers).
        _move(row, Action.approve_opinion, [], when)
        self.add(CoOpinion, {
            "id": self.ids(CoOpinion), "assignment_id": row["id"],
            "text": "我单位同意主办单位意见，将按职责配合做好相关工作。", "attachment_id": None,
            "submitted_by_id": unit.clerk[0], "submitted_at": when,
            "status": OpinionStatus.approved.value, "decided_by_id": unit.signer[0],
            "decided_at": when, "decision_note": "", "doc_number": None})
        return row, opinion_on

    def main_assignment(self, assignment_id, proposal, unit, role, on, months, authors,
                        co_done) -> dict:
        rng = self.rng
        row = self.base(assignment_id, proposal, unit, role, on, months)
        accepted = self.accept(row)
        if accepted is None:
            return row
        dispatched = accepted + timedelta(days=rng.randint(0, 5))
        if dispatched > self.today:
            return row
        row["drafter_id"] = unit.drafter[0]
        _move(row, Action.dispatch, unit.chain, _at(dispatched, rng))
        # How long this unit takes to reply: most within the period, some late.
        span = (row["due_on"] - on).days
        reply_day = on + timedelta(days=int(span * rng.uniform(0.35, 1.0 if rng.random() < 0.88
                                                                 else 1.35)))
        self.contacts(row, unit, dispatched, reply_day)
        self.handle_round(row, unit, proposal, authors, 1, dispatched, reply_day, co_done)
        return row

    def contacts(self, row: dict, unit: UnitInfo, start: date, reply_day: date) -> None:
        rng = self.rng
        if rng.random() < 0.25:
            return
        end = min(self.today, reply_day + timedelta(days=20))
        for _ in range(_pick(rng, {1: 55, 2: 30, 3: 15})):
            day = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
            if day > self.today:
                continue
            stage = "before" if day <= start + timedelta(days=10) else (
                "after" if day > reply_day else "during")
            method = _pick(rng, {"face": 30, "phone": 40, "meeting": 10, "visit": 10,
                                 "written": 8, "other": 2})
            self.add(Contact, {
                "id": self.ids(Contact), "assignment_id": row["id"],
                "stage": ContactStage(stage).value, "method": ContactMethod(method).value,
                "contacted_on": day,
                "summary": f"{ContactMethod(method).label}联系提出人，{ContactStage(stage).label}沟通办理情况："
                           + random.Random(row["id"] * 7 + day.toordinal()).choice(CONTACT_NOTES),
                "created_by_id": unit.drafter[0], "created_at": _at(day, rng)})

    def handle_round(self, row, unit, proposal, authors, round_no, start, reply_day,
                     co_done) -> None:
        """Draft, review, sign, issue and rating of one round, as far as today allows."""
        rng = self.rng
        draft_day = start + timedelta(days=max(1, (reply_day - start).days // 2))
        if draft_day > self.today:
            return
        draft_id = self.ids(DraftVersion)
        self.add(DraftVersion, {
            "id": draft_id, "assignment_id": row["id"], "number": round_no, "round": round_no,
            "body": _reply_body(random.Random(draft_id), self.topics.get(proposal["id"], "相关"),
                                unit.name),
            "result_class": _pick(rng, {"A": 45, "B": 40, "C": 15}),
            "reply_form": _pick(rng, {"written": 85, "face": 10, "meeting": 5}),
            "disclosure": proposal["disclosure"], "contact_name": unit.drafter[1],
            "contact_phone": "0431-88900000", "cc": "", "closing": "", "salutation": "",
            "opening": "", "source": "form", "note": "", "created_by_id": unit.drafter[0],
            "created_at": _at(draft_day, rng)})
        # 会签: no review before every co-handling opinion is in.
        if any(d is None for d in co_done):
            return
        submit = max([draft_day + timedelta(days=1)] + [d + timedelta(days=1) for d in co_done])
        step_days = max(1, (reply_day - submit).days // (len(unit.chain) + 2))
        if submit > self.today:
            return
        row["review_cycle"] = 1
        _move(row, Action.submit_review, unit.chain, _at(submit, rng))
        day, names = submit, {}
        for level in unit.chain:
            day = day + timedelta(days=rng.randint(1, step_days))
            if day > self.today:
                return
            reviewer = unit.reviewers[level]
            names[level] = reviewer[1]
            self.decision(row, round_no, level, draft_id, reviewer, day)
            _move(row, Action.approve, unit.chain, _at(day, rng))
        day = day + timedelta(days=rng.randint(1, step_days))
        if day > self.today:
            return
        self.decision(row, round_no, ReviewLevel.sign, draft_id, unit.signer, day)
        signed_at = _at(day, rng)
        reply = {
            "id": self.ids(Reply), "assignment_id": row["id"], "round": round_no,
            "draft_version_id": draft_id, "first_reviewer": names.get("first", ""),
            "second_reviewer": names.get("second", ""), "final_reviewer": names.get("final", ""),
            "signer_id": unit.signer[0], "signer_name": unit.signer[1], "signed_at": signed_at,
            "series_id": None, "series_number": None, "doc_number": None, "issued_at": None,
            "issued_by_id": None, "pdf_name": None, "pdf_sha256": None, "pdf_size": None,
            "verify_code": None, "signed_by_cert": "", "rating": None, "rated_at": None,
            "_unit": unit, "_kind": proposal["kind"]}
        self.replies.append(reply)
        _move(row, Action.sign, unit.chain, signed_at)
        day = max(day, reply_day) if rng.random() < 0.5 else day + timedelta(days=1)
        if day > self.today:
            return
        issued_at = _at(day, rng)
        reply.update(issued_at=issued_at, issued_by_id=unit.clerk[0])
        _move(row, Action.issue, unit.chain, issued_at)
        self.rate(row, reply, unit, proposal, authors, round_no, day)

    def decision(self, row, round_no, level, draft_id, who, day) -> None:
        self.add(ReviewDecision, {
            "id": self.ids(ReviewDecision), "assignment_id": row["id"], "round": round_no,
            "cycle": 1, "level": level, "decision": Decision.approve, "comment": "",
            "draft_version_id": draft_id, "reviewer_id": who[0], "reviewer_name": who[1],
            "decided_at": _at(day, self.rng)})

    def rate(self, row, reply, unit, proposal, authors, round_no, issued_on) -> None:
        """The authors' ratings; 不满意 sends the assignment into a second round."""
        rng = self.rng
        if rng.random() < 0.08:
            return  # not every author has answered yet
        verdicts = []
        day = issued_on
        for author_id in authors:
            day = issued_on + timedelta(days=rng.randint(5, 40))
            if day > self.today:
                return
            verdict = Satisfaction(_pick(rng, {"satisfied": 80, "basic": 16, "unsatisfied": 4}
                                         if round_no == 1 else {"satisfied": 70, "basic": 30}))
            verdicts.append(verdict)
            low, high = verdict.band
            paper = rng.random() < 0.4
            self.ratings.append({
                "id": self.ids(Rating), "reply_id": reply["id"], "author_id": author_id,
                "handling": verdict.value, "result": verdict.value,
                "handling_score": rng.randint(low, high), "result_score": rng.randint(low, high),
                "contacted": True, "contact_method": ContactMethod.face, "comments": rng.choice(COMMENTS),
                "channel": (RatingChannel.paper if paper else RatingChannel.online).value,
                "request_id": None, "entered_by_id": self.clerk.id if paper else None,
                "scan_id": None, "created_at": _at(day, rng)})
        outcome = rating_queries.aggregate(verdicts, self.rule)
        rated_at = _at(day, rng)
        reply.update(rating=outcome.value, rated_at=rated_at)
        if outcome != Satisfaction.unsatisfied:
            _move(row, Action.rate, unit.chain, rated_at)
            return
        # 重新办理: back to drafting with a new one-month deadline, then a second reply.
        due = self.months_due(day, 1)
        _move(row, Action.rehandle, unit.chain, rated_at)
        row.update(round=round_no + 1, review_cycle=0,
                   due_on=max(due, row["assigned_on"]),
                   due_basis=f"评价不满意，重新办理：自重新办理日 {day.isoformat()} 起 1 个月（批量演示数据）")
        reply_day = day + timedelta(days=rng.randint(10, 40))
        self.handle_round(row, unit, proposal, authors, round_no + 1, day, reply_day, [])

    # -- the end: replies and ratings, numbered in issue order -------------------------
    def finish(self) -> None:
        self.flush()
        series: dict[tuple[int, str, int], list[dict]] = {}
        for reply in self.replies:
            if reply["issued_at"] is not None:
                key = (reply["_unit"].id, reply["_kind"], reply["issued_at"].year)
                series.setdefault(key, []).append(reply)
        table = DocSeries.__table__
        for (unit_id, kind, year), replies in series.items():
            row = db.session.execute(select(table.c.id, table.c.last_number).where(
                table.c.unit_id == unit_id, table.c.kind == kind, table.c.year == year)).first()
            if row is None:
                series_id = db.session.execute(insert(table).values(
                    unit_id=unit_id, kind=SeriesKind(kind).value, year=year, last_number=0)
                    .returning(table.c.id)).scalar_one()
                last = 0
            else:
                series_id, last = row
            prefix = replies[0]["_unit"].prefixes[kind]
            for reply in sorted(replies, key=lambda r: r["issued_at"]):
                last += 1
                reply.update(series_id=series_id, series_number=last,
                             doc_number=format_doc_number(prefix, year, last))
            db.session.execute(update(table).where(table.c.id == series_id)
                               .values(last_number=last))
        rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.replies]
        for model, data in ((Reply, rows), (Rating, self.ratings)):
            for start in range(0, len(data), BATCH):
                db.session.execute(insert(model.__table__), data[start:start + BATCH])
            self.count += len(data)


def _reset_sequences(models) -> None:
    """PostgreSQL: move each id sequence past the explicit ids just inserted."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        name = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))


def generate(count: int, *, seed: int = 20261123, progress=None) -> Report:
    """Add count items to the database in the current transaction (the caller commits)."""
    started = time.perf_counter()
    clerk = db.session.scalar(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.supervisor).order_by(User.id).limit(1))
    if clerk is None:
        raise RuntimeError("没有交办员账户（请先加载演示数据：flask --app wsgi demo）。")
    rng = random.Random(seed)
    units = _ensure_units(clerk)
    meetings = _meetings(clerk)
    gen = Generator(rng, clerk, units, [m for m, _ in meetings])
    report = Report(meetings=[m.name for m, _ in meetings])
    # Items in received order across the meetings, numbered within each meeting.
    numbers = {m.id: 0 for m, _ in meetings}
    for done in range(count):
        meeting, received = meetings[done % len(meetings)]
        numbers[meeting.id] += 1
        n = numbers[meeting.id]
        number = f"{n:04d}" if meeting.body == Body.cppcc else str(n)
        gen.item(meeting, number, received + timedelta(days=rng.randint(0, 10)))
        if (done + 1) % BATCH == 0:
            gen.flush()
            if progress:
                progress(done + 1)
    gen.finish()
    # The rows went in around the ORM, so the supervision facts and totals are computed here.
    facts.refresh_all()
    rollup.rebuild()
    _reset_sequences([Proposal, Author, Assignment, Contact, CoOpinion, DraftVersion,
                      ReviewDecision, Reply, Rating])
    # The search index, built from every item (the rows went in around the ORM's events).
    built = search_index.rebuild()
    report.index_rows, report.index_seconds = built["rows"], built["seconds"]
    # Fresh planner statistics: the tables just grew by orders of magnitude. Named tables: a
    # bare ANALYZE inside a transaction would lock every table of the whole database, other
    # schemas' too (a migration dropping one of them then deadlocks with it).
    if db.session.get_bind().dialect.name == "postgresql":
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        db.session.execute(text(f"ANALYZE {tables}"))
    else:
        db.session.execute(text("ANALYZE"))  # the file is the database
    report.items = count
    report.rows = gen.count
    report.seconds = time.perf_counter() - started
    return report
