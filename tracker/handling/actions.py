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
from tracker.handling.states import AssignmentState
from tracker.replies import forms as reply_forms
from tracker.replies.styles import style_for
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
    taken = {a.unit_id for a in proposal.assignments if a.state != AssignmentState.returned}
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


def _version(form) -> int | None:
    return form.version.data if hasattr(form, "version") else None


@dataclass(frozen=True)
class ActionSpec:
    form: type[BaseForm]
    run: Callable
    setup: Callable | None = None
    # A page of its own (the draft editor, the review page); default: the generic form.
    template: str = "handling/action.html"


def _setup_draft(form, assignment: Assignment) -> None:
    """Open the editor on the latest version (or a blank draft with the unit's defaults)."""
    if not form.is_submitted():
        fill_draft_form(form, assignment)


def fill_draft_form(form, assignment: Assignment) -> None:
    """The editor's fields as the latest version has them, or the unit's defaults."""
    from tracker.replies.queries import latest_draft

    latest = latest_draft(assignment)
    if latest is None:
        form.base_number.data = 0
        form.disclosure.data = assignment.proposal.disclosure.value
        form.closing.data = assignment.unit.closing_default
        form.cc.data = style_for(assignment.unit, assignment.proposal.kind).cc_default
        drafter = assignment.drafter
        if drafter is not None:
            form.contact_name.data = drafter.full_name
            form.contact_phone.data = drafter.phone
        return
    form.base_number.data = latest.number
    for name in ("body", "result_class", "disclosure", "contact_name", "contact_phone",
                 "cc", "closing", "salutation", "opening"):
        form[name].data = getattr(latest, name)
    form.reply_form.data = latest.reply_form.value


def _setup_review(form, assignment: Assignment) -> None:
    from tracker.replies.queries import latest_draft

    if not form.is_submitted():
        latest = latest_draft(assignment)
        form.seen_version_id.data = latest.id if latest else None


def _run_save_draft(assignment: Assignment, actor: User, form):
    from tracker.proposals.models import Disclosure
    from tracker.replies import operations as replies
    from tracker.replies.models import ReplyForm

    from flask import has_request_context, request

    from tracker.replies import word

    api = has_request_context() and request.blueprint == "api"
    values = {name: form[name].data or "" for name in (
        "body", "result_class", "disclosure", "contact_name", "contact_phone", "cc", "closing",
        "salutation", "opening")}
    source = "api" if api else ("docx" if form.source.data == "docx" else "form")
    imported = None
    upload = form.docx.data
    if upload is not None and getattr(upload, "filename", ""):
        # A whole letter typed in Word: its parts fill the draft's fields (the body always,
        # the others where the request left them empty).
        imported = word.draft_from_word(word.read_upload(upload), assignment)
        used = set()
        for name, value in imported.values.items():
            if name == "body" or not values.get(name):
                values[name] = value
                used.add(name)
        source = "docx"
    version = replies.save_draft(
        assignment, actor, body=values["body"], result_class=values["result_class"],
        reply_form=ReplyForm(form.reply_form.data), disclosure=Disclosure(values["disclosure"]),
        base_number=form.base_number.data, contact_name=values["contact_name"],
        contact_phone=values["contact_phone"], cc=values["cc"], closing=values["closing"],
        salutation=values["salutation"], opening=values["opening"], note=form.note.data or "",
        source=source)
    if imported is not None:
        version.notices = imported.notices(used) + version.notices
    return version


# The extension pages show the deadline, how it was computed and the request.
EXTENSION_TEMPLATE = "notifications/extension.html"


def _setup_extension(form: forms.RequestExtensionForm, assignment: Assignment) -> None:
    limit = operations.extension_limit(assignment)
    form.due_on.description = (
        f"现期限 {assignment.due_on.isoformat()}；须晚于现期限，最晚 {limit.isoformat()}"
        "（现期限后 1 个月，按工作日历计算）")
    form.one_month.label.text = f"延长 1 个月（至 {limit.isoformat()}，按工作日历计算）"


def _letter():
    from tracker.replies import letter

    return letter


def _ratings():
    from tracker.ratings import operations

    return operations


def _rating_forms():
    from tracker.ratings import forms

    return forms


def _replies():
    from tracker.replies import operations

    return operations


ACTIONS: dict[Action, ActionSpec] = {
    Action.assign: ActionSpec(forms.AssignForm, _run_assign, _setup_assign),
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
            contacted_on=f.contacted_on.data, summary=f.summary.data)),
    Action.submit_opinion: ActionSpec(
        forms.OpinionForm,
        lambda a, actor, f: operations.submit_opinion(
            a, actor, text=f.text.data, attachment=f.attachment.data, version=_version(f))),
    Action.save_draft: ActionSpec(
        reply_forms.DraftForm, _run_save_draft, _setup_draft,
        template="replies/draft.html"),
    Action.override_cosign: ActionSpec(
        reply_forms.OverrideCosignForm,
        lambda a, actor, f: _replies().override_cosign(a, actor, reason=f.reason.data)),
    Action.submit_review: ActionSpec(
        reply_forms.SubmitReviewForm,
        lambda a, actor, f: _replies().submit_review(
            a, actor, version=_version(f), note=f.note.data or ""),
        template="replies/review.html"),
    Action.approve: ActionSpec(
        reply_forms.ReviewForm,
        lambda a, actor, f: _replies().approve_draft(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data or "",
            version=_version(f)),
        _setup_review, template="replies/review.html"),
    Action.return_draft: ActionSpec(
        reply_forms.ReturnDraftForm,
        lambda a, actor, f: _replies().return_draft(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data,
            version=_version(f)),
        _setup_review, template="replies/review.html"),
    Action.sign: ActionSpec(
        reply_forms.ReviewForm,
        lambda a, actor, f: _replies().sign_reply(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data or "",
            version=_version(f)),
        _setup_review, template="replies/review.html"),
    Action.issue: ActionSpec(
        reply_forms.IssueForm,
        lambda a, actor, f: _letter().issue_with_letter(a, actor, version=_version(f)),
        template="replies/review.html"),
    Action.request_extension: ActionSpec(
        forms.RequestExtensionForm,
        lambda a, actor, f: operations.request_extension(
            a, actor, reason=f.reason.data, due_on=f.due_on.data, one_month=f.one_month.data,
            version=_version(f)),
        _setup_extension, template=EXTENSION_TEMPLATE),
    Action.approve_extension: ActionSpec(
        forms.ApproveExtensionForm,
        lambda a, actor, f: operations.approve_extension(
            a, actor, note=f.note.data or "", version=_version(f)),
        template=EXTENSION_TEMPLATE),
    Action.reject_extension: ActionSpec(
        forms.RejectExtensionForm,
        lambda a, actor, f: operations.reject_extension(
            a, actor, reason=f.reason.data, version=_version(f)),
        template=EXTENSION_TEMPLATE),
    Action.close: ActionSpec(
        _rating_forms().CloseForm,
        lambda p, actor, f: _ratings().close_item(p, actor, grade=f.grade.data,
                                                  comment=f.comment.data or "")),
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
