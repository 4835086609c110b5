"""A valid file: every item registered and assigned in one transaction, exactly as the
single-item pages would leave it, with its audit events; nothing at all when anything fails."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.support.imports import item, later, xlsx
from tracker.audit.log import verify_chain
from tracker.audit.models import AuditEvent
from tracker.core.errors import InvalidTransition
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, check
from tracker.imports import operations
from tracker.imports.parse import ImportRejected
from tracker.proposals.models import Author, Proposal
from tracker.workdays.calendar import WorkCalendar


def counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Proposal, Author, Assignment, AuditEvent)}


def run(w, rows):
    return operations.import_workbook(w.clerk, xlsx(rows), "交办清单.xlsx")


def columns(obj, *leave_out) -> dict:
    skip = {"id", "proposal_id", "created_at", "assigned_at", "state_since", *leave_out}
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def events_of(proposal_id: int) -> list[tuple]:
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.proposal_id == proposal_id)
                              .order_by(AuditEvent.seq)).all()
    result = []
    for e in rows:
        details = json.loads(e.details)
        details.pop("number", None)
        for unit in details.get("units", []):
            unit.pop("assignment_id")
        result.append((e.action, e.object_type, e.outcome, e.actor_id, e.actor_name, e.unit_id,
                       details))
    return result


def test_an_imported_item_is_what_the_single_item_pages_make(w):
    due = later(50)
    single = factories.make_proposal(
        w.clerk, w.meeting, number="501", title="关于加强基层卫生人才队伍建设的建议",
        authors=[{"name": "李华", "phone": "13900000001"}, {"name": "王芳"}],
        category="医疗卫生", is_key=True)
    factories.assign(single, w.clerk, lead=w.health, co=[w.hr], due_on=due)
    result = run(w, [item(502, title="关于加强基层卫生人才队伍建设的建议", authors="李华、王芳",
                          phones="13900000001", co="省人力资源和社会保障厅", due_on=due,
                          received_on=factories.past(3), is_key="是")])  # as the factory
    db.session.expire_all()
    single = db.session.get(Proposal, single.id)
    imported = db.session.get(Proposal, result.proposal_ids[0])

    assert imported.state == single.state == "assigned"
    assert columns(imported, "number") == columns(single, "number")
    assert [columns(a) for a in imported.authors] == [columns(a) for a in single.authors]
    assert [columns(a) for a in imported.assignments] == [columns(a) for a in single.assignments]
    assert events_of(imported.id) == events_of(single.id)
    assert [e[0] for e in events_of(imported.id)] == ["register", "assign"]


def test_units_deadlines_and_authors(w):
    calendar = WorkCalendar.load()
    due = later(45)
    result = run(w, [
        item(1),                                                  # default deadline
        item(2, co="省人力资源和社会保障厅、省教育厅", due_on=due),      # given deadline, co
        item(3, lead="", separate="省卫生健康委员会、省教育厅"),          # 分办 only
        item(4, authors="陈明", phones="", received_on="2025.3.1", is_key="是", category=""),
    ])
    assert result.count == 4
    db.session.expire_all()
    p1, p2, p3, p4 = (db.session.get(Proposal, i) for i in result.proposal_ids)
    start = today()
    reply = calendar.months_deadline(start, w.meeting.reply_period_months)
    co = calendar.months_deadline(start, w.meeting.co_period_months)

    def units(p):
        return [(a.unit.name, a.role.value, a.due_on, a.due_basis, a.state) for a in p.assignments]

    assert {p.state for p in (p1, p2, p3, p4)} == {"assigned"}
    assert units(p1) == [("省卫生健康委员会", "lead", reply.due_on, reply.basis, "assigned")]
    given = f"交办员指定办理期限 {calendar.describe(due)}"
    assert units(p2) == [
        ("省卫生健康委员会", "lead", due, given, "assigned"),
        ("省人力资源和社会保障厅", "co", co.due_on, co.basis, "assigned"),
        ("省教育厅", "co", co.due_on, co.basis, "assigned"),
    ]
    assert units(p3) == [("省卫生健康委员会", "separate", reply.due_on, reply.basis, "assigned"),
                         ("省教育厅", "separate", reply.due_on, reply.basis, "assigned")]
    assert {a.return_due_on for a in p1.assignments} == {calendar.add_working_days(start, 7)}
    assert [(a.position, a.name, a.phone) for a in p1.authors] == [
        (0, "李华", "13900000001"), (1, "王芳", "")]
    assert (p1.received_on, p1.is_key, p1.category, p1.kind.value) == (
        start, False, "医疗卫生", "suggestion")
    assert [(a.name, a.phone) for a in p4.authors] == [("陈明", "")]
    assert (p4.received_on.isoformat(), p4.is_key, p4.category) == ("2025-03-01", True, "")
    assert {p.lock_version for p in (p1, p2, p3, p4)} == {1}
    assert result.meetings == {"省十四届人大三次会议": (w.meeting.id, 4)}


def test_audit_events_per_item_and_for_the_batch_and_the_chain_verifies(w):
    before = counts()["AuditEvent"]
    result = run(w, [item(n) for n in range(1, 6)])
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()[before:]
    assert [e.action for e in events] == ["register", "assign"] * 5 + ["import_items"]
    assert {e.actor_id for e in events} == {w.clerk.id}
    batch = json.loads(events[-1].details)
    assert batch["items"] == 5 and batch["meetings"] == {"省十四届人大三次会议": 5}
    assert (batch["first_proposal_id"], batch["last_proposal_id"]) == (
        result.proposal_ids[0], result.proposal_ids[-1])
    report = verify_chain()
    assert report.ok, report.problems
    # Later events chain on after the batch.
    factories.make_proposal(w.clerk, w.meeting, number="900")
    assert verify_chain().ok


def test_one_bad_row_among_5000_imports_nothing(w):
    before = counts()
    rows = [item(n) for n in range(1, 5001)]
    rows[4997] = item(4998, lead="省卫健委员会")  # Excel row 4999
    with pytest.raises(ImportRejected) as err:
        run(w, rows)
    assert [(p.row, p.column) for p in err.value.problems] == [(4999, "主办单位")]
    db.session.rollback()
    assert counts() == before


def test_a_failure_while_saving_leaves_nothing(w, monkeypatch):
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(operations, "record_many", broken)  # after every row is written
    with pytest.raises(RuntimeError):
        run(w, [item(n) for n in range(1, 21)])
    db.session.rollback()
    assert counts() == before


def test_a_number_registered_meanwhile_refuses_the_whole_batch(w):
    plans = operations.check_workbook(w.clerk, xlsx([item(1), item(2)]), "a.xlsx")
    factories.make_proposal(w.clerk, w.meeting, number="2")  # someone else, just now
    db.session.commit()
    before = counts()
    with pytest.raises(ImportRejected) as err:
        operations.save_items(w.clerk, plans)
    db.session.rollback()
    assert "有编号刚被他人登记" in err.value.problems[0].message
    assert counts() == before


def test_imported_items_count_on_the_dashboard(w):
    from tracker.supervision import rollup, stats

    def health():
        return stats.unit_figures(stats.Scope(unit_id=w.health.id))[0]

    before = health()
    run(w, [item(n) for n in range(1, 4)] + [item(4, co="省卫生健康委员会", lead="省教育厅")])
    db.session.commit()
    after = health()
    assert (after.received - before.received, after.main - before.main,
            after.co - before.co) == (4, 3, 1)
    assert rollup.differences() == []


def test_the_return_window_is_the_configured_one_on_both_paths(w, app, monkeypatch):
    # RETURN_WINDOW_WORKDAYS used to be configured and ignored (7 was written in four places).
    monkeypatch.setitem(app.config, "RETURN_WINDOW_WORKDAYS", 3)
    single = factories.make_proposal(w.clerk, w.meeting, number="601")
    factories.assign(single, w.clerk, lead=w.health)
    result = run(w, [item(602)])
    window_end = WorkCalendar.load().add_working_days(today(), 3)
    db.session.expire_all()
    imported = db.session.get(Proposal, result.proposal_ids[0])
    single = db.session.get(Proposal, single.id)
    assert [a.return_due_on for a in single.assignments] == [window_end]
    assert [a.return_due_on for a in imported.assignments] == [window_end]

    late = imported.assignments[0]
    late.return_due_on = factories.past(1)
    db.session.flush()
    with pytest.raises(InvalidTransition, match="须在交办后 3 个工作日内提出"):
        check(late, Action.request_return, w.health_clerk)


def test_bulk_audit_events_are_those_record_writes_one_by_one(w):
    from tracker.audit import log as audit

    audit.record_many(w.clerk, [
        dict(action="import_items", object_type="import", details={"items": 2}),
        dict(action="register", object_type="proposal", object_id=7, proposal_id=7,
             details={"title": "关于加强基层卫生人才队伍建设的建议"}),
    ])
    one = audit.record("register", actor=w.clerk, object_type="proposal", object_id=8,
                       proposal_id=8, details={"title": "关于加强基层卫生人才队伍建设的建议"})
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(3)).all()
    fixed = ("actor_id", "actor_name", "unit_id", "object_type", "outcome", "details", "ip")
    assert [getattr(rows[1], k) for k in fixed] == [getattr(one, k) for k in fixed]
    assert [r.seq for r in rows] == [one.seq, one.seq - 1, one.seq - 2]
    assert rows[0].prev_hash == rows[1].hash and rows[1].prev_hash == rows[2].hash
    assert verify_chain().ok


def test_the_subscribers_hear_of_each_imported_assignment(w):
    # What follows a 交办 (notices to the unit, later search) hangs off the transition event:
    # the bulk import announces its moves as transition() does.
    from tracker.handling import events
    from tracker.handling.workflow import Action

    heard = []

    def listener(event):
        heard.append(event)
        event.details["heard"] = True

    with events.subscribed(listener, Action.assign):
        result = run(w, [item(701), item(702, co="省人力资源和社会保障厅")])
    assert [e.obj.id for e in heard] == result.proposal_ids
    assert {(e.action, e.old_state, e.new_state, e.actor.id) for e in heard} == {
        (Action.assign, "registered", "assigned", w.clerk.id)}
    assert [len(e.details["units"]) for e in heard] == [1, 2]
    logged = [json.loads(d) for d in db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "assign", AuditEvent.proposal_id.in_(result.proposal_ids)))]
    assert [d["heard"] for d in logged] == [True, True]
