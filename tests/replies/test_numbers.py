"""Document numbers (发文字号): the format, one series per unit, kind and year, no gaps."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests import factories
from tests.support.handling import latest_id, write_draft
from tests.support.replies import approve_chain
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.replies import operations as replies
from tracker.replies import queries
from tracker.replies.models import DocSeries, SeriesKind

YEAR = today().year


@pytest.mark.parametrize("prefix,year,number,expected", [
    ("吉卫复议字", 2026, 12, "吉卫复议字〔2026〕12号"),
    ("吉卫复提字", 2026, 1, "吉卫复提字〔2026〕1号"),
    ("吉卫会字", 2027, 100, "吉卫会字〔2027〕100号"),
])
def test_format(prefix, year, number, expected):
    text = replies.format_doc_number(prefix, year, number)
    assert text == expected
    assert "\u3014" in text and "\u3015" in text  # 〔〕, not [] 【】 or （）
    assert "〔0" not in text and "〕0" not in text  # no leading zeros


def _signed(w, meeting, *, lead=None):
    """A signed reply of health (lead) on a new item of the meeting."""
    proposal = factories.make_proposal(w.clerk, meeting)
    (assignment,) = factories.assign(proposal, w.clerk, lead=lead or w.health)
    handling.accept_assignment(assignment, w.health_clerk)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    approve_chain(w, assignment)
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    return assignment


def _issue(w, assignment) -> str:
    return replies.issue_reply(assignment, w.health_clerk).doc_number


def _health_opinion(w) -> str | None:
    """health sends a 会办意见 on an item led by hr."""
    proposal = factories.make_proposal(w.clerk, w.meeting)
    _, co = factories.assign(proposal, w.clerk, lead=w.hr, co=[w.health])
    handling.accept_assignment(co, w.health_clerk)
    handling.submit_opinion(co, w.health_clerk, text="同意。")
    # Numbered when the unit's leader approves it.
    return handling.approve_opinion(co, w.health_leader).doc_number


def test_separate_series_for_suggestions_proposals_and_opinions(w):
    issued = [
        _issue(w, _signed(w, w.meeting)),
        _issue(w, _signed(w, w.cppcc)),
        _health_opinion(w),
        _issue(w, _signed(w, w.meeting)),
        _issue(w, _signed(w, w.cppcc)),
        _health_opinion(w),
        _issue(w, _signed(w, w.meeting)),
    ]
    assert issued == [
        f"吉卫复议字〔{YEAR}〕1号", f"吉卫复提字〔{YEAR}〕1号", f"吉卫会字〔{YEAR}〕1号",
        f"吉卫复议字〔{YEAR}〕2号", f"吉卫复提字〔{YEAR}〕2号", f"吉卫会字〔{YEAR}〕2号",
        f"吉卫复议字〔{YEAR}〕3号",
    ]
    rows = db.session.scalars(select(DocSeries).order_by(DocSeries.id)).all()
    assert sorted((r.unit_id, r.kind.value, r.year, r.last_number) for r in rows) == sorted([
        (w.health.id, "suggestion", YEAR, 3), (w.health.id, "proposal", YEAR, 2),
        (w.health.id, "co_opinion", YEAR, 2)])


def test_each_unit_has_its_own_series(w):
    assert replies.allocate_number(w.health, SeriesKind.suggestion, YEAR)[1] == 1
    assert replies.allocate_number(w.edu, SeriesKind.suggestion, YEAR)[1] == 1
    assert replies.allocate_number(w.health, SeriesKind.suggestion, YEAR)[1] == 2


def test_each_year_has_its_own_series(w, monkeypatch):
    assert _issue(w, _signed(w, w.meeting)) == f"吉卫复议字〔{YEAR}〕1号"
    assert _issue(w, _signed(w, w.meeting)) == f"吉卫复议字〔{YEAR}〕2号"
    # New Year's Day: the series starts again at 1.
    monkeypatch.setattr(replies, "today", lambda: date(YEAR + 1, 1, 1))
    assert _issue(w, _signed(w, w.meeting)) == f"吉卫复议字〔{YEAR + 1}〕1号"
    assert _issue(w, _signed(w, w.meeting)) == f"吉卫复议字〔{YEAR + 1}〕2号"
    years = {r.year: r.last_number for r in db.session.scalars(select(DocSeries))}
    assert years == {YEAR: 2, YEAR + 1: 2}


def test_a_rolled_back_issue_gives_its_number_back(w):
    first = _signed(w, w.meeting)
    second = _signed(w, w.meeting)
    db.session.commit()
    # The issue fails after the number was taken (e.g. the PDF could not be rendered).
    assert _issue(w, first) == f"吉卫复议字〔{YEAR}〕1号"
    db.session.rollback()
    db.session.expire_all()
    assert first.state == "signed" and queries.current_reply(first).doc_number is None
    assert _issue(w, second) == f"吉卫复议字〔{YEAR}〕1号"
    assert _issue(w, first) == f"吉卫复议字〔{YEAR}〕2号"


def test_a_series_created_by_a_rolled_back_issue_is_created_again(w):
    assignment = _signed(w, w.meeting)
    db.session.commit()
    _issue(w, assignment)
    db.session.rollback()
    assert db.session.scalars(select(DocSeries)).all() == []
    assert _issue(w, assignment) == f"吉卫复议字〔{YEAR}〕1号"
