"""The staff's side of 满意度测评: the ratings panel of the item page, a clerk's entry of a
paper 征询意见表 on an author's behalf, and the administrator's aggregation rule."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired

from tracker.accounts.models import User
from tracker.admin.permissions import admin_required
from tracker.core.errors import (Hidden, InvalidTransition, PermissionDenied,
                                 ValidationFailed)
from tracker.core.forms import BaseForm
from tracker.core.views import FAILED, apply_errors, attempt, load_or_404
from tracker.extensions import db
from tracker.files.storage import path_of, store_upload
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.workflow import MAIN_ROLES, AssignmentState
from tracker.proposals.models import Author, Proposal
from tracker.ratings import operations, queries
from tracker.ratings import permissions as rating_permissions
from tracker.ratings.forms import RatingForm
from tracker.ratings.models import (Grade, OutboxMessage, Rating, RatingChannel, RatingRule,
                                    Satisfaction)
from tracker.replies.models import Reply

bp = Blueprint("rating_admin", __name__)

NOT_AN_AUTHOR = "该提出人不是本件建议提案的提出人。"
CHINESE_NUMERALS = "一二三四五六七八九十"


# -- forms ------------------------------------------------------------------------------------

class PaperRatingForm(RatingForm):
    """The answers of one author's paper form, entered by a clerk, with the scan."""

    # Not limited to the offered choices here: an author of another item gets the
    # operation's own message ("not an author of this item"), not a generic one.
    author_id = SelectField("提出人", coerce=int, validate_choice=False,
                            validators=[InputRequired("请选择提出人。")])
    scan = FileField("征询意见表扫描件（PDF 或图片，可选）")


class PaperRatingInput(RatingForm):
    """The same answers through the API (no scan)."""

    author_id = IntegerField("提出人 id（见事项的 authors[].id）",
                             validators=[InputRequired("请选择提出人。")])


class RatingRuleForm(BaseForm):
    rule = RadioField("评价汇总规则", choices=[(r.value, r.label) for r in RatingRule],
                      validators=[InputRequired("请选择评价汇总规则。")])


# -- the operation both the page and the API use -------------------------------------------

def _rating_open(reply: Reply) -> bool:
    """The reply is the assignment's current, issued one, its ratings still being collected."""
    assignment = reply.assignment
    return (reply.issued_at is not None and assignment.state == AssignmentState.replied.value
            and reply.round == assignment.round and assignment.proposal.closed_at is None)


def enter_paper_rating(reply: Reply, author_id, answers: dict, actor: User, *,
                       scan=None) -> Rating:
    """A clerk enters one author's paper 征询意见表 on their behalf, with its scan.

    The answers are checked and stored first; the scan is written only when they were
    accepted, so a refused entry leaves no file behind.
    """
    if reply.assignment.proposal.closed_at is not None:
        raise InvalidTransition("该事项已办结，不能再录入评价。")
    if not _rating_open(reply):
        raise InvalidTransition("该答复不在征询评价阶段（尚未发文、评价已完成或已重新办理），"
                                "不能录入评价。")
    author = db.session.get(Author, author_id) if isinstance(author_id, int) else None
    if author is None or author.proposal_id != reply.assignment.proposal_id:
        raise ValidationFailed(NOT_AN_AUTHOR, {"author_id": [NOT_AN_AUTHOR]})
    rating = operations.submit_rating(reply, author, answers, channel=RatingChannel.paper,
                                      actor=actor)
    if scan is not None and getattr(scan, "filename", ""):
        stored = store_upload(scan, field="scan", proposal_id=reply.assignment.proposal_id,
                              unit_id=actor.unit_id, actor_id=actor.id)
        db.session.flush()
        rating.scan_id = stored.id
        db.session.flush()
    return rating


# -- what the item page shows -----------------------------------------------------------------

def can_view_ratings(user: User, assignment: Assignment) -> bool:
    """A unit's ratings are for the supervising office and the unit itself."""
    if not permissions.can_view_assignment(user, assignment):
        return False
    return permissions.is_supervisor(user) or user.unit_id == assignment.unit_id


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
    for reply in queries.replies_of(assignment):
        emails = _emails(reply)
        authors = []
        for row in queries.author_rows(reply):
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
            "collecting": _rating_open(reply),
            "rating": Satisfaction(reply.rating) if reply.rating else None,
            "authors": authors,
            "answered": answered,
        })
    return rounds


@bp.app_template_global()
def rating_panel(proposal: Proposal) -> dict:
    """The ratings panel of the item page, as far as the current user may see it."""
    sections = [
        {"assignment": a, "rounds": reply_rounds(a)}
        for a in proposal.assignments
        if a.role in MAIN_ROLES and a.state != AssignmentState.returned.value
        and can_view_ratings(current_user, a)
    ]
    sections = [s for s in sections if s["rounds"]]
    closed = None
    if proposal.closed_at is not None:
        try:
            grade = Grade(proposal.handling_grade).label
        except ValueError:
            grade = proposal.handling_grade
        closed = {"at": proposal.closed_at, "grade": grade, "comment": proposal.grade_comment,
                  "by": db.session.get(User, proposal.closed_by_id)
                  if proposal.closed_by_id else None}
    return {
        "sections": sections,
        "closed": closed,
        "rule": queries.rating_rule(),
        "can_enter": permissions.is_supervisor(current_user),
        "lapsed": queries.rating_period_over(proposal),
        "rating_days": queries.rating_days(),
    }


@bp.app_template_global()
def can_print_rating_form(assignment: Assignment) -> bool:
    """The same rule as the 征询意见表 route: the supervising office and the unit's clerk."""
    return rating_permissions.can_print_rating_form(current_user, assignment)


@bp.app_template_global()
def can_mint_rating_link(assignment: Assignment) -> bool:
    """A new rating link on the printed form: the supervising office only."""
    return rating_permissions.can_mint_rating_link(current_user, assignment)


# -- pages ------------------------------------------------------------------------------------

@bp.route("/replies/<int:reply_id>/ratings/new", methods=["GET", "POST"])
@login_required
def enter_rating(reply_id: int):
    """录入纸质征询意见表: the supervising clerk enters an author's answers and the scan."""
    reply = load_or_404(Reply, reply_id)
    assignment = reply.assignment
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    if not permissions.is_supervisor(current_user):
        raise PermissionDenied("只有交办员可以代提出人录入纸质征询意见表。")
    rows = queries.author_rows(reply) if reply.issued_at else []
    pending = [row["author"] for row in rows if row["rating"] is None]
    form = PaperRatingForm()
    form.author_id.choices = [(a.id, f"{a.name}（{'领衔' if a.is_lead else '联名/附议'}）")
                              for a in pending]
    status = 200
    if form.validate_on_submit():
        try:
            rating = enter_paper_rating(reply, form.author_id.data, form.answers(),
                                        current_user, scan=form.scan.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
            status = 422
        else:
            scan = rating.scan
            try:
                db.session.commit()
            except Exception:
                db.session.rollback()
                if scan is not None:
                    path_of(scan).unlink(missing_ok=True)
                raise
            flash(_saved_message(rating, assignment), "success")
            return redirect(url_for("proposals.detail", proposal_id=assignment.proposal_id,
                                    _anchor=f"ratings-{assignment.id}"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "ratings/staff_paper.html", form=form, reply=reply, assignment=assignment,
        proposal=assignment.proposal, rows=rows, is_open=_rating_open(reply),
        round_label=round_label(reply.round)), status


def _saved_message(rating: Rating, assignment: Assignment) -> str:
    db.session.refresh(assignment)
    text = f"已录入{rating.author.name}的纸质征询意见表（{rating.verdict.label}）。"
    if assignment.state == AssignmentState.rated.value:
        return text + "提出人评价已全部收到，测评完成。"
    if assignment.state == AssignmentState.drafting.value:
        return text + "评价结果为不满意，已退回承办单位重新办理。"
    return text


@bp.route("/admin/rating-rule", methods=["GET", "POST"])
@login_required
@admin_required
def rating_rule():
    """The administrator's rule for an item's rating from its authors' answers."""
    current = queries.rating_rule()
    form = RatingRuleForm()
    if not form.is_submitted():
        form.rule.data = current.value
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        chosen = attempt(form, lambda: operations.set_rating_rule(current_user, form.rule.data))
        if chosen is not FAILED:
            flash(f"评价汇总规则已设为「{chosen.label}」。已完成的测评不受影响。", "success")
            return redirect(url_for("rating_admin.rating_rule"))
    return render_template("ratings/staff_rule.html", form=form, current=current,
                           rules=list(RatingRule)), status
