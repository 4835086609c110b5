"""Draft versions and their comparison (the editing and review actions go through
tracker.handling.views like every other workflow action)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from tracker.core.errors import Hidden, NotFound, PermissionDenied
from tracker.core.views import int_arg, load_or_404
from tracker.handling import permissions
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import REVIEW_STATES, AssignmentState
from tracker.letters.text import greeting
from tracker.replies import disclosure, documents, letter, queries, word
from tracker.replies.models import DraftVersion, Reply
from tracker.replies.operations import waiting_days
from tracker.replies.styles import LetterStyle, style_for

bp = Blueprint("replies", __name__)

# States in which a draft waits for somebody other than its drafter.
WAITING_STATES = frozenset(
    {s.value for s in REVIEW_STATES.values()}
    | {AssignmentState.awaiting_signature.value, AssignmentState.signed.value})

SOURCE_LABELS = {"form": "页面填写", "docx": "Word 上传", "api": "接口提交", "template": "套用模板"}


can_read_draft = permissions.can_read_draft


def _readable_assignment(assignment_id: int) -> Assignment:
    assignment = load_or_404(Assignment, assignment_id)
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    if not can_read_draft(current_user, assignment):
        raise PermissionDenied("分办单位的答复稿只有本单位和交办员可以查看。")
    return assignment


def _version_arg(assignment: Assignment, name: str) -> DraftVersion | None:
    """The version numbered by the query argument, None when absent; 404 when unknown."""
    if not request.args.get(name, "").strip():
        return None
    number = int_arg(name)
    if number is None:
        abort(404)
    version = queries.draft_by_number(assignment, number)
    if version is None:
        abort(404)
    return version


@bp.get("/assignments/<int:assignment_id>/drafts")
@login_required
def versions(assignment_id: int):
    assignment = _readable_assignment(assignment_id)
    rows = queries.drafts(assignment)
    shown = _version_arg(assignment, "v") or (rows[-1] if rows else None)
    return render_template(
        "replies/versions.html", assignment=assignment, proposal=assignment.proposal,
        versions=rows, shown=shown, decisions=queries.decisions(assignment),
        reply=queries.current_reply(assignment))


def _draft_arg(assignment: Assignment) -> DraftVersion:
    draft = _version_arg(assignment, "version") or queries.latest_draft(assignment)
    if draft is None:
        abort(404)
    return draft


@bp.get("/assignments/<int:assignment_id>/letter-preview.pdf")
@login_required
def letter_preview(assignment_id: int):
    """The letter of a draft version (?version=N, default the latest), watermarked 草稿."""
    assignment = _readable_assignment(assignment_id)
    return documents.send(documents.draft_pdf(assignment, _draft_arg(assignment)))


@bp.get("/assignments/<int:assignment_id>/letter-preview.docx")
@login_required
def letter_preview_docx(assignment_id: int):
    """The same draft letter as a Word document, in the PDF's layout."""
    assignment = _readable_assignment(assignment_id)
    return documents.send(documents.draft_docx(assignment, _draft_arg(assignment)))


@bp.get("/assignments/<int:assignment_id>/issue-preview.pdf")
@login_required
def issue_preview(assignment_id: int):
    """The letter as 发文 will issue it, with the number it will get, marked as a preview
    (for whoever may issue it; nothing is numbered or stored)."""
    assignment = _readable_assignment(assignment_id)
    return documents.send(documents.issue_preview_pdf(assignment, current_user))


def _issued(assignment: Assignment) -> Reply:
    try:
        return documents.issued_reply(assignment, int_arg("round"))
    except NotFound:
        abort(404)


@bp.get("/assignments/<int:assignment_id>/letter.pdf")
@login_required
def issued_letter(assignment_id: int):
    """The issued letter exactly as stored at issue (?round=N, default the current round)."""
    assignment = _readable_assignment(assignment_id)
    try:
        return documents.send(documents.issued_pdf(_issued(assignment)))
    except NotFound:
        abort(404)


@bp.get("/assignments/<int:assignment_id>/opinions/<int:opinion_id>/letter.pdf")
@login_required
def opinion_letter(assignment_id: int, opinion_id: int):
    """The 会办意见函 of an approved opinion: for whoever may read the opinion."""
    assignment = load_or_404(Assignment, assignment_id)
    try:
        return documents.send(documents.opinion_letter(current_user, assignment, opinion_id))
    except NotFound:
        abort(404)


@bp.get("/assignments/<int:assignment_id>/letter.docx")
@login_required
def issued_letter_docx(assignment_id: int):
    """The issued letter as a Word document (without the seal and the signature)."""
    assignment = _readable_assignment(assignment_id)
    return documents.send(documents.issued_docx(assignment, _issued(assignment)))


@bp.post("/assignments/<int:assignment_id>/drafts/word")
@login_required
def import_word(assignment_id: int):
    """A whole letter typed in Word: its parts fill the draft editor, shown before saving."""
    from flask_wtf.csrf import ValidationError, validate_csrf

    from tracker.core.errors import ValidationFailed
    from tracker.core.views import apply_errors
    from tracker.handling.workflow import Action, check
    from tracker.replies.actions import fill_draft_form
    from tracker.replies.forms import DraftForm

    assignment = load_or_404(Assignment, assignment_id)
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    check(assignment, Action.save_draft, current_user)
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        abort(400)
    # The editor as it opens (the latest version), then what the Word file gives.
    form = DraftForm(formdata=None)
    fill_draft_form(form, assignment)
    status, imported = 200, None
    upload = request.files.get("docx")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed("请选择要导入的 Word 文件。", {"docx": ["请选择 .docx 文件。"]})
        imported = word.draft_from_word(word.read_upload(upload), assignment)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        status = 422
    else:
        for name, value in imported.values.items():
            form[name].data = value
        form.source.data = "docx"
    context = queries.review_context(assignment, current_user)
    return render_template(
        "replies/draft.html", form=form, action=Action.save_draft, obj=assignment,
        proposal=assignment.proposal, assignment=assignment, conflict=None, word=imported,
        **context), status


@bp.get("/assignments/<int:assignment_id>/drafts/compare")
@login_required
def compare(assignment_id: int):
    assignment = _readable_assignment(assignment_id)
    rows = queries.drafts(assignment)
    new = _version_arg(assignment, "b") or (rows[-1] if rows else None)
    old = _version_arg(assignment, "a")
    if old is None and new is not None and new.number > 1:
        old = queries.draft_by_number(assignment, new.number - 1)
    diff = None
    if old is not None and new is not None:
        diff = queries.side_by_side(old.body, new.body, _title(old), _title(new))
    return render_template(
        "replies/compare.html", assignment=assignment, proposal=assignment.proposal,
        versions=rows, old=old, new=new, diff=diff, changed=_changed_fields(old, new))


def _title(version: DraftVersion) -> str:
    return (f"第 {version.number} 稿（{version.created_by.full_name}，"
            f"{_local(version)}）")


def _local(version: DraftVersion) -> str:
    from tracker.core.time import to_local

    return to_local(version.created_at).strftime("%Y-%m-%d %H:%M")


FIELD_LABELS = [
    ("result_class", "办理结果类别"), ("reply_form", "答复形式"), ("disclosure", "公开属性"),
    ("contact_name", "联系人"), ("contact_phone", "联系电话"), ("cc", "抄送"),
    ("closing", "结束语"), ("salutation", "称谓"), ("opening", "开头语"),
]


def _changed_fields(old: DraftVersion | None, new: DraftVersion | None) -> list[tuple]:
    """The letter's other fields that differ between two versions: (label, old, new)."""
    if old is None or new is None:
        return []
    result = []
    for name, label in FIELD_LABELS:
        a, b = _field_text(old, name), _field_text(new, name)
        if a != b:
            result.append((label, a, b))
    return result


def _field_text(version: DraftVersion, name: str) -> str:
    from flask import current_app

    from tracker.proposals.models import Disclosure

    value = getattr(version, name)
    if name == "result_class":
        return current_app.config["RESULT_CLASS_MAP"].get(value, value)
    if name == "reply_form":
        return value.label
    if name == "disclosure":
        return Disclosure.label_of(value)
    if name == "cc":
        return "、".join(version.cc_list)
    return value or ""


# -- helpers for the item page, the to-do list and the reply pages ----------------------------


@bp.app_template_global()
def reply_overview(assignment: Assignment) -> dict:
    """What the item page shows of one unit's reply: latest draft, comments, the reply."""
    versions = queries.drafts(assignment)
    return {
        "latest": versions[-1] if versions else None,
        "count": len(versions),
        "decisions": queries.decisions(assignment),
        "reply": queries.current_reply(assignment),
        "waiting": waiting_days(assignment) if assignment.state in WAITING_STATES else None,
    }


@bp.app_template_global()
def draft_waiting_days(assignment: Assignment) -> int | None:
    """Days a draft has waited in review, sign-off or issue; None in other states."""
    return waiting_days(assignment) if assignment.state in WAITING_STATES else None


@bp.app_template_global()
def letter_style(assignment: Assignment) -> LetterStyle:
    """The letter style the assignment's reply will be printed in."""
    return style_for(assignment.unit, assignment.proposal.kind)


bp.add_app_template_global(can_read_draft, "can_read_draft")
bp.add_app_template_global(letter.next_doc_number, "next_doc_number")
bp.add_app_template_global(queries.side_by_side, "side_by_side")
bp.add_app_template_global(SOURCE_LABELS, "DRAFT_SOURCE_LABELS")


@bp.app_template_global()
def letter_greeting(assignment: Assignment, draft: DraftVersion) -> tuple[str, str]:
    """The salutation and opening sentence: the draft's overrides, or the generated ones."""
    proposal = assignment.proposal
    co_units = [a.unit.display_name for a in proposal.assignments
                if a.role == UnitRole.co and a.state != AssignmentState.returned]
    return greeting(
        proposal.kind.value, [a.name for a in proposal.authors], proposal.meeting.name,
        proposal.title, co_units if assignment.role == UnitRole.lead else [],
        draft.salutation, draft.opening)


def _disclosure_labels() -> dict[str, str]:
    from tracker.proposals.models import Disclosure

    return {d.value: d.label for d in Disclosure}


bp.add_app_template_global(_disclosure_labels(), "DISCLOSURE_LABELS")


@bp.app_template_global()
def publication_label(row) -> str:
    """A draft's, decision's or reply's publication decision in words (全文公开, 摘要公开,
    不予公开（理由）); empty for a decision that left it as it stood."""
    if row is None or row.publication is None:
        return ""
    return disclosure.PublicationDecision.of(row).label


# The reply templates' pages and the editor's "apply template" (their own module).
from tracker.replies import template_views  # noqa: E402,F401
