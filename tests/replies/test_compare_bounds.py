"""Comparing two drafts does bounded work on any pair the form allows (issue 14, finding 2:
two drafts of "x\\n" x 15000 took 40 s). The time itself is measured in `make bench`."""
from __future__ import annotations

import difflib

import pytest

from tests.replies.test_letter_issue import _bring
from tracker.replies import queries
from tracker.replies.queries import side_by_side

LIMIT = 60000  # the draft form's body limit (tracker.letters.fields.BODY_MAX)
WORST = {
    "repeated-lines": ("x\n" * (LIMIT // 2), "x\n" * (LIMIT // 2 - 1) + "y\n"),
    "repeated-lines-middle": ("x\n" * 15000 + "a\n" + "x\n" * 14999,
                              "x\n" * 14999 + "b\n" + "x\n" * 15000),
    "swapped-pairs": ("ab\n" * (LIMIT // 3), "ba\n" * (LIMIT // 3)),
    "one-long-line": ("a" * LIMIT, "a" * (LIMIT - 1) + "b"),
    "long-similar-lines": ("\n".join("甲" * 119 for _ in range(499)),
                           "\n".join("甲" * 118 + "乙" for _ in range(499))),
}


class Counting(difflib.SequenceMatcher):
    """difflib's matcher, recording the size of every comparison it is asked for."""

    products: list[int] = []

    def __init__(self, isjunk=None, a="", b="", autojunk=True):
        Counting.products.append(len(a) * len(b))
        super().__init__(isjunk, a, b, autojunk)


@pytest.mark.parametrize("name", list(WORST))
def test_the_worst_pairs_compare_with_bounded_work(monkeypatch, name):
    old, new = WORST[name]
    assert len(old) <= LIMIT and len(new) <= LIMIT
    Counting.products = []
    monkeypatch.setattr(queries.difflib, "SequenceMatcher", Counting)
    html = str(side_by_side(old, new, "旧稿", "新稿"))
    line_work = [p for p in Counting.products if p]
    assert all(p <= queries.MAX_LINE_PRODUCT for p in line_work), max(line_work)
    assert sum(line_work) <= queries.MAX_LINE_PRODUCT + queries.MAX_CHAR_WORK
    # Every line of both drafts is still shown, each once.
    rows = html.count("<tr") - 1
    assert max(len(old.splitlines()), len(new.splitlines())) <= rows
    assert rows <= len(old.splitlines()) + len(new.splitlines())


def test_a_large_rewrite_says_it_is_shown_coarsely():
    old, new = WORST["swapped-pairs"]
    html = str(side_by_side(old, new, "旧稿", "新稿"))
    assert queries.COARSE_NOTE in html


def test_the_common_head_and_tail_stay_exact():
    old, new = WORST["repeated-lines-middle"]
    html = str(side_by_side(old, new, "旧稿", "新稿"))
    assert queries.COARSE_NOTE not in html
    assert html.count('<tr class="changed">') == 2  # a removed, b added: nothing else


def test_the_compare_page_answers_for_the_worst_pair(app, world, make_client):
    from tests.support.handling import write_draft
    from tracker.extensions import db
    from tracker.handling.models import Assignment

    aid = _bring(app, world, "drafting")
    with app.test_request_context():
        from tracker.accounts.models import User

        assignment = db.session.get(Assignment, aid)
        drafter = db.session.get(User, world.health_drafter)
        old, new = WORST["swapped-pairs"]
        write_draft(assignment, drafter, body=old)
        write_draft(assignment, drafter, body=new)
        db.session.commit()
    client = make_client()
    client.login("health_drafter")
    response = client.get(f"/assignments/{aid}/drafts/compare")
    assert response.status_code == 200
    assert queries.COARSE_NOTE in response.get_data(as_text=True)
