"""The bulk demo generator: its rows are what the workflow would have produced."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select

from tracker.extensions import db


def _generate(n: int):
    from tracker import demo_bulk

    report = demo_bulk.generate(n, seed=7)
    db.session.commit()
    return report


def test_bulk_items_follow_the_workflow(ctx, world):
    from tracker.handling.models import Assignment, CoOpinion, UnitRole
    from tracker.handling.workflow import MAIN_ROLES, derive_proposal_state
    from tracker.proposals.models import Author, Proposal
    from tracker.ratings.models import Rating
    from tracker.replies.models import DocSeries, Reply

    report = _generate(400)
    assert report.items == 400 and report.rows > 400 and len(report.meetings) == 5
    proposals = db.session.scalars(select(Proposal).where(Proposal.number.is_not(None))).all()
    assignments = defaultdict(list)
    for a in db.session.scalars(select(Assignment)):
        assignments[a.proposal_id].append(a)
    states = Counter()
    for p in proposals:
        states[p.state] += 1
        if p.state == "closed":
            assert p.closed_at is not None and p.handling_grade in ("good", "fair", "poor")
            assert derive_proposal_state(assignments[p.id]).value == "rated"
        else:
            assert derive_proposal_state(assignments[p.id]).value == p.state, p.id
    # A realistic mix, not one state everywhere.
    assert len(states) >= 8, states
    for items in assignments.values():
        lead_states = [a.state for a in items if a.role == UnitRole.lead]
        co = [a for a in items if a.role == UnitRole.co]
        # 会签: a lead in review or beyond has every co-handling opinion in.
        if lead_states and lead_states[0] not in ("assigned", "accepted", "drafting"):
            assert all(c.state == "opinion_submitted" for c in co)
        for a in items:
            assert a.due_on >= a.assigned_on and a.return_due_on > a.assigned_on
            if a.state == "drafting":
                assert a.drafter_id is not None
            if a.state in ("replied", "rated"):
                assert db.session.scalar(select(Reply.issued_at).where(
                    Reply.assignment_id == a.id, Reply.round == a.round)) is not None
    opinions = db.session.scalar(select(func.count(CoOpinion.id)))
    assert opinions == sum(1 for items in assignments.values() for a in items
                           if a.state == "opinion_submitted")
    # Document numbers: unique, and each series numbered 1..last without gaps.
    numbers = defaultdict(list)
    for reply in db.session.scalars(select(Reply).where(Reply.issued_at.is_not(None))):
        numbers[reply.series_id].append(reply.series_number)
        assert reply.doc_number.endswith(f"〔{reply.issued_at.year}〕{reply.series_number}号")
    for series in db.session.scalars(select(DocSeries)):
        got = sorted(numbers.get(series.id, []))
        if got:
            assert got == list(range(got[0], series.last_number + 1)), series.id
    # A rated reply has every author's answer; only main units reply.
    for reply in db.session.scalars(select(Reply).where(Reply.rating.is_not(None))):
        assignment = db.session.get(Assignment, reply.assignment_id)
        assert assignment.role in MAIN_ROLES
        authors = db.session.scalar(select(func.count(Author.id)).where(
            Author.proposal_id == assignment.proposal_id))
        answers = db.session.scalar(select(func.count(Rating.id)).where(
            Rating.reply_id == reply.id))
        assert answers == authors


def test_bulk_figures_add_up(ctx, world):
    from tracker.handling.models import Assignment
    from tracker.replies.models import Reply
    from tracker.supervision import stats

    _generate(300)
    board = stats.dashboard(stats.Scope())
    assert board.total.received == db.session.scalar(
        select(func.count(Assignment.id)).where(Assignment.state != "returned"))
    assert board.total.replied == db.session.scalar(select(func.count(Reply.id)).where(
        Reply.round == 1, Reply.issued_at.is_not(None)))
    assert sum(w.first + w.again for w in board.weeks) == db.session.scalar(
        select(func.count(Reply.id)).where(Reply.issued_at.is_not(None)))
    assert board.total.classified == board.total.replied
    assert board.items == 300


def test_the_demo_command_adds_bulk_items(app, ctx, world):
    from tracker.proposals.models import Proposal

    before = db.session.scalar(select(func.count(Proposal.id)))
    result = app.test_cli_runner().invoke(args=["demo", "--items", "30"])
    assert result.exit_code == 0, result.output
    assert "已批量生成 30 件" in result.output and "不写审计日志" in result.output
    assert db.session.scalar(select(func.count(Proposal.id))) == before + 30


def test_the_demo_command_is_refused_in_production(app, ctx, world):
    app.config["ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["demo", "--items", "30"])
    finally:
        app.config["ENV"] = "development"
    assert result.exit_code == 1
    assert "生产模式不能加载演示数据" in result.output
