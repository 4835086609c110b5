"""Reading ratings: the aggregation rule, an assignment's outcome, the state of each author."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling.states import AssignmentState
from tracker.ratings.models import Rating, RatingRequest, RatingRule, Satisfaction, Setting
from tracker.replies.models import Reply

RULE_KEY = "rating_rule"


def rating_rule() -> RatingRule:
    value = db.session.get(Setting, RULE_KEY)
    try:
        return RatingRule(value.value) if value else RatingRule.worst
    except ValueError:
        return RatingRule.worst


def rating_days() -> int:
    return int(current_app.config["RATING_DAYS"])


def aggregate(answers: list[Satisfaction], rule: RatingRule) -> Satisfaction:
    """The item's rating from its authors' answers (in author order, the lead author first)."""
    if rule == RatingRule.lead_author:
        return answers[0]
    if rule == RatingRule.majority:
        counts = Counter(answers)
        top = max(counts.values())
        return max((s for s, n in counts.items() if n == top), key=lambda s: s.rank)
    return max(answers, key=lambda s: s.rank)


def issued_reply(assignment) -> Reply | None:
    """The assignment's reply of its current round, once issued."""
    return db.session.scalar(select(Reply).where(
        Reply.assignment_id == assignment.id, Reply.round == assignment.round,
        Reply.issued_at.is_not(None)))


def ratings_of(reply: Reply) -> dict[int, Rating]:
    """The answers in so far, by author id."""
    return {r.author_id: r for r in db.session.scalars(
        select(Rating).where(Rating.reply_id == reply.id))}


def outcome(assignment) -> Satisfaction | None:
    """The rating of the assignment's issued reply once every author answered, else None."""
    reply = issued_reply(assignment)
    if reply is None:
        return None
    answers = ratings_of(reply)
    authors = assignment.proposal.authors
    if not authors or any(a.id not in answers for a in authors):
        return None
    return aggregate([answers[a.id].verdict for a in authors], rating_rule())


def rating_period_over(proposal) -> bool:
    """Every main unit's current reply was issued more than RATING_DAYS ago."""
    from tracker.handling.workflow import MAIN_ROLES

    mains = [a for a in proposal.assignments
             if a.role in MAIN_ROLES and a.state != AssignmentState.returned]
    if not mains:
        return False
    limit = utcnow() - timedelta(days=rating_days())
    for assignment in mains:
        reply = issued_reply(assignment)
        if reply is None or reply.issued_at > limit:
            return False
    return True


def author_rows(reply: Reply) -> list[dict]:
    """Per author of the reply's item: the answer (or None) and the links made so far."""
    answers = ratings_of(reply)
    links = {}
    for request in db.session.scalars(select(RatingRequest).where(
            RatingRequest.reply_id == reply.id)):
        links.setdefault(request.author_id, []).append(request)
    proposal = reply.assignment.proposal
    return [{"author": a, "rating": answers.get(a.id), "links": links.get(a.id, [])}
            for a in proposal.authors]


def replies_of(assignment) -> list[Reply]:
    """Every issued reply of the assignment, round by round (both rounds stay visible)."""
    return list(db.session.scalars(select(Reply).where(
        Reply.assignment_id == assignment.id, Reply.issued_at.is_not(None))
        .order_by(Reply.round)))
