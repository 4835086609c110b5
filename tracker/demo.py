"""Fictional demo data: units, one user per role, meetings and items in different states."""
from __future__ import annotations

import secrets
import string
from datetime import timedelta

import click
from flask import current_app
from sqlalchemy import update

from tracker.accounts import operations as accounts
from tracker.accounts.models import Role, User
from tracker.commitments import operations as commitments
from tracker.commitments.models import Commitment
from tracker.config import INSTANCE_DIR
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment, ContactMethod, ContactStage, UnitRole
from tracker.instructions import operations as instructions
from tracker.instructions.choices import InstructionKind, InstructionSource
from tracker.proposals import operations as proposals
from tracker.proposals.models import Body, Disclosure, Level
from tracker.publication import operations as publication_ops
from tracker.ratings import operations as ratings
from tracker.replies import letter
from tracker.replies import operations as replies
from tracker.replies.models import ReplyForm
from tracker.replies.queries import latest_draft
from tracker.signing import democa

UNITS = [
    ("吉林省人民政府办公厅", "省政府办公厅", True, ["督查室", "信息技术处"]),
    ("吉林省卫生健康委员会", "省卫生健康委", False, ["基层卫生健康处", "医政医管处", "办公室"]),
    ("吉林省人力资源和社会保障厅", "省人力资源和社会保障厅", False, ["专业技术人员管理处", "办公室"]),
    ("吉林省教育厅", "省教育厅", False, ["基础教育处", "办公室"]),
]

# The first 17 characters of each demo unit's 统一社会信用代码 (invented; the 18th is the check).
DEMO_CREDIT_BASES = ("11220000013540001", "11220000013540002", "11220000013540003",
                     "11220000013540004")


def _credit_code(base: str) -> str:
    alphabet, weights = publication_ops.CREDIT_ALPHABET, publication_ops.CREDIT_WEIGHTS
    total = sum(alphabet.index(c) * w for c, w in zip(base, weights))
    return base + alphabet[(31 - total % 31) % 31]


# username, full name, unit index, section, roles
USERS = [
    ("admin", "王建国", 0, "信息技术处", {Role.admin}),
    ("jiaoban", "赵敏", 0, "督查室", {Role.supervisor}),
    ("wjw_lly", "孙丽", 1, "办公室", {Role.unit_clerk}),
    ("wjw_cbr", "刘洋", 1, "基层卫生健康处", {Role.drafter}),
    ("wjw_cs", "陈静", 1, "基层卫生健康处", {Role.reviewer_first}),
    ("wjw_fs", "周涛", 1, "办公室", {Role.reviewer_second}),
    ("wjw_zs", "吴刚", 1, "办公室", {Role.reviewer_final}),
    ("wjw_qf", "郑伟", 1, "办公室", {Role.signer}),
    ("rsj_lly", "何芳", 2, "办公室", {Role.unit_clerk}),
    ("rsj_cbr", "马超", 2, "专业技术人员管理处", {Role.drafter}),
    # Approves the department's 会办意见 (its own prefix left empty: the default numbers them).
    ("rsj_ld", "高峰", 2, "办公室", {Role.leader}),
    ("jyt_lly", "林静", 3, "办公室", {Role.unit_clerk}),
    ("jyt_cbr", "黄磊", 3, "基础教育处", {Role.drafter}),
]


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "Demo-" + "".join(secrets.choice(alphabet) for _ in range(10))


def load() -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str]]]:
    """Create the demo data in the current transaction; return the accounts (username,
    name, roles, password) and the personal rating links of the issued reply's authors."""
    units = []
    for name, short, supervising, sections in UNITS:
        units.append(accounts.create_unit(None, name=name, short_name=short,
                                          is_supervising=supervising, sections=sections))
    db.session.flush()
    ca = democa.ensure_ca()  # a throw-away CA: each unit signs its letters with a demo key
    for unit in units:
        democa.provision(unit, ca)
    users: dict[str, User] = {}
    accounts_out = []
    for username, full_name, unit_index, section_name, roles in USERS:
        unit = units[unit_index]
        section = next(s for s in unit.sections if s.name == section_name)
        password = _password()
        users[username] = accounts.create_user(
            None, username=username, full_name=full_name, password=password, unit=unit,
            roles=roles, section=section, phone="0431-8890" + f"{len(users):04d}",
            is_demo=True,
        )
        accounts_out.append((username, full_name, "、".join(r.label for r in roles), password))

    for unit, base in zip(units, DEMO_CREDIT_BASES):
        # 政务公开: the 索引号 begins with the unit's 统一社会信用代码 (made up, with a valid check).
        publication_ops.set_unit_publication(None, unit, credit_code=_credit_code(base),
                                             index_format="")
    health = units[1]
    accounts.update_unit_settings(
        None, health, review_levels=["first", "second", "final"], allow_multi_level=False,
        principal_leader_id=users["wjw_qf"].id, closing_default=CLOSING,
        prefix_suggestion="吉卫复议字", prefix_proposal="吉卫复提字", prefix_co_opinion="吉卫会字")

    clerk = users["jiaoban"]
    year = today().year
    npc = proposals.create_meeting(clerk, level=Level.province, body=Body.npc, region="省",
                                   term=14, session=3, year=year)
    cppcc = proposals.create_meeting(clerk, level=Level.province, body=Body.cppcc, region="省",
                                     term=13, session=3, year=year)
    health, hr = units[1], units[2]
    received = today() - timedelta(days=20)

    def item(meeting, number, title, authors, **kw):
        return proposals.register_proposal(
            clerk, meeting=meeting, number=number, title=title, received_on=received,
            authors=[{"name": n, "organisation": o, "phone": p} for n, o, p in authors],
            body=kw.pop("body", f"{title}。\n一、现状与问题\n……\n二、具体建议\n……"), **kw)

    item(npc, "101", "关于完善农村养老服务体系的建议",
         [("张伟", "长春代表团", "13900000101")], category="社会保障")

    p212 = item(npc, "212", "关于加强基层卫生人才队伍建设的建议",
                [("李华", "吉林代表团", "13900000212"), ("王芳", "吉林代表团", "13900000213")],
                category="医疗卫生", is_key=True)
    _, co212 = handling.assign_proposal(p212, clerk, [
        handling.UnitChoice(health.id, UnitRole.lead),
        handling.UnitChoice(hr.id, UnitRole.co),
    ], note="请认真研究办理，按时答复。")
    # hr's drafter has written its 会办意见; it waits for the department's leader.
    handling.accept_assignment(co212, users["rsj_lly"])
    hr_section = next(s for s in hr.sections if s.name == "专业技术人员管理处")
    handling.dispatch_assignment(co212, users["rsj_lly"], section_id=hr_section.id,
                                 drafter_id=users["rsj_cbr"].id)
    handling.submit_opinion(co212, users["rsj_cbr"], text=OPINION_212)

    p305 = item(npc, "305", "关于推进城乡义务教育一体化发展的建议",
                [("陈明", "四平代表团", "13900000305")], category="教育科技")
    (a305,) = handling.assign_proposal(p305, clerk, [handling.UnitChoice(hr.id, UnitRole.lead)])
    handling.request_return(a305, users["rsj_lly"],
                            reason="该建议涉及义务教育学校布局和师资，属省教育厅职责，建议改交省教育厅主办。")

    p118 = item(npc, "118", "关于提高乡村医生待遇保障水平的建议",
                [("刘建军", "白城代表团", "13900000118")], category="医疗卫生")
    lead, co = handling.assign_proposal(p118, clerk, [
        handling.UnitChoice(health.id, UnitRole.lead),
        handling.UnitChoice(hr.id, UnitRole.co),
    ])
    handling.accept_assignment(lead, users["wjw_lly"])
    section = next(s for s in health.sections if s.name == "基层卫生健康处")
    handling.dispatch_assignment(lead, users["wjw_lly"], section_id=section.id,
                                 drafter_id=users["wjw_cbr"].id)
    handling.record_contact(lead, users["wjw_cbr"], stage=ContactStage.before,
                            method=ContactMethod.phone, contacted_on=today(),
                            summary="电话联系刘建军代表，了解乡村医生收入和养老保障方面的具体诉求。")
    handling.accept_assignment(co, users["rsj_lly"])
    # hr's 会办意见 went through its leader: returned once, revised, approved and numbered.
    handling.submit_opinion(co, users["rsj_lly"],
                            text="我厅同意主办单位意见。关于乡村医生养老保险，我厅将配合做好政策解读。")
    handling.return_opinion(co, users["rsj_ld"],
                            comment="请写明乡村医生参加养老保险的具体途径。")
    handling.submit_opinion(co, users["rsj_lly"],
                            text="我厅同意主办单位意见。关于乡村医生养老保险，可按灵活就业人员参加"
                                 "企业职工基本养老保险，我厅将配合做好政策解读。")
    handling.approve_opinion(co, users["rsj_ld"], note="同意。")
    # A first draft, ready for the drafter to send to review (the co-handling opinion is in).
    _draft(lead, users["wjw_cbr"], DRAFT_118)

    p96 = item(npc, "96", "关于加快县域医共体建设的建议",
               [("孙立新", "通化代表团", "13900000096")], category="医疗卫生")
    (a96,) = handling.assign_proposal(p96, clerk, [handling.UnitChoice(health.id, UnitRole.lead)])
    handling.accept_assignment(a96, users["wjw_lly"])
    # Backdate this one so the demo shows an overdue item.
    start = today() - timedelta(days=120)
    db.session.execute(update(Assignment).where(Assignment.id == a96.id).values(
        assigned_on=start, return_due_on=start + timedelta(days=9),
        due_on=start + timedelta(days=91),
        due_basis=f"自交办日 {start.isoformat()} 起 3 个月（演示数据）"))

    p40 = item(cppcc, "0040", "关于支持民营医疗机构高质量发展的提案",
               [("陈明", "民建界别", "13900000040"), ("周红", "民建界别", ""),
                ("郭强", "民建界别", "")], category="医疗卫生", disclosure=Disclosure.on_request)
    (a40,) = handling.assign_proposal(p40, clerk, [handling.UnitChoice(health.id, UnitRole.lead)])
    handling.accept_assignment(a40, users["wjw_lly"])

    # A draft in 初审 that 陈静 has returned once: she now sees what changed since.
    p156 = item(npc, "156", "关于加强基层医疗卫生机构药品配备的建议",
                [("赵春雨", "延边代表团", "13900000156")], category="医疗卫生")
    (a156,) = handling.assign_proposal(p156, clerk, [handling.UnitChoice(health.id,
                                                                         UnitRole.lead)])
    _prepare(a156, users, section)
    _draft(a156, users["wjw_cbr"], DRAFT_156)
    replies.submit_review(a156, users["wjw_cbr"])
    replies.return_draft(a156, users["wjw_cs"], seen_version_id=latest_draft(a156).id,
                         comment="请补充近三年基层医疗卫生机构配备药品品种数的变化，"
                                 "并写明短缺药品监测的具体做法。")
    _draft(a156, users["wjw_cbr"], DRAFT_156_REVISED, note="按初审意见补充数据和监测做法")
    replies.submit_review(a156, users["wjw_cbr"])
    # It has waited a few days (演示数据), so the pages show how long.
    db.session.execute(update(Assignment).where(Assignment.id == a156.id).values(
        state_since=utcnow() - timedelta(days=3)))

    # A reply that went the whole way: three reviews, sign-off, issue with its number.
    p87 = item(npc, "87", "关于完善乡镇卫生院人才引进政策的建议",
               [("韩雪", "松原代表团", "13900000087"), ("吕强", "松原代表团", "")],
               category="医疗卫生")
    lead87, co87 = handling.assign_proposal(p87, clerk, [
        handling.UnitChoice(health.id, UnitRole.lead),
        handling.UnitChoice(hr.id, UnitRole.co),
    ])
    handling.accept_assignment(co87, users["rsj_lly"])
    handling.submit_opinion(co87, users["rsj_lly"],
                            text="我厅支持乡镇卫生院按规定简化招聘程序，对急需紧缺人才可采取考核方式招聘。")
    handling.approve_opinion(co87, users["rsj_ld"])
    _prepare(lead87, users, section)
    _draft(lead87, users["wjw_cbr"], DRAFT_87)
    replies.submit_review(lead87, users["wjw_cbr"])
    for reviewer in ("wjw_cs", "wjw_fs", "wjw_zs"):
        replies.approve_draft(lead87, users[reviewer], seen_version_id=latest_draft(lead87).id)
    replies.sign_reply(lead87, users["wjw_qf"], seen_version_id=latest_draft(lead87).id)
    issued = letter.issue_with_letter(lead87, users["wjw_lly"], release_locks=False)
    db.session.flush()
    _commitments(issued, users, section)
    # The authors' personal rating links, as a printed 征询意见表 would carry them.
    links = [(author.name, ratings.link_url(ratings.new_link(issued, author, actor=clerk)))
             for author in p87.authors]
    _instructions(units, users, accounts_out, {"212": p212, "0040": p40, "87": p87})
    _reply_templates(units, users)
    return accounts_out, links


def _commitments(reply, users: dict[str, User], section) -> None:
    """第87号's B reply promises two things: one done, one past its day (演示数据: its day
    moved back, as if the reply had gone out months ago)."""
    done = commitments.add_commitment(
        reply, users["wjw_lly"], what="联合省人社厅出台乡镇卫生院急需紧缺人才考核招聘实施办法。",
        due_on=today() + timedelta(days=60), section_id=section.id)
    commitments.report_progress(done, users["wjw_cbr"], reported_on=today(),
                                text="实施办法已起草完成，正在征求各市（州）卫生健康委意见。")
    commitments.close_commitment(done, users["wjw_lly"], outcome="done", done_on=today(),
                                 note="《乡镇卫生院急需紧缺人才考核招聘实施办法》已印发。")
    late = commitments.add_commitment(
        reply, users["wjw_lly"], what="在松原市开展乡镇卫生院人才“县管乡用”试点。",
        due_on=today() + timedelta(days=30), section_id=section.id)
    db.session.execute(update(Commitment).where(Commitment.id == late.id)
                       .values(due_on=today() - timedelta(days=10)))


# Reply templates (答复模板) the units keep: (unit index or None for office-wide, who adds
# them, kind, name, text). The placeholders are filled from each item when applied.
REPLY_TEMPLATES = [
    (None, "admin", "opening", "通用开头语",
     "{您}在{会议名称}上提出的《{建议标题}》收悉。{经商}现答复如下："),
    (None, "admin", "closing", "通用结束语", "感谢您对我们工作的关心和支持。"),
    (1, "wjw_lly", "opening", "卫生健康类开头语",
     "{您}在{会议名称}上提出的《{建议标题}》收悉。您的建议对推动我省卫生健康事业高质量发展"
     "具有重要意义，我委高度重视，组织相关处室认真研究。{经商}现答复如下："),
    (1, "wjw_lly", "closing", "卫生健康类结束语",
     "感谢您对卫生健康工作的关心和支持，欢迎继续提出宝贵意见和建议。"),
    (1, "wjw_lly", "next_steps", "基层卫生人才（下一步工作）",
     "下一步，我委将会同省人力资源和社会保障厅等部门，继续实施基层卫生人才培养项目，"
     "落实乡村医生待遇保障政策，推动优质医疗资源下沉，不断提升基层医疗卫生服务能力。"),
    (1, "wjw_qf", "next_steps", "医保与药品（下一步工作）",
     "下一步，我委将持续做好基层医疗卫生机构药品配备使用和短缺药品监测工作，"
     "配合医保部门完善支付政策，切实减轻群众就医负担。"),
    (1, "wjw_lly", "model", "建议答复范文（A类）",
     "一、基本情况\n近年来，我委认真贯彻落实党中央、国务院和省委、省政府决策部署，"
     "围绕《{建议标题}》所提问题开展了以下工作：\n（一）完善政策措施\n……\n"
     "（二）加大投入保障\n……\n二、下一步工作\n我委将认真吸纳{代表姓名}代表的意见建议，"
     "进一步完善相关政策，推动各项措施落地见效。"),
    (2, "rsj_lly", "closing", "人社类结束语",
     "感谢您对人力资源和社会保障工作的关心和支持。"),
    (3, "jyt_lly", "closing", "教育类结束语", "感谢您对全省教育事业的关心和支持。"),
]


def _reply_templates(units, users: dict[str, User]) -> None:
    from tracker.replies import templates

    for unit_index, username, kind, name, text in REPLY_TEMPLATES:
        unit = units[unit_index] if unit_index is not None else None
        templates.create_template(unit, users[username], kind=kind, name=name, text=text)


# username, full name, unit index, section: the leaders who give instructions (领导批示)
LEADERS = [("ldps", "吴昱", 0, "督查室"), ("wjw_fgld", "李明", 1, "办公室")]


def _instructions(units, users: dict[str, User], accounts_out: list, items: dict) -> None:
    """The office's leader and health's deputy leader, with instructions given and asked."""
    for username, full_name, unit_index, section_name in LEADERS:
        unit = units[unit_index]
        users[username] = accounts.create_user(
            None, username=username, full_name=full_name, password=(password := _password()),
            unit=unit, roles={Role.leader}, phone="0431-8891" + f"{len(users):04d}",
            section=next(s for s in unit.sections if s.name == section_name), is_demo=True)
        accounts_out.append((username, full_name, Role.leader.label, password))
    clerk, leader = users["jiaoban"], users["ldps"]
    on = today() - timedelta(days=19)
    for number, units_text in (("212", "省卫健委主办、省人力资源和社会保障厅会办"),
                               ("87", "省卫健委主办、省人力资源和社会保障厅会办"),
                               ("0040", "省卫健委办理")):
        instructions.record_instruction(
            items[number], clerk, kind=InstructionKind.transfer, given_on=on,
            text=f"请鲁朗同志阅。呈请吴昱同志阅示、拟转{units_text}。",
            leader_name="省政府办公厅", source=InstructionSource.paper.value)
    # 212 waits for 吴昱's 签办意见 (his 待办); 87's he gave.
    instructions.request_instruction(items["212"], clerk, kind=InstructionKind.sign_off,
                                     leader_id=leader.id, note="拟转省卫健委主办，呈请阅示。")
    asked = instructions.request_instruction(items["87"], clerk, kind=InstructionKind.sign_off,
                                             leader_id=leader.id)
    instructions.give_instruction(asked, leader, given_on=on,
                                  text="同意。请省卫健委牵头认真办理，按时答复代表。")
    # Health's principal leader instructs on 87 and 0040; 0040 waits for the deputy too.
    for number in ("87", "0040"):
        lead = next(a for a in items[number].assignments if a.role == UnitRole.lead)
        instructions.record_instruction(
            items[number], users["wjw_qf"], kind=InstructionKind.unit_principal,
            assignment=lead, given_on=today() - timedelta(days=15),
            text="请基层卫生健康处牵头，会同医政医管处认真研究，按期答复。")
        if number == "0040":
            instructions.request_instruction(
                items[number], users["wjw_lly"], kind=InstructionKind.unit_deputy,
                assignment=lead, leader_id=users["wjw_fgld"].id, note="请分管领导阅示。")


CLOSING = "感谢您对卫生健康工作的关心和支持。"

OPINION_212 = """经研究，我厅对省卫生健康委员会主办的第212号代表建议提出如下会办意见：
一、关于基层卫生专业技术人员职称评审
我厅将会同省卫生健康委员会，继续落实基层卫生专业技术人员职称评审倾斜政策，对长期在乡镇卫生院、村卫生室工作的人员，适当放宽论文、科研等要求，突出实际工作业绩。
二、关于基层卫生人才招聘
支持乡镇卫生院按规定简化招聘程序，对急需紧缺专业人才可采取直接考核方式招聘。
以上意见，请在答复代表时研究吸收。"""

DRAFT_118 = """一、乡村医生队伍基本情况
目前全省共有在岗乡村医生约1.8万人，承担着农村居民基本医疗和基本公共卫生服务任务。
二、提高待遇保障的主要措施
（一）落实收入补助政策
1.按规定落实基本公共卫生服务补助和基本药物制度补助。
2.推动各地将一般诊疗费纳入医保支付范围。
（二）完善养老保障
经商省人力资源和社会保障厅，符合条件的乡村医生可按灵活就业人员参加企业职工基本养老保险。
三、下一步工作
我委将会同有关部门继续推动乡村医生待遇保障政策落实。"""

DRAFT_156 = """一、基本情况
我委高度重视基层医疗卫生机构药品配备工作。
二、主要措施
（一）优化药品目录
指导基层医疗卫生机构优先配备使用国家基本药物。
（二）加强供应保障
推动县域内药品统一采购、统一配送。"""

DRAFT_156_REVISED = """一、基本情况
我委高度重视基层医疗卫生机构药品配备工作。近三年，全省乡镇卫生院平均配备药品品种数由260种增加到310种。
二、主要措施
（一）优化药品目录
指导基层医疗卫生机构优先配备使用国家基本药物，允许按规定配备使用医保目录内的常用药品。
（二）加强供应保障
推动县域内药品统一采购、统一配送。
（三）做好短缺药品监测
在全部乡镇卫生院设立短缺药品监测哨点，按月报送短缺情况，及时协调解决。"""

DRAFT_87 = """一、乡镇卫生院人才引进情况
近年来，我委会同有关部门通过定向培养、公开招聘等方式，为乡镇卫生院补充了一批专业技术人员。
二、完善人才引进政策的措施
（一）简化招聘程序
对急需紧缺的医疗卫生人才，乡镇卫生院可按规定采取直接考核方式招聘。
（二）落实倾斜政策
1.职称评审向基层倾斜，在乡镇卫生院工作的人员可按规定单独评审。
2.落实乡镇工作补贴政策。
三、下一步工作
我委将继续完善基层卫生人才引进和使用政策，吸引更多人才扎根基层。"""


def _prepare(assignment: Assignment, users: dict[str, User], section) -> None:
    """签收 and 指定承办人: 刘洋 of 基层卫生健康处."""
    handling.accept_assignment(assignment, users["wjw_lly"])
    handling.dispatch_assignment(assignment, users["wjw_lly"], section_id=section.id,
                                 drafter_id=users["wjw_cbr"].id)


def _draft(assignment: Assignment, drafter: User, body: str, note: str = ""):
    latest = latest_draft(assignment)
    return replies.save_draft(
        assignment, drafter, body=body, result_class="B", reply_form=ReplyForm.written,
        disclosure=Disclosure(assignment.proposal.disclosure.value),
        base_number=latest.number if latest else None, contact_name=drafter.full_name,
        contact_phone=drafter.phone, cc="省人大人代选委\n省政府办公厅",
        closing=CLOSING, note=note)


def print_accounts(accounts_out: list[tuple[str, str, str, str]],
                   links: list[tuple[str, str]] = ()) -> None:
    """Print the demo accounts (and the demo rating links) and keep a copy under instance/
    (readable by the owner only)."""
    lines = ["演示账户（仅用于演示，生产模式拒绝启动）：", f"{'用户名':<10}{'姓名':<6}{'角色':<14}密码"]
    lines += [f"{u:<12}{n:<6}{r:<14}{p}" for u, n, r, p in accounts_out]
    if links:
        lines += ["", "已发文答复（第87号建议）的提出人评价链接（每人一个，提交后失效）："]
        lines += [f"{name}：{url}" for name, url in links]
    text = "\n".join(lines)
    click.echo(text)
    if not current_app.config.get("TESTING"):
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path = INSTANCE_DIR / "demo-accounts.txt"
        path.write_text(text + "\n", encoding="utf-8")
        path.chmod(0o600)
        click.echo(f"（已保存到 {path}）")
