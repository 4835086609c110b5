"""Pages of the commitments (承诺事项): list one on a B or C reply, change it, report progress,
close it; and the annual 回头看 of the supervising office."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.accounts.models import Section, Unit
from tracker.commitments import operations, permissions, queries
from tracker.commitments.forms import NO_SECTION, CloseForm, CommitmentForm, EditForm, ReportForm
from tracker.commitments.models import Commitment
from tracker.core.errors import Hidden, PermissionDenied
from tracker.core.time import today
from tracker.core.views import FAILED, attempt, int_arg, load_or_404
from tracker.extensions import db
from tracker.handling.permissions import can_view_proposal
from tracker.proposals.models import Proposal

bp = Blueprint("commitments", __name__)


def _item_page(proposal_id: int, commitment_id: int | None = None):
    anchor = f"commitment-{commitment_id}" if commitment_id else "commitments"
    return redirect(url_for("proposals.detail", proposal_id=proposal_id, _anchor=anchor))


def _sections(form, unit_id: int) -> None:
    form.section_id.choices = [NO_SECTION] + [
        (s.id, s.name) for s in db.session.scalars(
            select(Section).where(Section.unit_id == unit_id).order_by(Section.id))]


def _reply_label(reply) -> str:
    result_class = operations.reply_class(reply)
    number = reply.doc_number or "尚未发文"
    rounds = f"第{reply.round}轮答复" if reply.round > 1 else "答复"
    return f"{reply.assignment.unit.name}{rounds}（{number}，{result_class}类）"


def _visible_commitment(commitment_id: int) -> Commitment:
    commitment = load_or_404(Commitment, commitment_id)
    if not permissions.can_view(current_user, commitment):
        raise Hidden()
    return commitment


def _changeable(commitment_id: int, verb: str) -> Commitment:
    commitment = _visible_commitment(commitment_id)
    if not permissions.can_change(current_user, commitment):
        raise PermissionDenied(
            f"该承诺事项已{commitment.status.label}，不能再{verb}。" if not commitment.is_open
            else f"只有承办单位的联络员或承办人可以{verb}承诺事项。")
    return commitment


def _page(template: str, form, **context):
    # (an operation's refusal has flashed its own summary already: attempt())
    if request.method == "POST" and form.errors and not session.get("_flashes"):
        flash("提交的内容有误，请按提示修改。", "danger")
    return render_template(template, form=form, **context), 422 if form.errors else 200


@bp.route("/proposals/<int:proposal_id>/commitments/new", methods=["GET", "POST"])
@login_required
def add(proposal_id: int):
    proposal = load_or_404(Proposal, proposal_id)
    if not can_view_proposal(current_user, proposal):
        raise Hidden()
    replies = operations.replies_kept_by(current_user, proposal)
    if not replies:
        raise PermissionDenied("只有答复该事项的承办单位的联络员或承办人可以登记承诺事项。")
    form = CommitmentForm()
    form.reply_id.choices = [(r.id, _reply_label(r)) for r in replies]
    unit_id = replies[0].assignment.unit_id
    _sections(form, unit_id)
    eligible = [r for r in replies if operations.takes_commitments(r)]
    if request.method == "GET":
        wanted = int_arg("reply")
        chosen = next((r for r in replies if r.id == wanted), None) or (
            eligible[-1] if eligible else replies[-1])
        form.reply_id.data = chosen.id
    if form.validate_on_submit():
        reply = next(r for r in replies if r.id == form.reply_id.data)
        done = attempt(form, lambda: operations.add_commitment(
            reply, current_user, what=form.what.data, due_on=form.due_on.data,
            section_id=form.section_id.data or None))
        if done is not FAILED:
            flash("承诺事项已登记。", "success")
            return _item_page(proposal.id, done.id)
    return _page("commitments/add.html", form, proposal=proposal, eligible=eligible,
                 title="登记承诺事项")


@bp.route("/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(commitment_id: int):
    commitment = _changeable(commitment_id, "修改")
    form = EditForm(obj=commitment)
    _sections(form, commitment.unit_id)
    if request.method == "GET":
        form.section_id.data = commitment.section_id or 0
    if form.validate_on_submit():
        changed = attempt(form, lambda: operations.update_commitment(
            commitment, current_user, what=form.what.data, due_on=form.due_on.data,
            section_id=form.section_id.data or None))
        if changed is not FAILED:
            flash("承诺事项已修改。" if changed else "没有改动。", "success")
            return _item_page(commitment.proposal_id, commitment.id)
    return _page("commitments/edit.html", form, commitment=commitment,
                 proposal=commitment.proposal, title="修改承诺事项")


@bp.route("/commitments/<int:commitment_id>/report", methods=["GET", "POST"])
@login_required
def report(commitment_id: int):
    commitment = _changeable(commitment_id, "报送进展")
    form = ReportForm()
    if form.validate_on_submit():
        done = attempt(form, lambda: operations.report_progress(
            commitment, current_user, text=form.text.data, reported_on=form.reported_on.data,
            files=form.files.data))
        if done is not FAILED:
            flash("进展情况已报送。", "success")
            return _item_page(commitment.proposal_id, commitment.id)
    return _page("commitments/report.html", form, commitment=commitment,
                 proposal=commitment.proposal, title="报送进展")


@bp.route("/commitments/<int:commitment_id>/close", methods=["GET", "POST"])
@login_required
def close(commitment_id: int):
    commitment = _changeable(commitment_id, "办结")
    form = CloseForm()
    if form.validate_on_submit():
        done = attempt(form, lambda: operations.close_commitment(
            commitment, current_user, outcome=form.outcome.data, done_on=form.done_on.data,
            note=form.note.data or "", tell_authors=form.tell_authors.data))
        if done is not FAILED:
            told = f"，已向提出人发送 {done.told} 条告知" if done.told else ""
            flash(f"承诺事项已办结（{done.commitment.status.label}）{told}。", "success")
            return _item_page(commitment.proposal_id, commitment.id)
    return _page("commitments/close.html", form, commitment=commitment,
                 proposal=commitment.proposal, title="办结承诺事项",
                 authors_with_email=[a for a in commitment.proposal.authors if a.email])


@bp.get("/commitments/review")
@login_required
def review():
    """年度回头看: every issued B or C reply of the year's meetings and its commitments."""
    if not permissions.can_review(current_user):
        raise PermissionDenied("年度回头看由交办单位（督办）查看。")
    years = queries.review_years()
    year = int_arg("year", 9999) or (years[0] if years else today().year)
    unit_id = int_arg("unit")
    rows = queries.review(year, unit_id)
    units = db.session.scalars(select(Unit).where(Unit.is_supervising.is_(False))
                               .order_by(Unit.id)).all()
    total = queries.Rate()
    for row in rows:
        total.add(row.rate)
    return render_template(
        "commitments/review.html", rows=rows, year=year, years=years, unit_id=unit_id,
        units=units, total=total, none_listed=sum(1 for r in rows if not r.commitments),
        definition=queries.DEFINITION, title=f"{year}年度承诺事项回头看")
