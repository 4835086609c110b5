"""One entry per workflow action: its form, how to fill the form's choices, and the operation.

The pages and the JSON API both go through run_action(), so they cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from tracker.accounts.models import Role, Section, Unit, User
from tracker.core.errors import ValidationFailed
from tracker.core.forms import BaseForm
from tracker.extensions import db
from tracker.handling import forms, operations
from tracker.handling.models import Assignment, ContactMethod, ContactStage, UnitRole
from tracker.handling.workflow import Action
from tracker.proposals.models import Proposal


def handling_unit_choices(exclude: set[int] | None = None) -> list[tuple[int, str]]:
    units = db.session.scalars(
        select(Unit).where(Unit.is_active.is_(True), Unit.is_supervising.is_(False))
        .order_by(Unit.name)
    )
    return [(u.id, u.name) for u in units if u.id not in (exclude or set())]


def _setup_assign(form: forms.AssignForm, proposal: Proposal) -> None:
    taken = {a.unit_id for a in proposal.assignments if a.state != "returned"}
    units = handling_unit_choices(taken)
    form.lead_unit_id.choices = [(0, "（不设主办单位）")] + units
    form.co_unit_ids.choices = units
    form.separate_unit_ids.choices = units


def _run_assign(proposal: Proposal, actor: User, form: forms.AssignForm):
    choices = []
    if form.lead_unit_id.data:
        choices.append(operations.UnitChoice(form.lead_unit_id.data, UnitRole.lead))
    choices += [operations.UnitChoice(u, UnitRole.co) for u in form.co_unit_ids.data or []]
    choices += [operations.UnitChoice(u, UnitRole.separate)
                for u in form.separate_unit_ids.data or []]
    return operations.assign_proposal(
        proposal, actor, choices, due_on=form.due_on.data, co_due_on=form.co_due_on.data,
        note=form.note.data or "",
    )


def _setup_approve_return(form: forms.ApproveReturnForm, assignment: Assignment) -> None:
    taken = {a.unit_id for a in assignment.proposal.assignments if a.state != "returned"}
    form.reassign_unit_id.choices = [(0, "（暂不改交，稍后再交办）")] + handling_unit_choices(
        taken | {assignment.unit_id})


def _setup_dispatch(form: forms.DispatchForm, assignment: Assignment) -> None:
    sections = db.session.scalars(
        select(Section).where(Section.unit_id == assignment.unit_id).order_by(Section.name))
    form.section_id.choices = [(s.id, s.name) for s in sections]
    drafters = db.session.scalars(
        select(User).where(User.unit_id == assignment.unit_id, User.is_enabled.is_(True))
        .order_by(User.full_name))
    form.drafter_id.choices = [(u.id, u.full_name) for u in drafters if u.has_role(Role.drafter)]
    if form.section_id.data is None and assignment.section_id:
        form.section_id.data = assignment.section_id


def _version(form) -> int | None:
    return form.version.data if hasattr(form, "version") else None


@dataclass(frozen=True)
class ActionSpec:
    form: type[BaseForm]
    run: Callable
    setup: Callable | None = None
    # Self-loop actions that add a record do not need the page to be current.
    versioned: bool = True


ACTIONS: dict[Action, ActionSpec] = {
    Action.assign: ActionSpec(forms.AssignForm, _run_assign, _setup_assign, versioned=False),
    Action.accept: ActionSpec(
        forms.AcceptForm,
        lambda a, actor, f: operations.accept_assignment(
            a, actor, version=_version(f), note=f.note.data or "")),
    Action.request_return: ActionSpec(
        forms.RequestReturnForm,
        lambda a, actor, f: operations.request_return(
            a, actor, reason=f.reason.data, version=_version(f))),
    Action.approve_return: ActionSpec(
        forms.ApproveReturnForm,
        lambda a, actor, f: operations.approve_return(
            a, actor, version=_version(f), note=f.note.data or "",
            reassign_unit_id=f.reassign_unit_id.data or None),
        _setup_approve_return),
    Action.reject_return: ActionSpec(
        forms.RejectReturnForm,
        lambda a, actor, f: operations.reject_return(
            a, actor, reason=f.reason.data, version=_version(f))),
    Action.dispatch: ActionSpec(
        forms.DispatchForm,
        lambda a, actor, f: operations.dispatch_assignment(
            a, actor, section_id=f.section_id.data, drafter_id=f.drafter_id.data,
            version=_version(f)),
        _setup_dispatch),
    Action.record_contact: ActionSpec(
        forms.ContactForm,
        lambda a, actor, f: operations.record_contact(
            a, actor, stage=ContactStage(f.stage.data), method=ContactMethod(f.method.data),
            contacted_on=f.contacted_on.data, summary=f.summary.data),
        versioned=False),
    Action.submit_opinion: ActionSpec(
        forms.OpinionForm,
        lambda a, actor, f: operations.submit_opinion(
            a, actor, text=f.text.data, attachment=f.attachment.data, version=_version(f))),
}


def build_form(action: Action, obj, formdata=None, *, csrf: bool = True) -> BaseForm:
    """The action's form; without formdata, Flask-WTF reads the request (form and files)."""
    spec = ACTIONS[action]
    kwargs: dict = {} if csrf else {"meta": {"csrf": False}}
    if formdata is not None:
        kwargs["formdata"] = formdata
    form = spec.form(**kwargs)
    if spec.setup is not None:
        spec.setup(form, obj)
    if hasattr(form, "version") and formdata is None and not form.is_submitted():
        form.version.data = getattr(obj, "version", None)
    return form


def run_action(action: Action, obj, actor: User, form: BaseForm):
    """Validate the form and run the action's operation; raise ValidationFailed on bad input."""
    if not form.validate():
        raise ValidationFailed("提交的内容有误，请按提示修改。", form.error_dict())
    return ACTIONS[action].run(obj, actor, form)
