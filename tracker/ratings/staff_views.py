"""The staff's pages of 满意度测评: a clerk's entry of a paper 征询意见表 on an author's behalf
and the administrator's aggregation rule (their forms, operation and queries live beside)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from tracker.accounts.permissions import admin_required
from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.core.views import FAILED, apply_errors, attempt, load_or_404
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.workflow import AssignmentState
from tracker.ratings import operations, queries
from tracker.ratings.forms import PaperRatingForm, RatingRuleForm
from tracker.ratings.models import Rating, RatingRule
from tracker.replies.models import Reply

bp = Blueprint("rating_admin", __name__)


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
            rating = operations.enter_paper_rating(reply, form.author_id.data, form.answers(),
                                        current_user, scan=form.scan.data)
        except ValidationFailed as exc:
            db.session.rollback()
            apply_errors(form, exc)
            status = 422
        else:
            # A failed COMMIT rolls back, and the scan's object goes with it (put_in_transaction).
            db.session.commit()
            flash(_saved_message(rating, assignment), "success")
            return redirect(url_for("proposals.detail", proposal_id=assignment.proposal_id,
                                    _anchor=f"ratings-{assignment.id}"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "ratings/staff_paper.html", form=form, reply=reply, assignment=assignment,
        proposal=assignment.proposal, rows=rows, is_open=queries.rating_open(reply),
        round_label=queries.round_label(reply.round)), status


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
