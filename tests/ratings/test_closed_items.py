"""A closed item is read-only: its links stop working, ratings and corrections are refused;
rating scans are for the supervising office and the rated unit only."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.ratings.test_staff_ratings import PDF, count, issue_item, make_issued, paper_form, world_rows
from tracker.core.errors import InvalidTransition, ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.proposals import operations as proposals
from tracker.proposals.models import Proposal
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingChannel
from tracker.ratings.queries import issued_reply
from tracker.replies.models import Reply

ANSWERS = {"handling": "satisfied", "result": "satisfied", "contacted": "no"}


def _close_after_lapse(w, assignment):
    reply = issued_reply(assignment)
    reply.issued_at = utcnow() - timedelta(days=61)  # the rating period is over
    db.session.flush()
    ratings.close_item(assignment.proposal, w.clerk, grade="fair", comment="未全部评价")
    return reply


def test_a_closed_item_refuses_links_ratings_and_corrections(app, world):
    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, [{"name": "李华"}, {"name": "王芳"}])
        reply = issued_reply(assignment)
        author = assignment.proposal.authors[1]
        token = ratings.new_link(reply, author)
        _close_after_lapse(w, assignment)
        assert assignment.proposal.state == "closed"
        with pytest.raises(ratings.LinkRefused, match="已办结"):
            ratings.find_link(token)
        with pytest.raises(ValidationFailed, match="已办结"):
            ratings.submit_rating(reply, author, ANSWERS, channel=RatingChannel.paper,
                                  actor=w.clerk)
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
        proposal = assignment.proposal
        with pytest.raises(InvalidTransition, match="已办结"):
            proposals.update_proposal(w.clerk, proposal, authors=[{"name": "李华"}],
                                      number=proposal.number, title="改过的标题",
                                      received_on=proposal.received_on)
        db.session.rollback()


def test_the_public_page_refuses_the_link_of_a_closed_item(app, world, client):
    item = make_issued(app, world, links=True)
    with app.test_request_context():
        w = world_rows(world)
        reply = db.session.get(Reply, item.reply_id)
        _close_after_lapse(w, reply.assignment)
        db.session.commit()
    response = client.get(f"/rate/{item.tokens[0]}")
    assert response.status_code == 404 and "已办结" in response.get_data(as_text=True)
    assert count(app, Rating) == 0


def test_a_rating_scan_is_not_for_co_handling_units(app, world, make_client):

    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, [{"name": "李华"}], co_unit=w.hr)
        reply_id, proposal_id = issued_reply(assignment).id, assignment.proposal_id
        db.session.commit()
    clerk = make_client()
    clerk.login("clerk")
    assert paper_form(clerk, reply_id, _author(app, proposal_id),
                      scan=(io.BytesIO(PDF), "征询意见表.pdf")).status_code == 302
    with app.app_context():
        scan_id = db.session.scalars(select(Rating.scan_id)).one()
    for username, status in (("clerk", 200), ("health_clerk", 200), ("hr_clerk", 404),
                             ("edu_clerk", 404)):
        user = make_client()
        user.login(username)
        assert user.get(f"/attachments/{scan_id}").status_code == status, username


def _author(app, proposal_id: int) -> int:
    with app.app_context():
        return db.session.get(Proposal, proposal_id).authors[0].id
