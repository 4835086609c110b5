"""并案 pages: join items under a lead, split a member off."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.core.views import FAILED, attempt, load_or_404
from tracker.extensions import db
from tracker.handling.permissions import can_view_proposal
from tracker.merging import operations, permissions
from tracker.merging.forms import JoinForm, split_numbers
from tracker.proposals.models import Meeting, Proposal

bp = Blueprint("merging", __name__)


def _visible(proposal_id: int) -> Proposal:
    proposal = load_or_404(Proposal, proposal_id)
    if not can_view_proposal(current_user, proposal):
        raise Hidden()
    return proposal


def _members(lead: Proposal, meeting_id: int, numbers: list[str]) -> list[Proposal]:
    """The items named by the form, or a refusal naming every number that cannot join."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise ValidationFailed(operations.REFUSED, {"meeting_id": ["请选择会议。"]})
    found = {p.number: p for p in db.session.scalars(select(Proposal).where(
        Proposal.meeting_id == meeting_id, Proposal.number.in_(numbers)))}
    missing = [f"{meeting.name}没有第{n}号事项。" for n in numbers if n not in found]
    if missing:
        # Said together with what is wrong with the numbers that were found.
        problems = [operations.member_problem(lead, found[n]) for n in numbers if n in found]
        raise ValidationFailed(operations.REFUSED,
                               {"numbers": [p for p in problems if p] + missing})
    return [found[n] for n in numbers]


@bp.route("/proposals/<int:proposal_id>/join", methods=["GET", "POST"])
@login_required
def join(proposal_id: int):
    lead = _visible(proposal_id)
    if not permissions.can_register(current_user):
        raise PermissionDenied("只有交办员可以并案。")
    form = JoinForm()
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.id))
    form.meeting_id.choices = [(m.id, m.name) for m in meetings]
    if form.meeting_id.data is None:
        form.meeting_id.data = lead.meeting_id
    problem = operations.lead_problem(lead)
    if problem is None and form.is_submitted() and not form.validate():
        flash(operations.REFUSED, "danger")  # the form's own checks (an empty field)
    elif problem is None and form.is_submitted():
        def run():
            members = _members(lead, form.meeting_id.data, split_numbers(form.numbers.data))
            return operations.join_items(lead, members, current_user)

        done = attempt(form, run)
        if done is not FAILED:
            flash(f"已将 {len(done)} 件事项并入本事项办理：各自单独成函、编号和评价。", "success")
            return redirect(url_for("proposals.detail", proposal_id=lead.id))
    return render_template("merging/join.html", form=form, lead=lead, problem=problem), (
        422 if form.errors else 409 if problem else 200)


@bp.post("/proposals/<int:proposal_id>/split")
@login_required
def split(proposal_id: int):
    member = _visible(proposal_id)
    lead = member.merged_into
    operations.split_item(member, current_user)
    db.session.commit()
    flash(f"已将{member.meeting.name}{member.display_number}从并案中拆分，恢复为单独事项。",
          "success")
    return redirect(url_for("proposals.detail", proposal_id=lead.id if lead else member.id))
