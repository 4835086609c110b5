"""Factories for tests: real rows through the real operations where there is one."""
from __future__ import annotations

from datetime import date, timedelta
from functools import partial

from flask import current_app

from tracker.accounts.models import Role, Section, Unit, User
from tracker.accounts.passwords import ARGON2_KEYS, hash_password
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import UnitRole
from tracker.proposals import operations as proposals
from tracker.proposals.models import Body, Level, Meeting
from tracker.signing import democa
from tracker.signing.keys import install_unit_keys

PASSWORD = "Correct-Horse-9"


_PASSWORD_HASHES: dict[tuple, str] = {}


def password_hash() -> str:
    # The shared password is hashed once per set of argon2 parameters (the suite's cheap ones,
    # tests.conftest.CHEAP_ARGON2, almost always).
    key = tuple(current_app.config[k] for k in ARGON2_KEYS)
    if key not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[key] = hash_password(PASSWORD)
    return _PASSWORD_HASHES[key]


def make_unit(name: str, *, supervising: bool = False, sections=("办公室",)) -> Unit:
    unit = Unit(name=name, short_name=name, is_supervising=supervising)
    for section in sections:
        unit.sections.append(Section(name=section))
    db.session.add(unit)
    db.session.flush()
    return unit


def make_user(username: str, unit: Unit, *roles: Role, full_name: str | None = None,
              section: Section | None = None, flush: bool = True) -> User:
    user = User(username=username, full_name=full_name or username, unit_id=unit.id,
                section_id=section.id if section else None, password_hash=password_hash())
    user.set_roles(set(roles))
    db.session.add(user)
    if flush:
        db.session.flush()
    return user


def make_meeting(clerk: User, *, body: Body = Body.npc, term: int = 14, session: int = 3,
                 region: str = "省") -> Meeting:
    return proposals.create_meeting(clerk, level=Level.province, body=body, region=region,
                                    term=term, session=session, year=today().year)


_counter = [0]


def make_proposal(clerk: User, meeting: Meeting, *, number: str | None = None,
                  title: str = "关于加强基层卫生人才队伍建设的建议", authors=None, **kw):
    _counter[0] += 1
    return proposals.register_proposal(
        clerk, meeting=meeting, number=number or str(1000 + _counter[0]), title=title,
        received_on=today() - timedelta(days=3),
        authors=authors or [{"name": "李华", "phone": "13900000000"}], **kw)


def assign(proposal, clerk: User, lead: Unit | None = None, co=(), separate=(), **kw):
    choices = []
    if lead is not None:
        choices.append(handling.UnitChoice(lead.id, UnitRole.lead))
    choices += [handling.UnitChoice(u.id, UnitRole.co) for u in co]
    choices += [handling.UnitChoice(u.id, UnitRole.separate) for u in separate]
    return handling.assign_proposal(proposal, clerk, choices, **kw)


_KEYS: dict[tuple[str, str, str], dict] = {}
KEY_COLUMNS = ("sign_p12_name", "seal_name", "sign_subject", "sign_not_after")


def give_keys(unit: Unit) -> None:
    """A demo-CA certificate and seal for ``unit``, as an administrator would upload them.

    Made and installed once per store, signing folder and unit name; later worlds reuse the
    files (key generation and PKCS#12 password hashing are the slow part).
    """
    from tracker.files.store import store

    cache_key = (store().url, current_app.config["SIGNING_DIR"], unit.name)
    if cache_key not in _KEYS:
        password = "pw-" + unit.name
        p12 = democa.unit_p12(democa.ensure_ca(), unit.name, password)
        install_unit_keys(unit, p12=p12, password=password, seal=democa.draw_seal(unit.name))
        _KEYS[cache_key] = {c: getattr(unit, c) for c in KEY_COLUMNS}
    for column, value in _KEYS[cache_key].items():
        setattr(unit, column, value)


def build_world() -> dict:
    office = make_unit("省政府办公厅", supervising=True, sections=("督查室",))
    health = make_unit("省卫生健康委员会", sections=("基层卫生健康处", "医政医管处"))
    health.prefix_suggestion, health.prefix_proposal = "吉卫复议字", "吉卫复提字"
    health.prefix_co_opinion = "吉卫会字"
    health.closing_default = "感谢您对卫生健康工作的关心和支持。"
    hr = make_unit("省人力资源和社会保障厅", sections=("专业技术人员管理处",))
    edu = make_unit("省教育厅", sections=("基础教育处",))
    user = partial(make_user, flush=False)  # the users go in with one flush, in this order
    w = {
        "office": office, "health": health, "hr": hr, "edu": edu,
        "health_section": health.sections[0], "hr_section": hr.sections[0],
        "edu_section": edu.sections[0],
        "admin": user("admin", office, Role.admin, full_name="王管理"),
        "clerk": user("clerk", office, Role.supervisor, full_name="赵交办"),
        "health_clerk": user("health_clerk", health, Role.unit_clerk, full_name="孙联络"),
        "health_drafter": user("health_drafter", health, Role.drafter, full_name="刘承办",
                               section=health.sections[0]),
        "health_drafter2": user("health_drafter2", health, Role.drafter, full_name="钱承办"),
        "health_first": user("health_first", health, Role.reviewer_first, full_name="陈初审"),
        "health_second": user("health_second", health, Role.reviewer_second, full_name="周复审"),
        "health_final": user("health_final", health, Role.reviewer_final, full_name="吴终审"),
        "health_signer": user("health_signer", health, Role.signer, full_name="郑签发"),
        "hr_clerk": user("hr_clerk", hr, Role.unit_clerk, full_name="何联络"),
        "hr_drafter": user("hr_drafter", hr, Role.drafter, full_name="马承办"),
        # Approves hr's 会办意见 (a leader who gives instructions, 领导批示).
        "hr_leader": user("hr_leader", hr, Role.leader, full_name="宋厅长"),
        "edu_clerk": user("edu_clerk", edu, Role.unit_clerk, full_name="林联络"),
        "edu_drafter": user("edu_drafter", edu, Role.drafter, full_name="黄承办"),
    }
    w["health_leader"] = user("health_leader", health, Role.signer, full_name="冯主任")
    db.session.flush()
    health.principal_leader_id = w["health_leader"].id
    hr.prefix_co_opinion = "吉人社会字"
    db.session.flush()
    for unit in (office, health, hr, edu):
        give_keys(unit)
    w["meeting"] = make_meeting(w["clerk"])
    w["cppcc"] = make_meeting(w["clerk"], body=Body.cppcc, term=13)
    return w


def past(days: int) -> date:
    return today() - timedelta(days=days)
