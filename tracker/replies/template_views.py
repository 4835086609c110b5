"""Reply templates: the unit's page to keep them, and applying one from the draft editor
(the server side of the editor's picker, which also works without JavaScript)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.accounts.models import Unit
from tracker.core.errors import Hidden, ValidationFailed
from tracker.core.views import FAILED, apply_errors, attempt, load_or_404
from tracker.extensions import db
from tracker.handling import permissions
from tracker.handling.models import Assignment
from tracker.handling.workflow import Action, check
from tracker.replies import templates
from tracker.replies.actions import DRAFT_FIELDS
from tracker.replies.choices import TemplateKind
from tracker.replies.forms import DraftForm, ReplyTemplateForm
from tracker.replies.models import ReplyTemplate
from tracker.replies.operations import DraftConflict
from tracker.replies.queries import review_context
from tracker.replies.views import bp


def _unit_or_hidden(unit_id: int) -> Unit:
    unit = load_or_404(Unit, unit_id)
    if unit.is_supervising or not templates.can_view_templates(current_user, unit):
        raise Hidden()
    return unit


def _page(unit: Unit | None, form: ReplyTemplateForm, status: int = 200):
    rows = templates.templates_of(unit)
    office = templates.templates_of(None) if unit is not None else []
    return render_template(
        "replies/templates.html", unit=unit, form=form, rows=rows, office_rows=office,
        can_manage=templates.can_manage_templates(current_user, unit),
        kinds=list(TemplateKind), places=templates.PLACES,
        placeholders=templates.PLACEHOLDERS), status


def _create(unit: Unit | None):
    form = ReplyTemplateForm()
    if request.method == "POST":
        if not templates.can_manage_templates(current_user, unit):
            abort(403)
        if form.validate_on_submit():
            made = attempt(form, lambda: templates.create_template(
                unit, current_user, kind=form.kind.data, name=form.name.data or "",
                text=form.text.data or ""))
            if made is not FAILED:
                flash(f"已添加{made.kind.label}模板“{made.name}”。", "success")
                if made.notices:
                    flash("\n".join(made.notices), "info")
                return redirect(_list_url(unit))
        return _page(unit, form, 422)
    return _page(unit, form)


def _list_url(unit: Unit | None) -> str:
    if unit is None:
        return url_for("replies.office_templates")
    return url_for("replies.unit_templates", unit_id=unit.id)


@bp.get("/reply-templates")
@login_required
def my_templates():
    """The navigation's entry: the user's own unit, or the office-wide defaults."""
    unit = current_user.unit
    return _page(None if unit is None or unit.is_supervising else unit, ReplyTemplateForm())


@bp.route("/units/<int:unit_id>/reply-templates", methods=["GET", "POST"])
@login_required
def unit_templates(unit_id: int):
    return _create(_unit_or_hidden(unit_id))


@bp.route("/reply-templates/office", methods=["GET", "POST"])
@login_required
def office_templates():
    return _create(None)


def _template_or_hidden(template_id: int) -> ReplyTemplate:
    template = load_or_404(ReplyTemplate, template_id)
    unit = db.session.get(Unit, template.unit_id) if template.unit_id else None
    if not templates.can_view_templates(current_user, unit):
        raise Hidden()
    if not templates.can_manage_templates(current_user, unit):
        abort(403)
    return template


@bp.route("/reply-templates/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
def edit_template(template_id: int):
    template = _template_or_hidden(template_id)
    form = ReplyTemplateForm(obj=None if request.method == "POST" else template)
    if request.method == "GET":
        form.kind.data = template.kind.value
    status = 200
    if form.validate_on_submit():
        saved = attempt(form, lambda: templates.update_template(
            template, current_user, kind=form.kind.data, name=form.name.data or "",
            text=form.text.data or ""))
        if saved is not FAILED:
            flash(f"已保存{saved.kind.label}模板“{saved.name}”。", "success")
            if saved.notices:
                flash("\n".join(saved.notices), "info")
            return redirect(_list_url(saved.unit))
        status = 422
    elif form.errors:
        status = 422
    return render_template("replies/template_edit.html", template=template, form=form,
                           places=templates.PLACES,
                           placeholders=templates.PLACEHOLDERS), status


@bp.post("/reply-templates/<int:template_id>/active")
@login_required
def toggle_template(template_id: int):
    """停用 or 启用 a template (the drafts it filled keep their text)."""
    template = _template_or_hidden(template_id)
    form = ReplyTemplateForm()  # for the CSRF token only
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    active = request.form.get("active") == "1"
    templates.set_template_active(template, current_user, active)
    db.session.commit()
    flash(f"已{'启用' if active else '停用'}模板“{template.name}”。", "success")
    return redirect(_list_url(template.unit))


# -- from the draft editor ------------------------------------------------------------------

@bp.post("/assignments/<int:assignment_id>/drafts/template")
@login_required
def apply_template(assignment_id: int):
    """Apply the picked template to the editor's fields as posted and save a new version."""
    assignment = load_or_404(Assignment, assignment_id)
    if not permissions.can_view_assignment(current_user, assignment):
        raise Hidden()
    check(assignment, Action.save_draft, current_user)
    form = DraftForm()
    template_errors: list[str] = []
    confirm_replace, conflict, status = False, None, 422
    raw = request.form.get("template_id", "")
    template = db.session.get(ReplyTemplate, int(raw)) if raw.isascii() and raw.isdigit() \
        and 0 < int(raw) < 2**31 else None
    if template is None:
        template_errors.append("请选择要套用的模板。")
    elif not form.validate_on_submit():
        apply_errors(form, ValidationFailed("答复稿有误，请按提示修改。", form.error_dict()))
    else:
        values = {name: form[name].data or "" for name in DRAFT_FIELDS}
        try:
            version = templates.apply_template(
                assignment, template, current_user, values=values,
                base_number=form.base_number.data, replace=request.form.get("replace") == "1")
        except DraftConflict as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            conflict, status = exc, 409
        except ValidationFailed as exc:
            db.session.rollback()
            template_errors += exc.errors.pop("template_id", [])
            confirm_replace = isinstance(exc, templates.ReplaceNeedsConfirmation)
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"已套用{version.note.removeprefix('套用')}，保存为第 {version.number} 稿。",
                  "success")
            if version.notices:
                flash("\n".join(version.notices), "info")
            return redirect(url_for("handling.assignment_action", assignment_id=assignment.id,
                                    name=Action.save_draft.value))
    context = review_context(assignment, current_user)
    return render_template(
        "replies/draft.html", form=form, action=Action.save_draft, obj=assignment,
        proposal=assignment.proposal, assignment=assignment, conflict=conflict,
        template_errors=template_errors, confirm_replace=confirm_replace,
        picked_template_id=template.id if template is not None else None,
        **context), status


@bp.app_template_global()
def reply_template_picker(assignment: Assignment) -> dict:
    """What the editor's picker offers: the usable templates, each filled for this item."""
    rows = templates.usable_templates(assignment)
    return {
        "groups": [(kind, [(t, templates.fill(t.text, assignment,
                                              keep_item=templates.leads_group(assignment)))
                            for t in rows
                           if t.kind == kind]) for kind in TemplateKind],
        "count": len(rows),
        "places": templates.PLACES,
        "can_manage": templates.can_manage_templates(current_user, assignment.unit),
    }
