"""The author's public rating page (a personal link, no account) and the staff's printed
征询意见表 (with a fresh link only when the supervising office makes one)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.core.time import to_local
from tracker.core.views import load_or_404
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.workflow import AssignmentState
from tracker.proposals.models import Author
from tracker.ratings import form_pdf, operations
from tracker.ratings import permissions as rating_permissions
from tracker.ratings.forms import PrintFormForm, RatingCodeForm, RatingForm
from tracker.ratings.models import RatingChannel, RatingRequest
from tracker.replies.models import Reply

bp = Blueprint("ratings", __name__)

PUBLIC_ENDPOINTS = frozenset({"ratings.rate", "ratings.enter_code"})


@bp.after_app_request
def _no_referrer(response):
    """The rating link is a secret in the URL: no page of it sends a Referer anywhere.

    Registered on the app before its header hook, so it runs after that hook and wins.
    """
    if request.endpoint in PUBLIC_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rate/<token>", methods=["GET", "POST"])
def rate(token: str):
    """Show the reply and the rating form to the link's author; store the answers once."""
    try:
        link = operations.find_link(token)
    except operations.LinkRefused as exc:
        return _refused(exc)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            operations.submit_rating(link.reply, link.author, form.answers(),
                                     channel=RatingChannel.online, link=link)
        except operations.LinkRefused as exc:
            db.session.rollback()
            return _refused(exc)
        except ValidationFailed as exc:
            db.session.rollback()
            try:  # answered meanwhile (another tab), or no longer being rated
                link = operations.find_link(token)
            except operations.LinkRefused as refused:
                return _refused(refused)
            _show_errors(form, exc)
        else:
            db.session.commit()
            return render_template("ratings/public_thanks.html", **_page(link))
    status = 422 if form.is_submitted() else 200
    return render_template("ratings/public_rate.html", form=form, **_page(link)), status


@bp.route("/rate", methods=["GET", "POST"])
def enter_code():
    """The author types the code printed on the paper 征询意见表; a usable one opens the
    rating form (the code is the link's token)."""
    form = RatingCodeForm()
    if form.validate_on_submit():
        code = operations.normalize_code(form.code.data)
        try:
            operations.find_link(code)
        except operations.LinkRefused as exc:
            form.code.errors = [exc.message]
        else:
            return redirect(url_for("ratings.rate", token=code), 303)
    status = 422 if form.is_submitted() else 200
    return render_template("ratings/public_code.html", form=form), status


def _refused(exc: operations.LinkRefused):
    return render_template("ratings/public_refused.html", message=exc.message), exc.status


def _show_errors(form: RatingForm, exc: ValidationFailed) -> None:
    for name, messages in exc.errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors or []) + list(messages)
    if not exc.errors:
        form.form_errors.append(exc.message)


def _page(link: RatingRequest) -> dict:
    """What the public pages show: this author, the item, the unit and the reply only."""
    reply = link.reply
    assignment = reply.assignment
    return {"link": link, "author": link.author, "reply": reply, "unit": assignment.unit,
            "proposal": assignment.proposal, "draft": reply.draft_version,
            "issued_on": to_local(reply.issued_at).date(),
            "expires_on": to_local(link.expires_at).date()}


@bp.post("/replies/<int:reply_id>/authors/<int:author_id>/rating-form.pdf")
@login_required
def rating_form_pdf(reply_id: int, author_id: int):
    """One author's 征询意见表: the paper form, whose link area says the supervising office
    sends the link; with a new personal link only when the supervising office makes one."""
    reply = load_or_404(Reply, reply_id)
    assignment = reply.assignment
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    if not rating_permissions.can_print_rating_form(current_user, assignment):
        raise PermissionDenied("只有交办员和承办单位联络员可以打印征询意见表。")
    author = db.session.get(Author, author_id)
    if author is None or author.proposal_id != assignment.proposal_id:
        abort(404)
    if reply.issued_at is None or assignment.state != AssignmentState.replied.value \
            or reply.round != assignment.round:
        raise ValidationFailed("该答复不在征询评价阶段，不能打印征询意见表。")
    form = PrintFormForm()
    if not form.validate_on_submit():
        raise ValidationFailed("；".join(form.labelled_errors()) or "请求无效。",
                               form.error_dict())
    if form.with_link.data:
        token = operations.mint_link(reply, author, current_user, reason=form.reason.data)
    else:
        operations.check_unrated(reply, author)
        token = None
    pdf = form_pdf.render_rating_form(reply, author, token)
    db.session.commit()
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"征询意见表-{author.name}.pdf", max_age=0)


# --- the 征询意见表 in bulk (made by a job) -----------------------------------------------

@bp.route("/ratings/forms/batches", methods=["GET", "POST"])
@login_required
def print_batches():
    from sqlalchemy import select

    from tracker.accounts.models import Unit
    from tracker.proposals.models import Meeting
    from tracker.ratings import batch as batches
    from tracker.ratings.forms import PrintBatchForm

    if not batches.may_print(current_user):
        raise PermissionDenied("只有交办员和承办单位联络员可以批量打印征询意见表。")
    supervisor = permissions.is_supervisor(current_user)
    form = PrintBatchForm()
    form.meeting_id.choices = [(m.id, m.name) for m in db.session.scalars(
        select(Meeting).order_by(Meeting.year.desc(), Meeting.name))]
    if supervisor:
        form.unit_id.choices = [(0, "全部承办单位")] + [(u.id, u.name) for u in db.session.scalars(
            select(Unit).where(Unit.is_supervising.is_(False), Unit.is_active.is_(True))
            .order_by(Unit.name))]
    else:
        form.unit_id.choices = [(current_user.unit_id, current_user.unit.name)]
    if form.validate_on_submit():
        try:
            batch = batches.request_batch(current_user, form.meeting_id.data,
                                          form.unit_id.data or None)
        except ValidationFailed as exc:
            db.session.rollback()
            for name, messages in exc.errors.items():
                getattr(form, name).errors = list(messages)
        else:
            db.session.commit()
            flash(f"已开始生成 {batch.forms} 份征询意见表，完成后将通知您。", "success")
            return redirect(url_for("ratings.print_batches"))
    return render_template("ratings/batches.html", form=form,
                           batches=batches.batches_of(current_user))


@bp.get("/ratings/forms/batches/<int:batch_id>.pdf")
@login_required
def print_batch_pdf(batch_id: int):
    from tracker.ratings import batch as batches
    from tracker.ratings.models import PrintBatch

    found = db.session.get(PrintBatch, batch_id)
    if found is None or found.requested_by_id != current_user.id:
        abort(404)
    content = batches.file_of(found)
    if content is None:
        abort(404)
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     max_age=0,
                     download_name=f"征询意见表-{found.meeting.name}-{found.id}.pdf")
