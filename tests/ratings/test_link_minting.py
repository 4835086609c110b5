"""Who makes rating links (issue 14, finding 1: the rated unit could rate itself).

Only the system at 发文 (the e-mails) and the supervising office (by hand, with a reason)
make a link; the handling unit prints the paper 征询意见表 without one. Every mint is in the
audit log with who and why; a new link of the same author and reply revokes the older ones;
and a link made by a user of the rated unit is refused when it is used, also one made before
these rules.
"""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.ratings.test_form_pdf import REASON, form_url, link_count, pdf_text, printed_token
from tests.ratings.test_public_rating import anonymous, make_issued, text, world_rows
from tracker.audit.log import details_of
from tracker.audit.models import AuditEvent
from tracker.core.errors import PermissionDenied, ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Author
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingRequest
from tracker.replies.models import Reply

SATISFIED = {"handling": "satisfied", "result": "satisfied", "contacted": "yes",
             "contact_method": "face", "comments": "非常满意"}


def rating_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Rating))


def mint_events(app) -> list[tuple[AuditEvent, dict]]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "rating_link_minted").order_by(AuditEvent.seq)).all()
        db.session.expunge_all()
        return [(event, details_of(event)) for event in events]


def link_of(app, token: str) -> RatingRequest:
    with app.app_context():
        link = db.session.scalar(select(RatingRequest).where(
            RatingRequest.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        db.session.expunge_all()
        return link


def still_replied(app, item) -> bool:
    with app.app_context():
        return db.session.get(Assignment, item.assignment_id).state == "replied"


# -- the rated unit cannot make a link ------------------------------------------------------

def test_the_unit_clerks_printed_form_cannot_rate_the_units_own_reply(app, world, make_client):
    """The attack of the finding: the unit clerk prints the form, opens its link anonymously
    and submits 满意. The form carries no link, and asking for one is refused."""
    item = make_issued(app, world)
    links, events = link_count(app), len(mint_events(app))
    clerk = make_client()
    clerk.login("health_clerk")
    printed = clerk.post_form(form_url(item))
    assert printed.status_code == 200
    printed_text = pdf_text(printed.data)[0]
    flat = re.sub(r"\s+", "", printed_text)
    if "/rate/" in flat:  # a form with a link: follow the attack through
        token = printed_token(printed_text)
        visitor = anonymous(make_client, token)
        visitor.post_form(f"/rate/{token}", SATISFIED)
    assert rating_count(app) == 0 and still_replied(app, item), "the unit rated itself"
    assert "/rate/" not in flat, "the unit's own form carries a live rating link"
    assert "评价链接由督办单位另行发送" in flat

    # Asking for a link (as the supervising clerk's form does) is refused.
    asked = clerk.post_form(form_url(item), {"with_link": "y", "reason": REASON})
    assert asked.status_code == 403
    assert "只有督办单位的交办员可以生成评价链接" in text(asked)
    assert asked.mimetype != "application/pdf"

    # Nothing to open, nothing made, nothing rated.
    assert link_count(app) == links and len(mint_events(app)) == events
    assert rating_count(app) == 0 and still_replied(app, item)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RatingRequest).where(
            RatingRequest.created_by_id == world.health_clerk)) == 0


def test_only_the_supervising_office_makes_links(app, world):
    make_issued(app, world)  # the world's links
    with app.test_request_context():
        w = world_rows(world)
        reply = db.session.scalar(select(Reply).order_by(Reply.id.desc()))
        author = reply.assignment.proposal.authors[0]
        for user in (w.health_clerk, w.health_drafter, w.health_signer, w.hr_clerk, w.admin):
            with pytest.raises(PermissionDenied, match="只有督办单位的交办员"):
                ratings.new_link(reply, author, actor=user, reason=REASON)
            with pytest.raises(PermissionDenied):
                ratings.mint_link(reply, author, user, reason=REASON)
        with pytest.raises(ValidationFailed, match="请填写生成评价链接的理由"):
            ratings.mint_link(reply, author, w.clerk, reason="  ")
        assert db.session.scalar(select(func.count()).select_from(RatingRequest).where(
            RatingRequest.created_by_id != w.clerk.id)) == 0


def test_the_panel_offers_the_new_link_to_the_supervising_office_only(app, world, make_client):
    item = make_issued(app, world)
    unit = make_client()
    unit.login("health_clerk")
    page = text(unit.get(f"/proposals/{item.proposal_id}"))
    assert page.count("打印征询意见表（纸质，不含评价链接）") == 2
    assert "mint-form" not in page and "生成新评价链接" not in page
    office = make_client()
    office.login("clerk")
    page = text(office.get(f"/proposals/{item.proposal_id}"))
    assert page.count('class="mint-form') == 2 and page.count('name="reason"') == 2
    assert "原有评价链接将作废" in page


# -- minting by hand: with who and why in the audit log ------------------------------------

def test_the_supervising_clerk_mints_with_a_reason_and_the_audit_log_says_who_and_why(
        app, world, make_client):
    item = make_issued(app, world)
    old = link_of(app, item.tokens[0])
    before = len(mint_events(app))
    clerk = make_client()
    clerk.login("clerk")

    blank = clerk.post_form(form_url(item), {"with_link": "y", "reason": ""})
    assert blank.status_code == 422 and "请填写生成评价链接的理由" in text(blank)
    assert len(mint_events(app)) == before

    response = clerk.post_form(form_url(item), {"with_link": "y", "reason": REASON})
    assert response.status_code == 200
    token = printed_token(pdf_text(response.data)[0])
    link = link_of(app, token)
    assert link.created_by_id == world.clerk and link.minted_reason == REASON

    (event, details), = mint_events(app)[before:]
    assert event.actor_id == world.clerk and event.actor_name == "赵交办"
    assert event.outcome == "success" and event.object_type == "reply"
    assert (event.object_id, event.proposal_id) == (item.reply_id, item.proposal_id)
    assert details["reason"] == REASON
    assert details["author_id"] == item.author_ids[0] and details["link_id"] == link.id
    assert details["channel"] == "print" and details["revoked"] == [old.id]
    assert token not in event.details and token[:20] not in event.details

    visitor = anonymous(make_client, token)
    assert visitor.post_form(f"/rate/{token}", SATISFIED).status_code == 200
    assert rating_count(app) == 1


def test_the_systems_e_mail_link_is_audited_too(app, world):
    item = make_issued(app, world)
    with app.test_request_context():
        reply = db.session.get(Reply, item.reply_id)
        author = db.session.get(Author, item.author_ids[1])
        ratings.new_link(reply, author, channel="email", reason=ratings.EMAIL_REASON)
        db.session.commit()
    event, details = mint_events(app)[-1]
    assert event.actor_id is None and event.actor_name == "系统"
    assert details["reason"] == "发文后通过电子邮件发送评价链接"
    assert details["channel"] == "email" and details["author_id"] == item.author_ids[1]


# -- a new link revokes the older ones -------------------------------------------------------

def test_a_second_mint_revokes_the_first(app, world, make_client):
    item = make_issued(app, world)
    clerk = make_client()
    clerk.login("clerk")
    first = printed_token(pdf_text(clerk.post_form(form_url(item), {
        "with_link": "y", "reason": REASON}).data)[0])
    second = printed_token(pdf_text(clerk.post_form(form_url(item), {
        "with_link": "y", "reason": "提出人称链接遗失，重新打印"}).data)[0])
    assert first != second

    # The first link (and the one made before it) answers like an expired one, in Chinese.
    for token in (item.tokens[0], first):
        visitor = anonymous(make_client, item.tokens[1])
        page = visitor.get(f"/rate/{token}")
        assert page.status_code == 404
        assert "该评价链接已于" in text(page) and "作废" in text(page)
        assert 'name="handling"' not in text(page) and item.title not in text(page)
        posted = visitor.post_form(f"/rate/{token}", SATISFIED)
        assert posted.status_code == 404 and "作废" in text(posted)
    assert rating_count(app) == 0 and still_replied(app, item)
    assert link_of(app, first).revoked_at is not None
    assert link_of(app, second).revoked_at is None
    # The other author's link is untouched.
    assert link_of(app, item.tokens[1]).revoked_at is None
    _, details = mint_events(app)[-1]
    assert details["revoked"] == [link_of(app, first).id]

    # The panel counts the live link and says how many were revoked.
    page = text(clerk.get(f"/proposals/{item.proposal_id}"))
    assert "已生成评价链接 1 个" in page and "另有 2 个已作废" in page

    visitor = anonymous(make_client, second)
    assert visitor.post_form(f"/rate/{second}", SATISFIED).status_code == 200
    assert rating_count(app) == 1


def test_a_hand_mint_revokes_the_e_mail_link(app, world):
    item = make_issued(app, world, authors=({"name": "李华", "email": "lihua@example.cn"},))
    with app.test_request_context():
        w = world_rows(world)
        reply = db.session.get(Reply, item.reply_id)
        author = db.session.get(Author, item.author_ids[0])
        emailed = ratings.new_link(reply, author, channel="email", reason=ratings.EMAIL_REASON)
        fresh = ratings.mint_link(reply, author, w.clerk, reason=REASON)
        for older in (item.tokens[0], emailed):
            with pytest.raises(ratings.LinkRefused, match="作废"):
                ratings.find_link(older)
        assert ratings.find_link(fresh).author_id == author.id


# -- a link made by the rated unit is refused, also an old one -----------------------------

@pytest.mark.parametrize("maker", ["health_clerk", "health_drafter"])
def test_a_link_made_by_a_user_of_the_rated_unit_cannot_be_used(app, world, make_client,
                                                                 maker):
    item = make_issued(app, world)
    token = "old-unit-link-" + "x" * 30
    with app.app_context():
        # As the unit clerk's printed form made them before the rule (inserted directly).
        db.session.add(RatingRequest(
            reply_id=item.reply_id, author_id=item.author_ids[0], channel="print",
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            created_by_id=getattr(world, maker), expires_at=utcnow() + timedelta(days=30)))
        db.session.commit()
    visitor = anonymous(make_client, item.tokens[1])
    page = visitor.get(f"/rate/{token}")
    assert page.status_code == 404
    assert "不是由交办单位发出的" in text(page) and item.title not in text(page)
    posted = visitor.post_form(f"/rate/{token}", SATISFIED)
    assert posted.status_code == 404 and "不能用于评价" in text(posted)
    assert rating_count(app) == 0 and still_replied(app, item)

    # Refused where the answer is stored too (defence in depth behind the page's check).
    with app.test_request_context():
        link = db.session.scalar(select(RatingRequest).where(
            RatingRequest.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        with pytest.raises(ratings.LinkRefused, match="不能用于评价"):
            ratings.submit_rating(link.reply, link.author, SATISFIED,
                                  channel=ratings.RatingChannel.online, link=link)
        db.session.rollback()
    assert rating_count(app) == 0

