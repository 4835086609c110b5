"""The reply actions of the handling table: 撰写答复, 会签例外, 送审, 审核, 退回, 签发, 发文.

Registered into tracker.handling.actions.ACTIONS when this module is imported (replies'
init_app, and the API before it reads the table), so pages and API serve them by one path.
"""
from __future__ import annotations

from flask import has_request_context, request

from tracker.accounts.models import User
from tracker.handling.actions import ActionSpec, form_version, register_actions
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, AssignmentState
from tracker.proposals.models import Disclosure
from tracker.replies import disclosure, forms, letter, operations, word
from tracker.replies.choices import PublicationMode
from tracker.replies.models import ReplyForm
from tracker.replies.queries import current_cycle_decisions, latest_draft, review_context
from tracker.replies.styles import style_for

# A draft saved by someone else meanwhile: shown in the editor or review page, with both.
SHOWN = (operations.DraftConflict,)


def _setup_draft(form, assignment: Assignment) -> None:
    """Open the editor on the latest version (or a blank draft with the unit's defaults)."""
    if not form.is_submitted():
        fill_draft_form(form, assignment)


def fill_draft_form(form, assignment: Assignment) -> None:
    """The editor's fields as the latest version has them, or the unit's defaults."""
    for name, value in draft_values(assignment).items():
        form[name].data = value


# The editor's fields that a draft version keeps.
DRAFT_FIELDS = ("body", "result_class", "reply_form", "disclosure", "contact_name",
                "contact_phone", "cc", "closing", "salutation", "opening", "publication",
                "withhold_reason", "public_summary")


def draft_values(assignment: Assignment) -> dict:
    """The latest version's fields with base_number, or a blank draft's defaults (the item's
    disclosure, the unit's closing and 抄送, the drafter as contact)."""
    latest = latest_draft(assignment)
    if latest is None:
        implied = disclosure.default_for(assignment.proposal.disclosure)
        values = {"base_number": 0, "disclosure": assignment.proposal.disclosure.value,
                  "publication": implied.mode.value, "withhold_reason": implied.reason,
                  "closing": assignment.unit.closing_default,
                  "cc": style_for(assignment.unit, assignment.proposal.kind).cc_default}
        drafter = assignment.drafter
        if drafter is not None:
            values.update(contact_name=drafter.full_name, contact_phone=drafter.phone)
        return values
    values = {name: getattr(latest, name) for name in DRAFT_FIELDS}
    values["reply_form"] = latest.reply_form.value
    values["publication"] = PublicationMode(latest.publication).value
    values["base_number"] = latest.number
    return values


def _setup_review(form, assignment: Assignment) -> None:
    if not form.is_submitted():
        latest = latest_draft(assignment)
        form.seen_version_id.data = latest.id if latest else None
        if hasattr(form, "publication"):
            # The publication decision as it stands, for the reviewer to keep or change.
            stands = disclosure.current(latest, current_cycle_decisions(assignment))
            if stands is not None:
                form.publication.data = stands.mode.value
                form.withhold_reason.data = stands.reason
                form.public_summary.data = stands.summary


def _publication(form) -> tuple | None:
    """(mode, reason, summary) from a form that shows the publication decision; None from a
    request without it (the API's, an older page): the decision stays as it stands."""
    if form.publication.raw_data is None or not form.publication.raw_data:
        return None
    return form.publication.data, form.withhold_reason.data, form.public_summary.data or ""


def _setup_return(form, assignment: Assignment) -> None:
    _setup_review(form, assignment)
    if assignment.state == AssignmentState.awaiting_signature:
        # The signer returning the draft writes their 签发意见, as when signing.
        form.comment.label.text = forms.SIGN_COMMENT


def _run_save_draft(assignment: Assignment, actor: User, form):
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
    version = operations.save_draft(
        assignment, actor, body=values["body"], result_class=values["result_class"],
        reply_form=ReplyForm(form.reply_form.data), disclosure=Disclosure(values["disclosure"]),
        base_number=form.base_number.data, contact_name=values["contact_name"],
        contact_phone=values["contact_phone"], cc=values["cc"], closing=values["closing"],
        salutation=values["salutation"], opening=values["opening"], note=form.note.data or "",
        source=source, **_draft_publication(form, imported))
    if imported is not None:
        version.notices = imported.notices(used) + version.notices
    return version


def _draft_publication(form, imported) -> dict:
    """The drafter's publication decision from the editor. A request without it (the API),
    or a Word import that changed the 公开属性, takes the one the 公开属性 implies."""
    if not form.publication.raw_data or (imported is not None
                                         and "disclosure" in imported.values
                                         and not form.disclosure.data):
        return {}
    return dict(publication=form.publication.data, withhold_reason=form.withhold_reason.data,
                public_summary=form.public_summary.data or "")


register_actions({
    Action.save_draft: ActionSpec(
        forms.DraftForm, _run_save_draft, _setup_draft,
        template="replies/draft.html", context=review_context, conflicts=SHOWN),
    Action.override_cosign: ActionSpec(
        forms.OverrideCosignForm,
        lambda a, actor, f: operations.override_cosign(a, actor, reason=f.reason.data),
        conflicts=SHOWN),
    Action.submit_review: ActionSpec(
        forms.SubmitReviewForm,
        lambda a, actor, f: operations.submit_review(
            a, actor, version=form_version(f), note=f.note.data or ""),
        template="replies/review.html", context=review_context,
        conflicts=SHOWN),
    Action.approve: ActionSpec(
        forms.ApproveForm,
        lambda a, actor, f: operations.approve_draft(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data or "",
            version=form_version(f), publication=_publication(f),
            redact_words=f.redact_words.data or ""),
        _setup_review, template="replies/review.html", context=review_context,
        conflicts=SHOWN),
    Action.return_draft: ActionSpec(
        forms.ReturnDraftForm,
        lambda a, actor, f: operations.return_draft(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data,
            version=form_version(f)),
        _setup_return, template="replies/review.html", context=review_context,
        conflicts=SHOWN),
    Action.sign: ActionSpec(
        forms.SignForm,
        lambda a, actor, f: operations.sign_reply(
            a, actor, seen_version_id=f.seen_version_id.data, comment=f.comment.data or "",
            version=form_version(f), publication=_publication(f),
            redact_words=f.redact_words.data or ""),
        _setup_review, template="replies/review.html", context=review_context,
        conflicts=SHOWN),
    Action.issue: ActionSpec(
        forms.IssueForm,
        lambda a, actor, f: letter.issue_with_letter(a, actor, version=form_version(f)),
        template="replies/review.html", context=review_context,
        conflicts=SHOWN),
})
