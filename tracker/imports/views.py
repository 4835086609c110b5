"""Batch import pages: the upload form, the template download, and the import itself."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from tracker.core.errors import PermissionDenied
from tracker.core.states import ProposalState
from tracker.extensions import db
from tracker.handling import permissions
from tracker.imports import operations
from tracker.imports.forms import ImportForm
from tracker.imports.parse import MAX_ROWS, ImportRejected
from tracker.imports.template import build_template

bp = Blueprint("imports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Problems listed on the page; the count says how many more there are.
SHOWN_PROBLEMS = 2000


def _require_clerk() -> None:
    if not permissions.can_register(current_user):
        raise PermissionDenied("只有交办员可以批量导入交办清单。")


def _page(form: ImportForm, status: int = 200, rejected: ImportRejected | None = None):
    problems = rejected.problems if rejected else []
    return render_template(
        "imports/index.html", form=form, max_rows=MAX_ROWS,
        message=rejected.message if rejected else None,
        problems=problems[:SHOWN_PROBLEMS], hidden=max(len(problems) - SHOWN_PROBLEMS, 0),
    ), status


@bp.get("/imports")
@login_required
def index():
    _require_clerk()
    return _page(ImportForm())


@bp.get("/imports/template.xlsx")
@login_required
def template():
    _require_clerk()
    from io import BytesIO

    return send_file(BytesIO(build_template()), mimetype=XLSX, as_attachment=True,
                     download_name="交办清单模板.xlsx")


@bp.post("/imports")
@login_required
def upload():
    _require_clerk()
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    upload = form.file.data
    content = upload.stream.read(operations.upload_limit() + 1)
    try:
        result = operations.import_workbook(current_user, content, upload.filename or "")
    except ImportRejected as exc:
        db.session.rollback()
        return _page(form, 422, exc)
    db.session.commit()
    parts = "；".join(f"{name} {count} 件" for name, (_, count) in result.meetings.items())
    flash(f"已导入 {result.count} 件建议提案并全部交办（{parts}）。各承办单位可在待办中签收。",
          "success")
    if len(result.meetings) == 1:
        (meeting_id, _), = result.meetings.values()
        return redirect(url_for("proposals.index", meeting=meeting_id,
                                state=ProposalState.assigned.value))
    return redirect(url_for("proposals.index", state=ProposalState.assigned.value))
