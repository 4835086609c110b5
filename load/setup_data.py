"""Build the load test's database: migrations, the demo, bulk items, and per-unit work.

Run by load/run.py in development mode against a freshly created PostgreSQL database:

    TRACKER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/tracker_load \
    TRACKER_INSTANCE_DIR=/tmp/tracker-load/instance \
    .venv/bin/python load/setup_data.py --users 50 --stock 12 --bulk 3000 --out accounts.json

Every simulated user gets an account of its own, so that no two of them ever act on the same
assignment: each load unit has one clerk (签收, 指定承办人, 发文), one drafter (撰写答复, 送审), one reviewer
per level (初审, 复审, 终审) and one signer (签发); a few supervising clerks read the item list
and the dashboard. Each load unit gets a demo certificate and seal, so that 发文 renders, signs
and stores a letter as in production.

With --probes (the saturation mode), two more units each have only a clerk and a to-do list of
a chosen length (10 and 300 items waiting for 签收 by default): the same page measured with a
short and a long list. Their accounts have the roles "todo_short" and "todo_long" and take
part in nothing else. The work waiting for them is
made through the app's operations (so it is in the audit chain) and, for volume, by the bulk
generator. Afterwards the demo accounts are disabled and the demo CA is no longer trusted, so
that the app starts in production mode.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNIT_ROLES = ("clerk", "drafter", "first", "second", "final", "signer")
CHINESE = "一二三四五六七八九十"

DRAFT = """一、基本情况
我单位高度重视该建议的办理工作，组织有关处室认真研究。
二、主要措施
（一）完善工作机制
1.明确责任分工，建立定期调度制度。
2.加强与有关部门的沟通协调。
（二）加大支持力度
统筹安排资金，推动有关政策落地见效。
三、下一步工作
我单位将继续抓好落实，及时向代表反馈办理进展。"""


def plan(users: int) -> tuple[int, int]:
    """(supervising readers, load units) for this many simulated users."""
    supervisors = max(1, users // 10)
    units = max(1, math.ceil((users - supervisors) / len(UNIT_ROLES)))
    return supervisors, units


def unit_name(n: int) -> str:
    label = CHINESE[n - 1] if n <= 10 else str(n)
    return f"负载测试第{label}厅"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--stock", type=int, default=12,
                        help="items per unit waiting at each step (签收, 指定承办人, 撰写, 初审, 复审, "
                             "终审, 签发, 发文)")
    parser.add_argument("--probes", default="",
                        help="SHORT,LONG: two more units whose clerk has SHORT and LONG items "
                             "waiting for 签收 (the to-do page's cost against its length)")
    parser.add_argument("--bulk", type=int, default=3000, help="bulk demo items for volume")
    parser.add_argument("--emails", action="store_true",
                        help="give the simulated users e-mail addresses once the work is made "
                             "(their moves then send mail through the job queue)")
    parser.add_argument("--out", required=True, help="where to write the accounts (JSON)")
    args = parser.parse_args()

    import flask_migrate

    from tracker import create_app

    app = create_app()
    if app.config["ENV"] != "development":
        raise SystemExit("setup_data.py loads demo data: run it with TRACKER_ENV=development")
    with app.app_context():
        started = time.perf_counter()
        flask_migrate.upgrade()
        accounts = build(args)
        print(f"setup: done in {time.perf_counter() - started:.1f} s")
    out = Path(args.out)
    out.write_text(json.dumps(accounts, ensure_ascii=False, indent=1), encoding="utf-8")
    out.chmod(0o600)


def build(args) -> list[dict]:
    from sqlalchemy import select

    from tracker import demo, demo_bulk
    from tracker.accounts import operations as accounts
    from tracker.accounts.models import Role, Unit, User
    from tracker.extensions import db
    from tracker.similar import stored

    t = time.perf_counter()
    demo.load()  # the base demo: units, one user per role, items in every state
    db.session.commit()
    print(f"setup: demo data ({time.perf_counter() - t:.1f} s)")

    password = "Load-" + secrets.token_urlsafe(12)
    n_supervisors, n_units = plan(args.users)
    office = db.session.scalar(select(Unit).where(Unit.is_supervising.is_(True)))
    section = office.sections[0]
    out: list[dict] = []
    readers: list[dict] = []
    supervisors = []
    for i in range(1, n_supervisors + 1):
        user = accounts.create_user(
            None, username=f"load_jb{i:02d}", full_name=f"交办员{CHINESE[(i - 1) % 10]}",
            password=password, unit=office, section=section, roles={Role.supervisor})
        supervisors.append(user)
        readers.append({"username": user.username, "password": password, "role": "supervisor",
                        "unit": office.name})
    admin = accounts.create_user(
        None, username="load_admin", full_name="负载测试管理员", password=password, unit=office,
        roles={Role.admin})

    units: list[tuple[Unit, dict[str, User]]] = []
    role_of = {"clerk": Role.unit_clerk, "drafter": Role.drafter,
               "first": Role.reviewer_first, "second": Role.reviewer_second,
               "final": Role.reviewer_final, "signer": Role.signer}
    for n in range(1, n_units + 1):
        unit = accounts.create_unit(None, name=unit_name(n), short_name=f"负载{n}厅",
                                    sections=["办公室", "综合处"])
        people: dict[str, User] = {}
        for role in UNIT_ROLES:
            people[role] = accounts.create_user(
                None, username=f"load_u{n:02d}_{role}", full_name=f"{role}{n:02d}",
                password=password, unit=unit, section=unit.sections[1],
                roles={role_of[role]}, phone=f"0431-8{n:03d}{UNIT_ROLES.index(role):04d}")
        accounts.update_unit_settings(
            None, unit, review_levels=["first", "second", "final"], allow_multi_level=False,
            principal_leader_id=None, closing_default="感谢您对我们工作的关心和支持。",
            prefix_suggestion=f"吉负{CHINESE[(n - 1) % 10]}{n:02d}复议字",
            prefix_proposal=f"吉负{CHINESE[(n - 1) % 10]}{n:02d}复提字",
            prefix_co_opinion=f"吉负{CHINESE[(n - 1) % 10]}{n:02d}会字")
        units.append((unit, people))
    db.session.commit()
    out = interleave(units, readers, password)
    # 发文 signs the letter with the unit's key and seal (a demo certificate, as the demo's;
    # production mode refuses only a trusted demo root, removed below).
    from tracker.signing import democa

    ca = democa.ensure_ca()
    for unit, _ in units:
        democa.provision(unit, ca)
    db.session.commit()

    if args.bulk:
        t = time.perf_counter()
        report = demo_bulk.generate(args.bulk)
        db.session.commit()
        print(f"setup: {report.items} bulk items, {report.rows} rows "
              f"({time.perf_counter() - t:.1f} s)")

    t = time.perf_counter()
    made = make_stock(supervisors[0], units, args.stock)
    print(f"setup: {made} items through the operations ({time.perf_counter() - t:.1f} s)")
    if args.probes:
        t = time.perf_counter()
        short, long = (int(n) for n in args.probes.split(","))
        out += make_probes(supervisors[0], password, short, long, first_number=made + 1)
        print(f"setup: to-do probes with {short} and {long} items "
              f"({time.perf_counter() - t:.1f} s)")

    # Each item's similar list, as production has it: the queue's consumer ranks a registered
    # item's list, and `flask similar fill` the lists of a bulk load (else every first view of
    # an item page would rank it, and the run would measure those).
    t = time.perf_counter()
    filled = stored.fill()
    print(f"setup: similar lists of {filled} items ({time.perf_counter() - t:.1f} s)")

    if args.emails:
        # After the stock, so that only the run's own moves send mail (not a backlog of the
        # setup's notices).
        names = {a["username"] for a in out}
        for user in db.session.scalars(select(User).where(User.username.in_(names))).all():
            accounts.update_user(admin, user, full_name=user.full_name, unit=user.unit,
                                 section=user.section, roles=user.roles, phone=user.phone,
                                 email=f"{user.username}@load.example.gov.cn", is_enabled=True)
        db.session.commit()

    # Production refuses to start while a demo account is usable or the demo CA is trusted.
    for user in db.session.scalars(select(User).where(User.is_demo.is_(True),
                                                     User.is_enabled.is_(True))).all():
        accounts.update_user(admin, user, full_name=user.full_name, unit=user.unit,
                             section=user.section, roles=user.roles, phone=user.phone,
                             email=user.email, is_enabled=False)
    db.session.commit()
    from flask import current_app

    demo_root = Path(current_app.config["SIGNING_DIR"]) / "trust" / "demo-ca.pem"
    demo_root.unlink(missing_ok=True)
    return out


def interleave(units, readers: list[dict], password: str) -> list[dict]:
    """The accounts in the order the simulated users take them: every run of len(UNIT_ROLES)
    accounts has each role once (from different units), and one supervisor in ten, so that
    4, 8 or 16 users of the saturation mode are a fair sample of the mix."""
    ordered: list[dict] = []
    n = len(units)
    for block in range(n):
        for r, role in enumerate(UNIT_ROLES):
            unit, people = units[(block + r) % n]
            ordered.append({"username": people[role].username, "password": password,
                            "role": role, "unit": unit.name})
    out: list[dict] = []
    readers = list(readers)
    for account in ordered:
        if readers and len(out) % 10 == 9:
            out.append(readers.pop(0))
        out.append(account)
    return out + readers


def make_probes(clerk, password: str, short: int, long: int, first_number: int) -> list[dict]:
    """Two units with only a clerk, SHORT and LONG items waiting for their 签收."""
    from tracker.accounts import operations as accounts
    from tracker.accounts.models import Role
    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.handling import operations as handling
    from tracker.handling.models import UnitRole
    from tracker.proposals import operations as proposals
    from tracker.proposals.models import Body, Disclosure, Level

    meeting = proposals.create_meeting(clerk, level=Level.province, body=Body.cppcc,
                                       region="省", term=13, session=1, year=today().year)
    out = []
    number = first_number
    for role, count in (("todo_short", short), ("todo_long", long)):
        unit = accounts.create_unit(None, name=f"负载测试待办{count}件单位",
                                    short_name=f"待办{count}", sections=["办公室"])
        user = accounts.create_user(
            None, username=f"load_{role}", full_name=f"联络员{count}", password=password,
            unit=unit, section=unit.sections[0], roles={Role.unit_clerk})
        for _ in range(count):
            item = proposals.register_proposal(
                clerk, meeting=meeting, number=str(number),
                title=f"关于负载测试第{number}号待办事项的提案", received_on=today(),
                authors=[{"name": f"委员{number}", "organisation": "负载界别",
                          "phone": f"138{number:08d}"}],
                body="负载测试提案正文。", category="其他", disclosure=Disclosure.public)
            handling.assign_proposal(item, clerk, [handling.UnitChoice(unit.id, UnitRole.lead)])
            number += 1
        db.session.commit()
        out.append({"username": user.username, "password": password, "role": role,
                    "unit": unit.name})
    return out


def make_stock(clerk, units, stock: int) -> int:
    """Items for each unit waiting at every step its people take, through the operations."""
    from tracker.core.time import today
    from tracker.extensions import db
    from tracker.handling import operations as handling
    from tracker.handling.models import UnitRole
    from tracker.proposals import operations as proposals
    from tracker.proposals.models import Body, Disclosure, Level
    from tracker.replies import operations as replies
    from tracker.replies.models import ReplyForm
    from tracker.replies.queries import latest_draft

    meeting = proposals.create_meeting(clerk, level=Level.province, body=Body.npc,
                                       region="省", term=15, session=1, year=today().year)
    received = today() - timedelta(days=10)
    # How far each batch goes: 签收 waits, 指定承办人 waits, drafting (half with a first version),
    # one batch at each review level, then 签发 and 发文.
    steps = {"assigned": stock, "accepted": stock // 2, "drafting": stock, "first": stock,
             "second": stock, "final": stock, "sign": stock, "issue": stock}
    order = list(steps)
    number = 0
    for unit, people in units:
        for step, count in steps.items():
            depth = order.index(step)
            for k in range(count):
                number += 1
                item = proposals.register_proposal(
                    clerk, meeting=meeting, number=str(number),
                    title=f"关于负载测试第{number}号事项的建议", received_on=received,
                    authors=[{"name": f"代表{number}", "organisation": "负载代表团",
                              "phone": f"139{number:08d}"}],
                    body="负载测试建议正文。\n一、现状\n……\n二、建议\n……",
                    category="其他", disclosure=Disclosure.public)
                (a,) = handling.assign_proposal(item, clerk,
                                                [handling.UnitChoice(unit.id, UnitRole.lead)])
                if depth >= 1:
                    handling.accept_assignment(a, people["clerk"])
                if depth >= 2:
                    handling.dispatch_assignment(a, people["clerk"],
                                                 section_id=unit.sections[1].id,
                                                 drafter_id=people["drafter"].id)
                if depth >= 3 or (depth == 2 and k % 2 == 0):
                    replies.save_draft(a, people["drafter"], body=DRAFT, result_class="B",
                                       reply_form=ReplyForm.written,
                                       disclosure=Disclosure.public, base_number=None,
                                       contact_name=people["drafter"].full_name,
                                       contact_phone=people["drafter"].phone)
                if depth >= 3:
                    replies.submit_review(a, people["drafter"])
                for level in ("first", "second", "final")[:max(0, depth - 3)]:
                    replies.approve_draft(a, people[level],
                                          seen_version_id=latest_draft(a).id)
                if depth >= 7:
                    replies.sign_reply(a, people["signer"], seen_version_id=latest_draft(a).id)
            db.session.commit()
    return number


if __name__ == "__main__":
    if not os.environ.get("TRACKER_DATABASE_URL"):
        raise SystemExit("set TRACKER_DATABASE_URL")
    main()
