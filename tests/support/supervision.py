"""A small world with hand-computed supervision figures.

Built once per test module through the real operations (inside an outer transaction rolled
back at the end; each test runs in a savepoint), then dated by hand: the operations stamp
"now", the figures are about deadlines.

Nine items, three handling units (health H, hr R, edu E); "ok" = on time:

  1 npc   H lead: accepted ok, contacts 面商 + 电话, class A issued ok, rated 满意
          R co:   accepted ok, opinion ok
  2 npc   H lead: accepted late (00:00 China time the day after the window), 电话, drafting,
                  past its deadline (overdue)
  3 npc   R lead: not acknowledged, past its deadline (overdue)
  4 npc   E lead: accepted ok, 实地调研 contact, class B issued late, rated 基本满意
  5 npc   H lead: accepted ok, 面商, class A issued ok, rated 不满意 -> round 2 (drafting)
  6 cppcc H separate: accepted ok, class C issued ok (not rated yet)
          E separate: accepted ok, drafting, past its deadline (overdue)
  7 npc   E lead: returned (excluded), reassigned to R (assigned)
  8 npc   registered only
  9 npc   R lead: accepted ok, drafting; H co: accepted late, opinion late

EXPECTED holds the figures per unit, worked out from this list by hand."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from tests import factories
from tests.support.handling import rate_all, write_draft
from tracker.core.time import today
from tracker.extensions import db

H, R, E = "省卫生健康委员会", "省人力资源和社会保障厅", "省教育厅"

# unit -> figure -> value (hand-computed from the module docstring).
EXPECTED = {
    H: dict(received=5, main=4, co=1, accepted_on_time=3, replied=3, replied_on_time=2, due=4,
            overdue=1, contacted=3, face=2, rated=2, satisfied=1, basic=0, unsatisfied=1,
            class_a=2, class_b=0, class_c=1, rehandled=1, co_on_time=0, urged=0),
    R: dict(received=4, main=3, co=1, accepted_on_time=2, replied=0, replied_on_time=0, due=1,
            overdue=1, contacted=0, face=0, rated=0, satisfied=0, basic=0, unsatisfied=0,
            class_a=0, class_b=0, class_c=0, rehandled=0, co_on_time=1, urged=0),
    E: dict(received=2, main=2, co=0, accepted_on_time=2, replied=1, replied_on_time=0, due=2,
            overdue=1, contacted=1, face=0, rated=1, satisfied=0, basic=1, unsatisfied=0,
            class_a=0, class_b=1, class_c=0, rehandled=0, co_on_time=0, urged=0),
}
TOTAL = {k: sum(unit[k] for unit in EXPECTED.values()) for k in EXPECTED[H]}
# Items by state as the item list counts them; items with an overdue assignment.
STATES = {"registered": 1, "assigned": 2, "drafting": 3, "rated": 2, "rehandling": 1}
OVERDUE_ITEMS = 3


def _user(username: str):
    from tracker.accounts.models import User

    return db.session.scalar(select(User).where(User.username == username))


def set_dates(assignment, **values) -> None:
    """Date an assignment by hand (through the ORM, as an operation would: the supervision
    facts follow)."""
    for name, value in values.items():
        setattr(assignment, name, value)
    db.session.flush()


def set_issued(assignment, when: datetime, round_: int = 1) -> None:
    from tracker.replies.models import Reply

    reply = db.session.scalar(select(Reply).where(Reply.assignment_id == assignment.id,
                                                  Reply.round == round_))
    reply.issued_at = reply.signed_at = when
    db.session.flush()


def utc_noon(day) -> datetime:
    """20:00 China time of day, as naive UTC."""
    return datetime.combine(day, time(12, 0))


def late_stamp(day) -> datetime:
    """00:00 China time of the day after day (16:00 UTC of day): just too late."""
    return datetime.combine(day, time(16, 0))


def in_time_stamp(day) -> datetime:
    """23:59:59 China time of day: just in time."""
    return datetime.combine(day, time(15, 59, 59))


def _reply(w, assignment, *, clerk, drafter, reviewers, signer, result_class: str):
    """Draft, review, sign and issue through the operations."""
    from tracker.handling import operations as handling
    from tracker.replies import operations as replies
    from tracker.replies.queries import latest_draft

    section = assignment.unit.sections[0]
    if assignment.state == "accepted":
        handling.dispatch_assignment(assignment, clerk, section_id=section.id,
                                     drafter_id=drafter.id)
    write_draft(assignment, drafter, result_class=result_class)
    replies.submit_review(assignment, drafter)
    for reviewer in reviewers:
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_draft(assignment).id)
    replies.sign_reply(assignment, signer, seen_version_id=latest_draft(assignment).id)
    replies.issue_reply(assignment, clerk)
    db.session.expire_all()


def build_figures_world(ids: SimpleNamespace) -> dict:
    """The nine items of the module docstring (call in a request context)."""
    from tracker.accounts.models import Role, Unit
    from tracker.handling import operations as handling
    from tracker.handling.models import ContactMethod, ContactStage
    from tracker.proposals.models import Meeting

    get = db.session.get
    w = SimpleNamespace(
        clerk=_user("clerk"), health=get(Unit, ids.health), hr=get(Unit, ids.hr),
        edu=get(Unit, ids.edu), meeting=get(Meeting, ids.meeting),
        cppcc=get(Meeting, ids.cppcc))
    hc, hd = _user("health_clerk"), _user("health_drafter")
    health_reviewers = [_user("health_first"), _user("health_second"), _user("health_final")]
    hs = _user("health_signer")
    rc, rd = _user("hr_clerk"), _user("hr_drafter")
    ec, ed = _user("edu_clerk"), _user("edu_drafter")
    # The education department gets a one-level chain, a signer and number prefixes.
    w.edu.review_levels = "first"
    w.edu.prefix_suggestion, w.edu.prefix_proposal = "吉教复议字", "吉教复提字"
    edu_first = factories.make_user("edu_first", w.edu, Role.reviewer_first, full_name="林初审")
    edu_signer = factories.make_user("edu_signer", w.edu, Role.signer, full_name="林签发")
    health = dict(clerk=hc, drafter=hd, reviewers=health_reviewers, signer=hs)
    edu = dict(clerk=ec, drafter=ed, reviewers=[edu_first], signer=edu_signer)
    now = today()

    def item(n: int, meeting=None):
        return factories.make_proposal(w.clerk, meeting or w.meeting, number=f"90{n}",
                                       title=f"关于督办统计第{n}件的建议")

    def contact(assignment, user, method):
        handling.record_contact(assignment, user, stage=ContactStage.during, method=method,
                                contacted_on=now, summary="与提出人沟通办理情况")

    past = dict(assigned_on=now - timedelta(days=120), return_due_on=now - timedelta(days=111),
                due_on=now - timedelta(days=10))
    accepted_in_window = in_time_stamp(now - timedelta(days=111))
    out = {}

    # 1: H lead (replied on time, rated 满意) + R co (opinion on time).
    p1 = item(1)
    h1, r1 = factories.assign(p1, w.clerk, lead=w.health, co=[w.hr])
    handling.accept_assignment(r1, rc)
    handling.submit_opinion(r1, rc, text="同意主办单位意见。")
    handling.approve_opinion(r1, _user("hr_leader"))
    handling.accept_assignment(h1, hc)
    handling.dispatch_assignment(h1, hc, section_id=w.health.sections[0].id, drafter_id=hd.id)
    contact(h1, hd, ContactMethod.face)
    contact(h1, hd, ContactMethod.phone)
    _reply(w, h1, result_class="A", **health)
    rate_all(w, h1, "satisfied")
    set_dates(r1, accepted_at=in_time_stamp(r1.return_due_on))

    # 2: H lead, accepted just too late, phone contact, drafting past its deadline.
    p2 = item(2)
    (h2,) = factories.assign(p2, w.clerk, lead=w.health)
    handling.accept_assignment(h2, hc)
    handling.dispatch_assignment(h2, hc, section_id=w.health.sections[0].id, drafter_id=hd.id)
    contact(h2, hd, ContactMethod.phone)
    set_dates(h2, **past, accepted_at=late_stamp(now - timedelta(days=111)))

    # 3: R lead, not acknowledged, past its deadline.
    p3 = item(3)
    (r3,) = factories.assign(p3, w.clerk, lead=w.hr)
    set_dates(r3, **past)

    # 4: E lead, a visit, class B issued after the deadline, rated 基本满意.
    p4 = item(4)
    (e4,) = factories.assign(p4, w.clerk, lead=w.edu)
    handling.accept_assignment(e4, ec)
    handling.dispatch_assignment(e4, ec, section_id=w.edu.sections[0].id, drafter_id=ed.id)
    contact(e4, ed, ContactMethod.visit)
    _reply(w, e4, result_class="B", **edu)
    rate_all(w, e4, "basic")
    set_dates(e4, **past, accepted_at=accepted_in_window)
    set_issued(e4, late_stamp(now - timedelta(days=10)))

    # 5: H lead, 面商, class A issued on time, rated 不满意: back in round 2.
    p5 = item(5)
    (h5,) = factories.assign(p5, w.clerk, lead=w.health)
    handling.accept_assignment(h5, hc)
    handling.dispatch_assignment(h5, hc, section_id=w.health.sections[0].id, drafter_id=hd.id)
    contact(h5, hd, ContactMethod.face)
    _reply(w, h5, result_class="A", **health)
    rate_all(w, h5, "unsatisfied")
    db.session.expire_all()
    assert h5.state == "drafting" and h5.round == 2

    # 6 (a proposal): H separate, class C issued on time; E separate, overdue.
    p6 = factories.make_proposal(w.clerk, w.cppcc, number="0906",
                                 title="关于督办统计第6件的提案")
    h6, e6 = factories.assign(p6, w.clerk, separate=[w.health, w.edu])
    handling.accept_assignment(h6, hc)
    _reply(w, h6, result_class="C", **health)
    handling.accept_assignment(e6, ec)
    handling.dispatch_assignment(e6, ec, section_id=w.edu.sections[0].id, drafter_id=ed.id)
    set_dates(e6, **past, accepted_at=accepted_in_window)

    # 7: E lead asks to return it; the office agrees and gives it to R.
    p7 = item(7)
    (e7,) = factories.assign(p7, w.clerk, lead=w.edu)
    handling.request_return(e7, ec, reason="不属于本单位职责")
    handling.approve_return(e7, w.clerk, reassign_unit_id=w.hr.id)

    # 8: registered, not assigned.
    item(8)

    # 9: R lead (drafting) + H co, acknowledged and answered after the deadlines.
    p9 = item(9)
    r9, h9 = factories.assign(p9, w.clerk, lead=w.hr, co=[w.health])
    handling.accept_assignment(r9, rc)
    handling.dispatch_assignment(r9, rc, section_id=w.hr.sections[0].id, drafter_id=rd.id)
    handling.accept_assignment(h9, hc)
    handling.submit_opinion(h9, hc, text="会办意见。")
    handling.approve_opinion(h9, hs)
    set_dates(h9, assigned_on=now - timedelta(days=60), return_due_on=now - timedelta(days=51),
              due_on=now - timedelta(days=30), accepted_at=late_stamp(now - timedelta(days=51)))
    for opinion in h9.opinions:
        # Approved (sent) after its deadline: the approval is the opinion's date.
        opinion.submitted_at = opinion.decided_at = late_stamp(now - timedelta(days=30))
    db.session.flush()
    out.update(p1=p1.id, p2=p2.id, p3=p3.id, p4=p4.id, p5=p5.id, p6=p6.id, p7=p7.id,
               p9=p9.id)
    return out
