"""Finished, overdue and due soon: one definition (Assignment's hybrids), and the same answer
from Python (pages, the API, the workflow) and from SQL (the item list, the figures, the
ledger), for assignments in every state."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.support.handling import bring_to
from tracker.core.states import DUE_SOON_DAYS, AssignmentState
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import queries as list_queries
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal
from tracker.supervision import stats

FINISHED = {AssignmentState.returned, AssignmentState.opinion_submitted,
            AssignmentState.replied, AssignmentState.rated}
# Days from the deadline to the day asked about: long past, the day after, the day itself,
# the day before, the first and the last day of 「剩 n 天」 and the day before that.
OFFSETS = (40, 1, 0, -1, -DUE_SOON_DAYS, -(DUE_SOON_DAYS + 1))


def _one_in_every_state(w) -> dict[AssignmentState, Assignment]:
    found = {}
    for state in AssignmentState:
        role = "co" if state in (AssignmentState.opinion_pending,
                                 AssignmentState.opinion_submitted) else "lead"
        found[state] = bring_to(w, state.value, role=role)
    db.session.flush()
    db.session.expire_all()
    assert {state: a.state for state, a in found.items()} == {s: s for s in AssignmentState}
    return found


def _sql(predicate, assignment) -> bool:
    return db.session.scalar(select(Assignment.id).where(
        Assignment.id == assignment.id, predicate)) is not None


def test_python_and_sql_agree_on_finished_overdue_and_due_soon_in_every_state(w):
    every = _one_in_every_state(w)
    for state, assignment in every.items():
        finished = state in FINISHED
        assert assignment.is_finished is finished, state
        assert _sql(Assignment.is_finished, assignment) is finished, state
        for offset in OFFSETS:
            on = assignment.due_on + timedelta(days=offset)
            overdue = not finished and offset > 0
            due_soon = not finished and -DUE_SOON_DAYS <= offset <= 0
            where = (state, offset)
            assert assignment.is_overdue(on) is overdue, where
            assert _sql(Assignment.is_overdue(on), assignment) is overdue, where
            assert assignment.is_due_soon(on) is due_soon, where
            assert _sql(Assignment.is_due_soon(on), assignment) is due_soon, where


def test_the_item_list_and_the_figures_count_the_items_python_calls_overdue(w):
    every = _one_in_every_state(w)
    on = max(a.due_on for a in every.values()) + timedelta(days=1)
    # Each item here has one assignment, except the co-handled one (its lead is assigned).
    overdue_items = {a.proposal_id for a in db.session.scalars(select(Assignment))
                     if a.is_overdue(on)}
    assert overdue_items
    listed = set(db.session.scalars(select(Proposal.id).where(
        list_queries.overdue_clause(on))))
    assert listed == overdue_items
    assert stats.overdue_items(stats.Scope(), on) == len(overdue_items)
    per_unit = sum(f.overdue for f in stats.unit_figures(stats.Scope(), on))
    assert per_unit == sum(1 for a in db.session.scalars(select(Assignment))
                           if a.is_overdue(on))


def test_an_item_replied_after_its_deadline_shows_no_countdown(w, client):
    """The 「剩 -6 天」 bug: a reply issued six days late made the deadline badge count down
    into negative days. A finished assignment has no deadline running: the page shows the
    date alone — neither 「剩 n 天」 nor 「已逾期」 — as the supervision figures count it
    under 已答复 and never under 超期未办."""
    replied = bring_to(w, "replied")
    running = bring_to(w, "drafting")
    soon = bring_to(w, "drafting")
    late = today() - timedelta(days=6)
    for assignment, due in ((replied, late), (running, late),
                            (soon, today() + timedelta(days=3))):
        db.session.execute(update(Assignment).where(Assignment.id == assignment.id).values(
            assigned_on=today() - timedelta(days=100),
            return_due_on=today() - timedelta(days=90), due_on=due))
    db.session.commit()
    db.session.expire_all()
    client.login("clerk")

    page = client.get(f"/proposals/{replied.proposal_id}").get_data(as_text=True)
    assert late.isoformat() in page
    assert "剩 -6 天" not in page and "剩 " not in page
    assert "已逾期" not in page
    assert not replied.is_overdue() and not replied.is_due_soon()
    assert sum(f.overdue for f in stats.unit_figures(stats.Scope())) == 1  # `running` alone

    page = client.get(f"/proposals/{running.proposal_id}").get_data(as_text=True)
    assert "已逾期 6 天" in page and "剩 " not in page
    page = client.get(f"/proposals/{soon.proposal_id}").get_data(as_text=True)
    assert "剩 3 天" in page and "已逾期" not in page
