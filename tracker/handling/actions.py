"""One entry per workflow action: its form, how to fill the form's choices, and the operation.

The pages and the JSON API both go through run_action(), so they cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from tracker.accounts.models import Role, Section, Unit, User
from tracker.core.errors import ValidationFailed
from tracker.core.forms import BaseForm
from tracker.core.states import AssignmentState
from tracker.extensions import db
from tracker.handling import forms, operations, permissions
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
    taken = {a.unit_id for a in active_assignments(proposal)}
    units = handling_unit_choices(taken)
    form.lead_unit_id.choices = [(0, "（不设主办单位）")] + units
    form.co_unit_ids.choices = units
    form.separate_unit_ids.choices = units


# 交办 on an item that already has units adds units to it: the page and button say so.
ADD_UNITS_LABEL = "追加交办单位"


def active_assignments(proposal: Proposal) -> list[Assignment]:
    """The item's units now at work on it (those whose return was approved left it)."""
    return [a for a in proposal.assignments if a.state != AssignmentState.returned]


def _assign_title(proposal: Proposal) -> str:
    return ADD_UNITS_LABEL if active_assignments(proposal) else Action.assign.label


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
    taken = {a.unit_id for a in assignment.proposal.assignments
             if a.state != AssignmentState.returned}
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


OPINION_TEMPLATE = "handling/opinion.html"


def _opinion_context(assignment: Assignment, user: User) -> dict:
    """The versions of the unit's 会办意见 so far (its own people and its leader see them)."""
    return {"opinions": permissions.visible_opinions(user, assignment),
            "pending": assignment.pending_opinion}


def _setup_opinion(form: forms.OpinionForm, assignment: Assignment) -> None:
    """A returned opinion is revised, not retyped: the form starts from the last version."""
    if not form.is_submitted() and assignment.opinions:
        form.text.data = assignment.opinions[-1].text


def _setup_opinion_decision(form: forms.OpinionDecisionForm, assignment: Assignment) -> None:
    pending = assignment.pending_opinion
    if not form.is_submitted() and pending is not None:
        form.seen_opinion_id.data = pending.id


def form_version(form) -> int | None:
    return form.version.data if hasattr(form, "version") else None


@dataclass(frozen=True)
class ActionSpec:
    form: type[BaseForm]
    run: Callable
    setup: Callable | None = None
    # A page of its own (the draft editor, the review page); default: the generic form.
    template: str = "handling/action.html"
    # More for that page: context(assignment, user) -> dict (e.g. the draft under review).
    context: Callable | None = None
    # Conflicts shown on the action's own page (409) instead of the error page.
    conflicts: tuple[type[Exception], ...] = ()
    # The action's name on its button and page when it depends on the object (default: label).
    title: Callable | None = None


# The extension pages show the deadline, how it was computed and the request.
EXTENSION_TEMPLATE = "handling/extension.html"


def _setup_extension(form: forms.RequestExtensionForm, assignment: Assignment) -> None:
    limit = operations.extension_limit(assignment)
    form.due_on.description = (
        f"现期限 {assignment.due_on.isoformat()}；须晚于现期限，最晚 {limit.isoformat()}"
        "（现期限后 1 个月，按工作日历计算）")
    form.one_month.label.text = f"延长 1 个月（至 {limit.isoformat()}，按工作日历计算）"


# Every action of the pages and the API. The handling actions are here; replies (drafting,
# review, sign-off, issue) and ratings (办结) add theirs with register_actions() when their
# `actions` module is imported (by their init_app, and by the API before it reads the table).
ACTIONS: dict[Action, ActionSpec] = {
    Action.assign: ActionSpec(forms.AssignForm, _run_assign, _setup_assign,
                              title=_assign_title),
    Action.accept: ActionSpec(
        forms.AcceptForm,
        lambda a, actor, f: operations.accept_assignment(
            a, actor, version=form_version(f), note=f.note.data or "")),
    Action.request_return: ActionSpec(
        forms.RequestReturnForm,
        lambda a, actor, f: operations.request_return(
            a, actor, reason=f.reason.data, version=form_version(f))),
    Action.approve_return: ActionSpec(
        forms.ApproveReturnForm,
        lambda a, actor, f: operations.approve_return(
            a, actor, version=form_version(f), note=f.note.data or "",
            reassign_unit_id=f.reassign_unit_id.data or None),
        _setup_approve_return),
    Action.reject_return: ActionSpec(
        forms.RejectReturnForm,
        lambda a, actor, f: operations.reject_return(
            a, actor, reason=f.reason.data, version=form_version(f))),
    Action.dispatch: ActionSpec(
        forms.DispatchForm,
        lambda a, actor, f: operations.dispatch_assignment(
            a, actor, section_id=f.section_id.data, drafter_id=f.drafter_id.data,
            version=form_version(f)),
        _setup_dispatch),
    Action.record_contact: ActionSpec(
        forms.ContactForm,
        lambda a, actor, f: operations.record_contact(
            a, actor, stage=ContactStage(f.stage.data), method=ContactMethod(f.method.data),
            contacted_on=f.contacted_on.data, summary=f.summary.data)),
    Action.submit_opinion: ActionSpec(
        forms.OpinionForm,
        lambda a, actor, f: operations.submit_opinion(
            a, actor, text=f.text.data, attachment=f.attachment.data, version=form_version(f)),
        _setup_opinion, template=OPINION_TEMPLATE, context=_opinion_context),
    Action.approve_opinion: ActionSpec(
        forms.ApproveOpinionForm,
        lambda a, actor, f: operations.approve_opinion(
            a, actor, note=f.note.data or "", seen_opinion_id=f.seen_opinion_id.data,
            version=form_version(f)),
        _setup_opinion_decision, template=OPINION_TEMPLATE, context=_opinion_context),
    Action.return_opinion: ActionSpec(
        forms.ReturnOpinionForm,
        lambda a, actor, f: operations.return_opinion(
            a, actor, comment=f.comment.data, seen_opinion_id=f.seen_opinion_id.data,
            version=form_version(f)),
        _setup_opinion_decision, template=OPINION_TEMPLATE, context=_opinion_context),
    Action.request_extension: ActionSpec(
        forms.RequestExtensionForm,
        lambda a, actor, f: operations.request_extension(
            a, actor, reason=f.reason.data, due_on=f.due_on.data, one_month=f.one_month.data,
            version=form_version(f)),
        _setup_extension, template=EXTENSION_TEMPLATE),
    Action.approve_extension: ActionSpec(
        forms.ApproveExtensionForm,
        lambda a, actor, f: operations.approve_extension(
            a, actor, note=f.note.data or "", version=form_version(f)),
        template=EXTENSION_TEMPLATE),
    Action.reject_extension: ActionSpec(
        forms.RejectExtensionForm,
        lambda a, actor, f: operations.reject_extension(
            a, actor, reason=f.reason.data, version=form_version(f)),
        template=EXTENSION_TEMPLATE),
}


def action_title(action: Action, obj) -> str:
    """What the button and page of this action on obj are called."""
    spec = ACTIONS.get(action)
    if spec is not None and spec.title is not None:
        return spec.title(obj)
    return action.label


def register_actions(specs: dict[Action, ActionSpec]) -> None:
    """Add a higher package's actions to the table (at import of its actions module)."""
    ACTIONS.update(specs)


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
