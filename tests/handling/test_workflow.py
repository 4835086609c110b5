"""The transition table walked pair by pair, permissions, stale forms and the state rule.

The world is built once for the module, and so is one item per (state, role) the table's
moves start from (`started`); each test runs in a savepoint rolled back after it
(tests/support/shared.py), so every move starts from the item as bring_to left it."""
from __future__ import annotations

import pathlib
import re

import pytest
from sqlalchemy import select

from tests.handling import state_scan
from tests.support.handling import bring_to, perform, world_rows, write_draft
from tests.support.shared import database, world  # noqa: F401 (fixtures)
from tracker.audit.models import AuditEvent
from tracker.core.errors import Conflict, InvalidTransition, PermissionDenied
from tracker.extensions import db
from tracker.handling import workflow
from tracker.handling.models import Assignment
from tracker.handling.workflow import (
    ASSIGNMENT_TABLE,
    Action,
    AssignmentState,
    ProposalState,
)

ASSIGNMENT_ACTIONS = [a for a in Action if a != Action.assign]


def _role_for(state: AssignmentState, action: Action) -> str:
    rule = ASSIGNMENT_TABLE.get((state, action))
    if rule is not None and rule.unit_roles and "lead" not in {r.value for r in rule.unit_roles}:
        return "co"
    return "co" if state in CO_STATES else "lead"


CO_STATES = (AssignmentState.opinion_pending, AssignmentState.opinion_submitted)


LISTED = sorted(ASSIGNMENT_TABLE, key=lambda k: (k[0].value, k[1].value))


def _unlisted_role(state: AssignmentState) -> str:
    return "co" if state in CO_STATES else "lead"


@pytest.fixture(scope="module")
def started(app, world) -> dict[tuple[str, str], int]:
    """(state, role) -> the id of an assignment brought into that state by bring_to, once for
    the module: every listed and unlisted move below starts from one of them."""
    keys = {(s.value, _role_for(s, a)) for s, a in LISTED}
    keys |= {(s.value, _unlisted_role(s)) for s, _ in UNLISTED}
    with app.test_request_context():
        w = world_rows(world)
        ids = {key: bring_to(w, *key).id for key in sorted(keys)}
        db.session.commit()
    return ids


@pytest.mark.parametrize("state,action", LISTED, ids=lambda v: v.value)
def test_every_listed_move_does_what_the_table_says(w, started, state, action):
    assignment = db.session.get(Assignment, started[state.value, _role_for(state, action)])
    if action == Action.submit_review:
        write_draft(assignment, w.health_drafter)  # 送审 needs a draft
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    perform(w, assignment, action.value)
    db.session.expire_all()
    fresh = db.session.get(Assignment, assignment.id)
    expected = ASSIGNMENT_TABLE[(state, action)].next_state
    if callable(expected):  # the next level of the unit's review chain, or who revises
        expected = {AssignmentState.opinion_pending: AssignmentState.accepted,  # no drafter
                    AssignmentState.drafting: AssignmentState.first_review,
                    AssignmentState.first_review: AssignmentState.second_review,
                    AssignmentState.second_review: AssignmentState.final_review,
                    AssignmentState.final_review: AssignmentState.awaiting_signature}[state]
    assert fresh.state == expected.value
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.seq > before, AuditEvent.action == action.value)
    ).one()
    assert event.object_id == assignment.id and event.outcome == "success"
    assert event.proposal_id == assignment.proposal_id


UNLISTED = [
    (s, a) for s in AssignmentState for a in ASSIGNMENT_ACTIONS
    if (s, a) not in ASSIGNMENT_TABLE
]


@pytest.mark.parametrize("state,action", UNLISTED, ids=lambda v: v.value)
def test_every_unlisted_move_is_refused_and_changes_nothing(w, started, state, action):
    assignment = db.session.get(Assignment, started[state.value, _unlisted_role(state)])
    version = assignment.version
    db.session.commit()  # keep the set-up; roll back only what the refused move did
    with pytest.raises(InvalidTransition) as err:
        perform(w, assignment, action.value)
    assert "不能执行" in err.value.message or "已被" in err.value.message
    db.session.rollback()
    fresh = db.session.get(Assignment, assignment.id)
    assert fresh.state == state.value and fresh.version == version


def test_submit_opinion_is_only_for_co_handling_units(w):
    assignment = bring_to(w, "accepted", "lead")
    with pytest.raises(InvalidTransition):
        perform(w, assignment, "submit_opinion")


@pytest.mark.parametrize("action,who", [
    ("accept", "hr_clerk"),            # another unit's clerk
    ("accept", "health_drafter"),      # right unit, wrong role
    ("accept", "clerk"),               # the supervising clerk does not acknowledge
    ("request_return", "edu_clerk"),
])
def test_wrong_person_is_refused(w, action, who):
    assignment = bring_to(w, "assigned")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        perform(w, assignment, action, actor=getattr(w, who))
    db.session.rollback()
    assert db.session.get(Assignment, assignment.id).state == "assigned"


def test_return_decisions_belong_to_the_supervising_clerk(w):
    assignment = bring_to(w, "return_requested")
    with pytest.raises(PermissionDenied):
        perform(w, assignment, "approve_return", actor=w.health_clerk)


def test_record_contact_by_another_drafter_of_the_unit_is_refused(w):
    assignment = bring_to(w, "drafting")
    with pytest.raises(PermissionDenied):
        perform(w, assignment, "record_contact", actor=w.health_drafter2)
    perform(w, assignment, "record_contact", actor=w.health_drafter)


def test_stale_version_is_a_conflict(w):
    from tracker.handling import operations

    assignment = bring_to(w, "accepted")
    seen = assignment.version
    operations.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id, version=seen)
    with pytest.raises(Conflict):
        operations.dispatch_assignment(assignment, w.health_clerk,
                                       section_id=w.health_section.id,
                                       drafter_id=w.health_drafter2.id, version=seen)


def test_item_state_follows_its_assignments(w):
    from tests import factories
    from tracker.handling import operations

    proposal = factories.make_proposal(w.clerk, w.meeting)
    assert proposal.state == ProposalState.registered.value
    lead, co = factories.assign(proposal, w.clerk, lead=w.health, co=[w.hr])
    assert proposal.state == ProposalState.assigned.value
    operations.accept_assignment(lead, w.health_clerk)
    # The item follows its lead unit: a co unit yet to acknowledge does not hold it back,
    # nor does its return request (shown on its own row).
    assert proposal.state == ProposalState.accepted.value
    operations.request_return(co, w.hr_clerk, reason="与本单位职责无关")
    assert proposal.state == ProposalState.accepted.value
    operations.approve_return(co, w.clerk)
    assert proposal.state == ProposalState.accepted.value
    operations.dispatch_assignment(lead, w.health_clerk, section_id=w.health_section.id,
                                   drafter_id=w.health_drafter.id)
    assert proposal.state == ProposalState.drafting.value


def test_allowed_actions_match_the_table_and_the_person(w):
    assignment = bring_to(w, "assigned")
    assert workflow.allowed_actions(assignment, w.health_clerk) == [
        Action.accept, Action.request_return]
    assert workflow.allowed_actions(assignment, w.health_drafter) == []
    assert workflow.allowed_actions(assignment, w.edu_clerk) == []


def test_no_state_is_written_outside_the_workflow_module():
    """Nothing but workflow.py assigns a state column."""
    root = pathlib.Path(__file__).resolve().parents[2] / "tracker"
    pattern = re.compile(r"\.state\s*=(?!=)|\bstate\s*=\s*[\"'](?!registered|assigned)"
                         r"|values\([^)]*\bstate\s*=")
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "workflow.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_state_literal_or_stray_write_in_the_code_or_the_templates():
    """States are named only by the enums (tracker.core.states): no state string compared,
    passed or held in the code, none in the templates; no row["state"] or .values(state=…)
    write outside transition()."""
    assert state_scan.scan_code(ROOT / "tracker") == []
    assert state_scan.scan_templates(ROOT / "templates") == []


PLANTED = {
    "compare.py": 'def f(a):\n    return a.state == "replied"\n',
    "member.py": 'def f(a):\n    return a.state in ("assigned", "returned")\n',
    "sql.py": 'def f(q, A):\n    return q.where(A.state != "returned")\n',
    "row.py": 'def f(row, target):\n    row["state"] = target\n',
    "values.py": 'def f(stmt, s):\n    return stmt.values(state=s)\n',
    "keyword.py": 'def f(url_for):\n    return url_for("x", state="assigned")\n',
    "details.py": 'DETAILS = {"from": "registered", "to": "assigned"}\n',
    "held.py": 'EARLY_STATES = frozenset({"accepted", "drafting"})\n',
    "added.py": 'def f(states):\n    states.add("signed")\n',
    "distinct.py": 'NEXT = ("awaiting_signature", "待签发")\n',
    "keys.py": 'WORDS = {"signed": "待发文", "replied": "已答复"}\n',
}


def test_the_state_scan_catches_planted_violations(tmp_path):
    code, templates = tmp_path / "tracker", tmp_path / "templates"
    (code / "handling").mkdir(parents=True)
    templates.mkdir()
    for name, text in PLANTED.items():
        (code / name).write_text(text, encoding="utf-8")
    # The workflow may write .state and .values(state=…) in transition() only.
    (code / "handling" / "workflow.py").write_text(
        "def transition(stmt, s):\n    return stmt.values(state=s)\n\n\n"
        "def elsewhere(stmt, s):\n    return stmt.values(state=s)\n", encoding="utf-8")
    (templates / "page.html").write_text(
        "{% if a.state == 'drafting' %}x{% endif %}\n"
        "{{ items|selectattr('state', 'ne', 'returned')|list }}\n"
        "<p>drafting 'replied' outside any tag is text</p>\n", encoding="utf-8")
    found = state_scan.scan_code(code)
    assert {line.split(":")[0] for line in found} == {*PLANTED, "handling/workflow.py"}
    assert [line.split(":")[1] for line in found if line.startswith("handling/")] == ["6"]
    assert [line.split(":", 2)[1] for line in state_scan.scan_templates(templates)] == [
        "1", "2"]
    # And the real tree's vocabulary is what the scan knows.
    assert state_scan.STATE_VALUES == {s.value for s in ProposalState} | {
        s.value for s in AssignmentState}


def test_a_refused_return_cannot_be_requested_again(w):
    assignment = bring_to(w, "return_requested")
    perform(w, assignment, "reject_return")
    db.session.expire_all()
    assert assignment.state == "assigned"
    with pytest.raises(InvalidTransition) as err:
        perform(w, assignment, "request_return")
    assert "不能再次申请退回" in err.value.message
    perform(w, assignment, "accept")
