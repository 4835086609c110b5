"""Rating links, answers, the completing rating's move, the aggregation rule and 办结."""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from tracker.accounts.models import User
from tracker.audit import log as audit
from tracker.core.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from tracker.core.models import Setting
from tracker.core.states import Grade, Satisfaction
from tracker.core.time import to_local, today, utcnow
from tracker.extensions import db
from tracker.files.storage import store_upload
from tracker.handling.models import Assignment, ContactMethod
from tracker.handling.workflow import (
    MAIN_ROLES,
    Action,
    AssignmentState,
    check,
    lock_item,
    transition,
)
from tracker.notifications.models import OutboxMessage
from tracker.proposals.models import Author, Proposal
from tracker.ratings import queries
from tracker.ratings.models import Rating, RatingChannel, RatingRequest, RatingRule
from tracker.ratings.permissions import MINT_REFUSED, can_mint_rating_link, is_made_by_rated_unit
from tracker.replies.models import Reply
from tracker.replies.queries import current_reply
from tracker.workdays.calendar import WorkCalendar


class LinkRefused(DomainError):
    """A rating link that cannot be used (unknown, expired, already used)."""

    status = 404


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# The rating code printed on the 征询意见表 and typed back by hand: Crockford's base32 without
# the characters that read like others (0/O, 1/I/L; U is not in it either). 20 symbols of 30
# are 98 random bits: unguessable without any rate limiting. The code is the link's token
# (only its hash is stored, as for the older 43-character tokens, which keep working).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20
CODE_GROUP = 4
_SEPARATORS = re.compile(r"[\s\-_.·‐‑‒–—―－]+")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """A code as typed (full-width, lower case, spaces or hyphens between the groups) in the
    form it was made."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed or "")).upper()


def group_code(code: str) -> str:
    """The code in groups of four, for reading it off the paper: K7QM 3XDP …"""
    return " ".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def link_url(token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/rate/{token}"


REASON_MAX = 200
EMAIL_REASON = "发文后通过电子邮件发送评价链接"
REASON_REQUIRED = "请填写生成评价链接的理由（如：提出人未收到邮件，重新发送）。"


def new_link(reply: Reply, author: Author, *, actor=None, channel: str = "print",
             reason: str = "") -> str:
    """A new personal link (256 random bits) for one author; only its hash is stored.

    Made by the system (no actor: the e-mail at 发文) or by the supervising office, never by
    the rated unit. The author's older links for this reply are revoked, and the mint is
    audited with who and why.
    """
    assignment = reply.assignment
    if actor is not None and not can_mint_rating_link(actor, assignment):
        raise PermissionDenied(MINT_REFUSED)
    _check_author(reply, author)
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_MAX:
        message = f"生成评价链接的理由不超过 {REASON_MAX} 字。"
        raise ValidationFailed(message, {"reason": [message]})
    lock_item(assignment.proposal_id)  # two mints at once: still only one live link
    check_unrated(reply, author)
    now = utcnow()
    revoked = list(db.session.scalars(select(RatingRequest.id).where(
        RatingRequest.reply_id == reply.id, RatingRequest.author_id == author.id,
        RatingRequest.revoked_at.is_(None)).order_by(RatingRequest.id)))
    if revoked:
        db.session.execute(update(RatingRequest).where(RatingRequest.id.in_(revoked))
                           .values(revoked_at=now).execution_options(synchronize_session="fetch"))
    token = new_code()
    link = RatingRequest(
        reply_id=reply.id, author_id=author.id, token_hash=_hash(token), channel=channel,
        created_by_id=getattr(actor, "id", None), created_at=now, minted_reason=reason,
        expires_at=now + timedelta(days=queries.rating_days()))
    db.session.add(link)
    db.session.flush()
    audit.record("rating_link_minted", actor=actor, object_type="reply", object_id=reply.id,
                 proposal_id=assignment.proposal_id,
                 actor_name=None if actor is not None else "系统",
                 details={"author_id": author.id, "link_id": link.id, "channel": channel,
                          "reason": reason, "revoked": revoked,
                          "expires_at": link.expires_at.isoformat(timespec="seconds")})
    return token


def mint_link(reply: Reply, author: Author, actor, *, reason: str) -> str:
    """The supervising office makes a new link by hand (printed on the 征询意见表), saying why."""
    if not " ".join((reason or "").split()):
        if not can_mint_rating_link(actor, reply.assignment):
            raise PermissionDenied(MINT_REFUSED)
        raise ValidationFailed(REASON_REQUIRED, {"reason": [REASON_REQUIRED]})
    return new_link(reply, author, actor=actor, channel="print", reason=reason)


def check_unrated(reply: Reply, author: Author) -> None:
    """Refuse a form or a link for an author whose answer is already in."""
    if author.id in queries.ratings_of(reply):
        raise ValidationFailed(f"{author.name}已提交评价，无需再发征询链接。")


def find_link(token: str) -> RatingRequest:
    """The link of this token, usable now; otherwise a refusal that says why."""
    request = None
    if token and len(token) <= 100:
        # The token of a link as given, or a code typed by hand (normalised).
        hashes = {_hash(token), _hash(normalize_code(token))}
        request = db.session.scalar(select(RatingRequest).where(
            RatingRequest.token_hash.in_(hashes)))
    if request is None:
        raise LinkRefused("评价链接无效：请核对链接是否完整，或联系交办单位重新提供。")
    if request.author_id in queries.ratings_of(request.reply):
        raise LinkRefused("您已提交过对该答复的评价，感谢您的参与。每位提出人只能评价一次。")
    _check_link(request)
    if request.expires_at <= utcnow():
        raise LinkRefused(f"该评价链接已于 {request.expires_at:%Y年%m月%d日} 过期，"
                          "如需评价请联系交办单位。")
    if request.reply.assignment.proposal.closed_at is not None:
        raise LinkRefused("该建议提案已办结，评价链接已失效。")
    if request.reply.assignment.state != AssignmentState.replied.value \
            or request.reply.round != request.reply.assignment.round:
        raise LinkRefused("该答复已不在征询评价阶段，链接已失效。")
    return request


def _check_link(request: RatingRequest) -> None:
    """Refuse a revoked link, and one made by the rated unit (also those made before the
    rule: a unit cannot rate itself)."""
    if request.revoked_at is not None:
        raise LinkRefused(f"该评价链接已于 {to_local(request.revoked_at):%Y年%m月%d日} 作废"
                          "（已为您重新生成评价链接），请使用最新收到的链接，或联系交办单位。")
    if is_made_by_rated_unit(request):
        raise LinkRefused("该评价链接不是由交办单位发出的，不能用于评价。"
                          "如需评价请联系交办单位。")


def _check_author(reply: Reply, author: Author) -> None:
    if author is None or author.proposal_id != reply.assignment.proposal_id:
        raise ValidationFailed("该提出人不是本件建议提案的提出人。",
                               {"author_id": ["该提出人不是本件建议提案的提出人。"]})


def _answers(data: dict) -> dict:
    """Check the answers of the form (or the API) and return the columns to store."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for key, label in (("handling", "对办理工作的评价"), ("result", "对办理结果的评价")):
        try:
            values[key] = Satisfaction(data.get(key))
        except ValueError:
            errors[key] = [f"请选择{label}（满意、基本满意或不满意）。"]
            continue
        score = data.get(f"{key}_score")
        if score in (None, ""):
            values[f"{key}_score"] = None
            continue
        try:
            score = int(score)
        except (TypeError, ValueError):
            errors[f"{key}_score"] = ["分数应为 0–100 的整数。"]
            continue
        low, high = values[key].band
        if not 0 <= score <= 100:
            errors[f"{key}_score"] = ["分数应为 0–100 的整数。"]
        elif not low <= score <= high:
            errors[f"{key}_score"] = [f"{score} 分与“{values[key].label}”不符"
                                      f"（{values[key].label}为 {values[key].band_label}）。"]
        else:
            values[f"{key}_score"] = score
    contacted = data.get("contacted")
    if contacted not in (True, False, "yes", "no"):
        errors["contacted"] = ["请选择承办单位是否与您联系过。"]
    else:
        values["contacted"] = contacted in (True, "yes")
        method = data.get("contact_method") or ""
        if values["contacted"]:
            if method not in {m.value for m in ContactMethod}:
                errors["contact_method"] = ["请选择联系方式。"]
            values["contact_method"] = method
        else:
            values["contact_method"] = ""
    comments = (data.get("comments") or "").strip()
    if len(comments) > 2000:
        errors["comments"] = ["意见建议不超过 2000 字。"]
    values["comments"] = comments
    if errors:
        raise ValidationFailed("评价未提交：" + "；".join(m for ms in errors.values() for m in ms),
                               errors)
    return values


def submit_rating(reply: Reply, author: Author, data: dict, *, channel: RatingChannel,
                  actor=None, link: RatingRequest | None = None, scan=None) -> Rating:
    """Store one author's answers; the last missing answer moves the assignment on
    (测评完成, or 重新办理 when the item's rating is 不满意)."""
    _check_author(reply, author)
    if link is not None and (link.reply_id, link.author_id) != (reply.id, author.id):
        raise LinkRefused("评价链接无效：请核对链接是否完整，或联系交办单位重新提供。")
    values = _answers(data)
    assignment = reply.assignment
    lock_item(assignment.proposal_id)  # ratings of one item are counted one at a time
    db.session.refresh(assignment)
    if link is not None:  # the page found it usable; checked again under the item's lock
        db.session.refresh(link)  # (a new link made meanwhile revoked this one)
        _check_link(link)
    if assignment.proposal.closed_at is not None:
        raise ValidationFailed("该建议提案已办结，不能再录入评价。")
    if assignment.state != AssignmentState.replied.value or reply.round != assignment.round:
        raise ValidationFailed("该答复已不在征询评价阶段，不能再录入评价。")
    if author.id in queries.ratings_of(reply):
        raise ValidationFailed(f"{author.name}已提交过评价，不能重复提交。",
                               {"author_id": [f"{author.name}已提交过评价。"]})
    rating = Rating(reply_id=reply.id, author_id=author.id, channel=channel,
                    request_id=link.id if link else None,
                    entered_by_id=getattr(actor, "id", None),
                    scan_id=scan.id if scan is not None else None, **values)
    db.session.add(rating)
    db.session.flush()
    audit.record("rating_submitted", actor=actor, object_type="reply", object_id=reply.id,
                 proposal_id=assignment.proposal_id,
                 unit_id=assignment.unit_id,
                 actor_name=None if actor else f"提出人（{channel.label}）",
                 details={"author_id": author.id, "channel": channel.value,
                          "verdict": rating.verdict.value})
    result = queries.outcome(assignment)
    if result is not None:
        _complete(assignment, reply, result, actor)
    return rating


def _complete(assignment: Assignment, reply: Reply, result: Satisfaction, actor) -> None:
    reply.rating, reply.rated_at = result.value, utcnow()
    details = {"rating": result.value, "rule": queries.rating_rule().value,
               "reply": reply.doc_number}
    if result != Satisfaction.unsatisfied:
        transition(assignment, Action.rate, actor, details=details)
        return
    months = int(current_app.config["REHANDLE_MONTHS"])
    deadline = WorkCalendar.load().months_deadline(today(), months)
    details["due_on"] = deadline.due_on.isoformat()
    transition(assignment, Action.rehandle, actor, details=details, changes={
        "round": assignment.round + 1, "review_cycle": 0, "due_on": deadline.due_on,
        "due_basis": "评价不满意，重新办理：" + deadline.basis.replace("自交办日", "自重新办理日"),
    })


def queue_rating_emails(reply: Reply) -> int:
    """At issue: an e-mail with a personal link for every author with an address (the link
    is made when the message is sent, after the issuing transaction commits)."""
    assignment = reply.assignment
    if assignment.role not in MAIN_ROLES:
        return 0
    count = 0
    for author in assignment.proposal.authors:
        if author.email:
            db.session.add(OutboxMessage(
                kind="rating_link", recipient=author.email, reply_id=reply.id,
                author_id=author.id, subject=f"请对{assignment.proposal.title}的答复进行评价"[:200]))
            count += 1
    return count


def rating_link_body(message: OutboxMessage) -> str:
    """The text of a rating e-mail, with a personal link made now (the outbox sends it)."""
    reply = message.reply
    author = message.author
    proposal = reply.assignment.proposal
    token = new_link(reply, author, channel="email", reason=EMAIL_REASON)
    return (
        f"{author.name}：\n\n"
        f"您提出的{proposal.meeting.name}第{proposal.number}号"
        f"{'代表建议' if proposal.kind.value == 'suggestion' else '委员提案'}"
        f"《{proposal.title}》，{reply.assignment.unit.name}已作出答复"
        f"（{reply.doc_number}）。\n\n"
        "请通过下面的个人链接对办理工作和办理结果进行评价（仅限本人使用，提交后失效，"
        f"{queries.rating_days()} 天内有效）：\n\n{link_url(token)}\n\n"
        "如对答复有疑问，请与承办单位联系。\n"
    )


def queue_emails_at_issue(event) -> None:
    """Subscribed to 发文: queue the authors' rating e-mails; their count goes to the log."""
    event.details["rating_emails"] = queue_rating_emails(current_reply(event.obj))


def set_rating_rule(actor, rule: str) -> RatingRule:
    try:
        value = RatingRule(rule)
    except ValueError:
        raise ValidationFailed("请选择评价汇总规则。", {"rule": ["请选择评价汇总规则。"]}) from None
    setting = db.session.get(Setting, queries.RULE_KEY)
    old = setting.value if setting else RatingRule.worst.value
    if setting is None:
        db.session.add(Setting(key=queries.RULE_KEY, value=value.value))
    else:
        setting.value = value.value
    audit.record("rating_rule_set", actor=actor, object_type="setting",
                 details={"from": old, "to": value.value})
    return value


def close_item(proposal: Proposal, actor, *, grade: str, comment: str = "") -> Proposal:
    """办结 with the supervising office's grade of the handling; the item is read-only after."""
    try:
        value = Grade(grade)
    except ValueError:
        raise ValidationFailed("请评定办理工作等次（好、中、差）。",
                               {"grade": ["请评定办理工作等次（好、中、差）。"]}) from None
    comment = (comment or "").strip()
    if value == Grade.poor and not comment:
        raise ValidationFailed("评定为“差”时请填写理由。", {"comment": ["评定为“差”时请填写理由。"]})
    check(proposal, Action.close, actor)

    def stamp() -> None:
        proposal.closed_at, proposal.closed_by_id = utcnow(), actor.id
        proposal.handling_grade, proposal.grade_comment = value.value, comment[:2000]

    transition(proposal, Action.close, actor, effect=stamp,
               details={"grade": value.value, "comment": comment[:200]})
    return proposal


# -- a clerk's entry of a paper 征询意见表 (the page and the API) ------------------------------

NOT_AN_AUTHOR = "该提出人不是本件建议提案的提出人。"


def enter_paper_rating(reply: Reply, author_id, answers: dict, actor: User, *,
                       scan=None) -> Rating:
    """A clerk enters one author's paper 征询意见表 on their behalf, with its scan.

    The answers are checked and stored first; the scan is written only when they were
    accepted, so a refused entry leaves no file behind.
    """
    if reply.assignment.proposal.closed_at is not None:
        raise InvalidTransition("该事项已办结，不能再录入评价。")
    if not queries.rating_open(reply):
        raise InvalidTransition("该答复不在征询评价阶段（尚未发文、评价已完成或已重新办理），"
                                "不能录入评价。")
    author = db.session.get(Author, author_id) if isinstance(author_id, int) else None
    if author is None or author.proposal_id != reply.assignment.proposal_id:
        raise ValidationFailed(NOT_AN_AUTHOR, {"author_id": [NOT_AN_AUTHOR]})
    rating = submit_rating(reply, author, answers, channel=RatingChannel.paper,
                                      actor=actor)
    if scan is not None and getattr(scan, "filename", ""):
        stored = store_upload(scan, field="scan", proposal_id=reply.assignment.proposal_id,
                              unit_id=actor.unit_id, actor_id=actor.id)
        db.session.flush()
        rating.scan_id = stored.id
        db.session.flush()
    return rating
