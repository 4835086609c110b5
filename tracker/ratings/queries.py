"""Reading ratings: the aggregation rule, an assignment's outcome, the state of each author."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import joinedload

from tracker.accounts.models import User
from tracker.accounts.permissions import is_supervisor
from tracker.core.models import Setting
from tracker.core.states import AssignmentState, Grade, Satisfaction
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.workflow import MAIN_ROLES
from tracker.notifications.models import OutboxMessage
from tracker.proposals.models import Proposal
from tracker.ratings.models import Rating, RatingRequest, RatingRule
from tracker.ratings.permissions import can_view_ratings
from tracker.replies import queries as reply_queries
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
    return reply_queries.current_reply(assignment, issued=True)


def ratings_of(reply: Reply) -> dict[int, Rating]:
    """The answers in so far, by author id."""
    return {r.author_id: r for r in db.session.scalars(
        select(Rating).where(Rating.reply_id == reply.id)
        .options(joinedload(Rating.entered_by)))}


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


def rated_unsatisfied(assignment) -> bool | None:
    """None until every author answered, then whether the outcome is 不满意 (for the workflow)."""
    result = outcome(assignment)
    return None if result is None else result == Satisfaction.unsatisfied


def rating_period_over(proposal) -> bool:
    """Every main unit's current reply was issued more than RATING_DAYS ago."""
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


def rating_period_over_clause():
    """rating_period_over() as a condition on Proposal, for lists (one query, any rows)."""
    limit = utcnow() - timedelta(days=rating_days())
    main = (Assignment.proposal_id == Proposal.id,
            Assignment.role.in_([r.value for r in MAIN_ROLES]),
            Assignment.state != AssignmentState.returned.value)
    lapsed_reply = exists(select(Reply.id).where(
        Reply.assignment_id == Assignment.id, Reply.round == Assignment.round,
        Reply.issued_at.is_not(None), Reply.issued_at <= limit))
    return and_(exists(select(Assignment.id).where(*main)),
                ~exists(select(Assignment.id).where(*main, ~lapsed_reply)))


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
    return [r for r in reply_queries.replies_of(assignment) if r.issued_at is not None]


def rating_open(reply: Reply) -> bool:
    """The reply is the assignment's current, issued one, its ratings still being collected."""
    assignment = reply.assignment
    return (reply.issued_at is not None and assignment.state == AssignmentState.replied.value
            and reply.round == assignment.round and assignment.proposal.closed_at is None)


# -- the ratings panel of the item page (and the API's ratings of an item) --------------------

CHINESE_NUMERALS = "一二三四五六七八九十"


def round_label(number: int) -> str:
    numeral = CHINESE_NUMERALS[number - 1] if 1 <= number <= 10 else str(number)
    return f"第{numeral}轮答复"


def _emails(reply: Reply) -> dict[int, list[OutboxMessage]]:
    rows: dict[int, list[OutboxMessage]] = {}
    for message in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.reply_id == reply.id).order_by(OutboxMessage.id)):
        rows.setdefault(message.author_id, []).append(message)
    return rows


def reply_rounds(assignment: Assignment) -> list[dict]:
    """Every issued reply of the assignment (all rounds) with each author's answer, the links
    made so far (never a token) and the e-mails."""
    rounds = []
    for reply in replies_of(assignment):
        emails = _emails(reply)
        authors = []
        for row in author_rows(reply):
            links = row["links"]
            live = [link for link in links if link.revoked_at is None]
            authors.append({
                **row,
                "link_count": len(live),
                "revoked_count": len(links) - len(live),
                "link_expires_at": max(link.expires_at for link in live) if live else None,
                "emails": emails.get(row["author"].id, []),
            })
        answered = sum(1 for row in authors if row["rating"] is not None)
        rounds.append({
            "reply": reply,
            "label": round_label(reply.round),
            "collecting": rating_open(reply),
            "rating": Satisfaction(reply.rating) if reply.rating else None,
            "authors": authors,
            "answered": answered,
        })
    return rounds


def rating_panel(proposal: Proposal, user: User) -> dict:
    """The ratings panel of the item page, as far as the current user may see it."""
    sections = [
        {"assignment": a, "rounds": reply_rounds(a)}
        for a in proposal.assignments
        if a.role in MAIN_ROLES and a.state != AssignmentState.returned.value
        and can_view_ratings(user, a)
    ]
    sections = [s for s in sections if s["rounds"]]
    closed = None
    if proposal.closed_at is not None:
        grade = Grade.label_of(proposal.handling_grade)
        closed = {"at": proposal.closed_at, "grade": grade, "comment": proposal.grade_comment,
                  "by": db.session.get(User, proposal.closed_by_id)
                  if proposal.closed_by_id else None}
    return {
        "sections": sections,
        "closed": closed,
        "rule": rating_rule(),
        "can_enter": is_supervisor(user),
        "lapsed": rating_period_over(proposal),
        "rating_days": rating_days(),
    }
