"""Pages of leaders' instructions: enter one, ask a leader for one, give an asked-for one,
and print the 办理单 of an item or of a selection of items."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker.accounts.models import Role
from tracker.core.errors import Hidden, PermissionDenied, ValidationFailed
from tracker.core.states import AssignmentState
from tracker.core.views import FAILED, attempt, load_or_404
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.permissions import can_view_proposal
from tracker.instructions import operations, permissions, sheet
from tracker.instructions.choices import InstructionKind, InstructionSource
from tracker.instructions.forms import OTHER_LEADER, EnterForm, GiveForm, RequestForm
from tracker.instructions.models import Instruction
from tracker.proposals.models import Proposal

bp = Blueprint("instructions", __name__)


def _visible(proposal_id: int) -> Proposal:
    proposal = load_or_404(Proposal, proposal_id)
    if not can_view_proposal(current_user, proposal):
        raise Hidden()
    return proposal


def _active(proposal: Proposal) -> list[Assignment]:
    return [a for a in proposal.assignments if a.state != AssignmentState.returned]


def _choices(proposal: Proposal, allowed) -> tuple[list[InstructionKind], list[Assignment]]:
    """The kinds this user may act on for the item, and the units (for the unit kinds)."""
    units = [a for a in _active(proposal)
             if any(allowed(current_user, proposal, k, a) for k in InstructionKind if k.is_unit)]
    kinds = [k for k in InstructionKind
             if (units if k.is_unit else allowed(current_user, proposal, k, None))]
    return kinds, units


def _leader_choices(kinds, units) -> list[tuple[int, str]]:
    seen, result = set(), []
    office = [k for k in kinds if not k.is_unit]
    pools = ([(None, operations.leaders_for(office[0]))] if office else []) + [
        (a, operations.leaders_for(InstructionKind.unit_principal, a)) for a in units]
    for assignment, leaders in pools:
        for leader in leaders:
            if leader.id not in seen:
                seen.add(leader.id)
                where = assignment.unit.display_name if assignment else leader.unit.display_name
                result.append((leader.id, f"{leader.full_name}（{where}）"))
    return result


def _setup(form, proposal: Proposal, allowed) -> tuple[list, list]:
    kinds, units = _choices(proposal, allowed)
    if not kinds:
        raise PermissionDenied("您不能为该事项录入或呈请领导批示。")
    form.kind.choices = [(k.value, k.label) for k in kinds]
    form.assignment_id.choices = [(0, "（交办单位方面，不涉及承办单位）")] + [
        (a.id, f"{a.unit.name}（{a.role.label}）") for a in units]
    if request.method == "GET":
        if request.args.get("kind") in {k.value for k in kinds}:
            form.kind.data = request.args["kind"]
        wanted = request.args.get("assignment", type=int)
        if wanted in {a.id for a in units}:
            form.assignment_id.data = wanted
        elif len(units) == 1 and all(k.is_unit for k in kinds):
            form.assignment_id.data = units[0].id
    return kinds, units


def _assignment(proposal: Proposal, assignment_id: int | None) -> Assignment | None:
    return next((a for a in _active(proposal) if a.id == assignment_id), None)


def _typing_own(kinds) -> bool:
    """A leader entering their own instruction is asked only for the text and the date."""
    clerk = current_user.has_role(Role.unit_clerk, Role.supervisor)
    return permissions.is_leader(current_user) and not clerk


@bp.route("/proposals/<int:proposal_id>/instructions/new", methods=["GET", "POST"])
@login_required
def enter(proposal_id: int):
    proposal = _visible(proposal_id)
    form = EnterForm()
    kinds, units = _setup(form, proposal, permissions.can_enter)
    own = _typing_own(kinds)
    form.leader_id.choices = [OTHER_LEADER] + _leader_choices(kinds, units)
    if form.validate_on_submit():
        done = attempt(form, lambda: operations.record_instruction(
            proposal, current_user, kind=InstructionKind(form.kind.data),
            assignment=_assignment(proposal, form.assignment_id.data),
            text=form.text.data, given_on=form.given_on.data,
            leader_id=None if own else form.leader_id.data or None,
            leader_name="" if own else form.leader_name.data or "",
            source=InstructionSource.typed.value if own else form.source.data,
            scan=None if own else form.scan.data))
        if done is not FAILED:
            flash(f"已录入{done.leader_name}的{InstructionKind(done.kind).label}。", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif form.errors:
        flash("提交的内容有误，请按提示修改。", "danger")
    return render_template("instructions/enter.html", form=form, proposal=proposal, own=own,
                           title="录入领导批示"), 422 if form.errors else 200


@bp.route("/proposals/<int:proposal_id>/instructions/request", methods=["GET", "POST"])
@login_required
def ask(proposal_id: int):
    proposal = _visible(proposal_id)
    form = RequestForm()
    kinds, units = _setup(form, proposal, permissions.can_request)
    form.leader_id.choices = [(0, "（请选择）")] + _leader_choices(kinds, units)
    if form.validate_on_submit():
        done = attempt(form, lambda: operations.request_instruction(
            proposal, current_user, kind=InstructionKind(form.kind.data),
            assignment=_assignment(proposal, form.assignment_id.data),
            leader_id=form.leader_id.data, note=form.note.data or ""))
        if done is not FAILED:
            flash(f"已呈请{done.leader_name or '领导'}批示。", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif form.errors:
        flash("提交的内容有误，请按提示修改。", "danger")
    return render_template("instructions/request.html", form=form, proposal=proposal,
                           title="呈请领导批示"), 422 if form.errors else 200


@bp.route("/instructions/<int:instruction_id>/give", methods=["GET", "POST"])
@login_required
def give(instruction_id: int):
    instruction = load_or_404(Instruction, instruction_id)
    proposal = instruction.proposal
    if not permissions.can_view(current_user, instruction):
        raise Hidden()
    if not permissions.can_give(current_user, instruction):
        raise PermissionDenied("该批示已作出，或您不是被呈请的领导。")
    own = permissions.is_addressee(current_user, instruction)
    form = GiveForm()
    if form.validate_on_submit():
        done = attempt(form, lambda: operations.give_instruction(
            instruction, current_user, text=form.text.data, given_on=form.given_on.data,
            source=None if own else form.source.data,
            leader_name=form.leader_name.data or "", scan=None if own else form.scan.data))
        if done is not FAILED:
            flash("批示已录入。", "success")
            return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    elif form.errors:
        flash("提交的内容有误，请按提示修改。", "danger")
    return render_template("instructions/give.html", form=form, proposal=proposal, own=own,
                           instruction=instruction, title="批示"), 422 if form.errors else 200


def _pdf(data: bytes, name: str):
    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=name)


@bp.get("/proposals/<int:proposal_id>/sheet.pdf")
@login_required
def sheet_pdf(proposal_id: int):
    """The item's 办理单."""
    proposal = _visible(proposal_id)
    if not sheet.can_print(current_user, proposal):
        raise PermissionDenied("办理单由交办单位和答复单位打印。")
    return _pdf(sheet.render_sheets([proposal], current_user), sheet.sheet_filename([proposal]))


@bp.post("/proposals/sheets.pdf")
@login_required
def sheets_pdf():
    """The 办理单 of the items chosen in the list, in list order, in one PDF."""
    ids = []
    for value in request.form.getlist("ids"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ValidationFailed("请先在列表中勾选要打印办理单的事项。")
    if len(ids) > sheet.MAX_SHEETS:
        raise ValidationFailed(f"一次最多打印 {sheet.MAX_SHEETS} 件的办理单，请缩小筛选范围后分批打印。")
    found = {p.id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.id.in_(ids))
        .options(selectinload(Proposal.meeting), selectinload(Proposal.authors),
                 selectinload(Proposal.assignments)))}
    proposals = [found[i] for i in ids if i in found]
    if len(proposals) != len(ids) or not all(sheet.can_print(current_user, p) for p in proposals):
        raise Hidden()
    return _pdf(sheet.render_sheets(proposals, current_user), sheet.sheet_filename(proposals))
