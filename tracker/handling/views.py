"""Assignment and the handling actions, one generic view for every action of the table."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.core import batch
from tracker.core.errors import Conflict, Hidden, ValidationFailed
from tracker.core.views import apply_errors, load_or_404
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.actions import ACTIONS, action_title, build_form, run_action
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, check, state_of
from tracker.proposals.models import Proposal

bp = Blueprint("handling", __name__)


def _action_or_404(name: str) -> Action:
    try:
        action = Action(name)
    except ValueError:
        abort(404)
    if action not in ACTIONS:
        abort(404)
    return action


def _act(obj, action: Action, proposal: Proposal):
    """Show the action's form (GET) or run it (POST): load, authorise, act, commit once."""
    if request.method != "POST":
        # The form page only reads: what its guards and sections ask of the assignment
        # (its drafts, decisions, replies) is answered once each.
        with batch.rows([obj]):
            check(obj, action, current_user)
            title = action_title(action, obj)
            return _page(obj, action, proposal, build_form(action, obj), title)
    proposal_id = proposal.id  # (the commit expires the row: read it once, before)
    posted_version = request.form.get("version", "")
    # ASCII digits only: "²" and "①" are digits to str.isdigit() but not to int(); anything
    # else is left to the form, which refuses it with a message.
    if (isinstance(obj, Assignment) and posted_version.isascii() and posted_version.isdigit()
            and int(posted_version) != obj.version):
        raise Conflict(
            f"该交办已被他人处理，当前状态为「{state_of(obj).label}」，请返回事项页面查看。")
    check(obj, action, current_user)
    spec = ACTIONS[action]
    title = action_title(action, obj)  # before the action changes what it depends on
    form = build_form(action, obj)
    try:
        result = run_action(action, obj, current_user, form)
    except spec.conflicts as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        conflict, status = exc, 409
    except ValidationFailed as exc:
        db.session.rollback()
        apply_errors(form, exc)
        conflict, status = None, 422
    else:
        db.session.commit()
        flash(f"「{title}」已完成。", "success")
        notices = getattr(result, "notices", None)
        if notices:
            # What the operation changed on the way (e.g. punctuation): never silently.
            flash("\n".join(notices), "info")
        return redirect(url_for("proposals.detail", proposal_id=proposal_id))
    with batch.rows([obj]):  # the form again, after the rollback: reading only
        return _page(obj, action, proposal, form, title, conflict, status)


def _page(obj, action: Action, proposal: Proposal, form, title: str, conflict=None,
          status: int = 200):
    spec = ACTIONS[action]
    assignment = obj if isinstance(obj, Assignment) else None
    context = {}
    if assignment is not None and spec.context is not None:
        context = spec.context(assignment, current_user)
    return render_template(
        spec.template, form=form, action=action, obj=obj, proposal=proposal,
        assignment=assignment, conflict=conflict, title=title, **context,
    ), status


@bp.route("/proposals/<int:proposal_id>/actions/<name>", methods=["GET", "POST"])
@login_required
def proposal_action(proposal_id: int, name: str):
    proposal = load_or_404(Proposal, proposal_id)
    if not permissions.can_view_proposal(current_user, proposal):
        raise Hidden()
    return _act(proposal, _action_or_404(name), proposal)


@bp.route("/assignments/<int:assignment_id>/actions/<name>", methods=["GET", "POST"])
@login_required
def assignment_action(assignment_id: int, name: str):
    assignment = db.session.scalar(select(Assignment).where(Assignment.id == assignment_id)
                                   .options(joinedload(Assignment.proposal)))
    if assignment is None:
        abort(404)
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    return _act(assignment, _action_or_404(name), assignment.proposal)
