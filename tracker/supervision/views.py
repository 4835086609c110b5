"""The supervision dashboard (督办统计) and its spreadsheet exports."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.core.errors import Hidden, PermissionDenied
from tracker.core.time import today
from tracker.core.views import FAILED, attempt, int_arg, load_or_404
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.handling.permissions import is_supervisor
from tracker.proposals.models import ItemKind, Meeting
from tracker.publication import deadlines
from tracker.supervision import (
    commitment_tables,
    exports,
    operations,
    permissions,
    stats,
    tables,
    urge_letter,
)
from tracker.supervision.forms import UrgeForm
from tracker.supervision.models import Urge

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

TABLE_NAMES = ("units", "states", "ratings", "classes", "timeline")


def _scope() -> stats.Scope:
    """The filters of the request; a unit's users always get their own unit."""
    kind = request.args.get("kind")
    return stats.Scope(
        meeting_id=int_arg("meeting"),
        kind=kind if kind in {k.value for k in ItemKind} else None,
        unit_id=permissions.scope_unit(current_user, int_arg("unit")),
    )


def _list_args(scope: stats.Scope) -> dict:
    """The item list's query arguments for the same scope (links from the figures)."""
    args = {"meeting": scope.meeting_id, "kind": scope.kind, "unit": scope.unit_id}
    return {k: v for k, v in args.items() if v}


def _board(scope: stats.Scope):
    board = stats.dashboard(scope)
    return board, tables.build(board, _list_args(scope))


def _download_name(stem: str, suffix: str) -> str:
    return f"{stem}-{today().isoformat()}{suffix}"


@bp.get("/")
@login_required
def dashboard():
    scope = _scope()
    board, built = _board(scope)
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.year.desc(), Meeting.name))
    units, overdue_units = [], []
    if is_supervisor(current_user):
        overdue_units = [f for f in board.units if f.overdue]
        units = db.session.scalars(select(Unit).where(Unit.is_supervising.is_(False))
                                   .order_by(Unit.id)).all()
    return render_template(
        "supervision/dashboard.html", board=board, tables=built, scope=scope,
        charts=tables.charts(board), meetings=list(meetings), units=units,
        kinds=list(ItemKind), definitions=stats.definitions(), list_args=_list_args(scope),
        labels=stats.scope_labels(scope), format_cell=tables.format_cell,
        overdue_units=overdue_units, commitments=commitment_tables.dashboard(scope),
        publishing=deadlines.board(
            unit_id=scope.unit_id, meeting_id=scope.meeting_id, kind=scope.kind))


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    """One table (?table=units …) or every table (?table=all) as a workbook."""
    scope = _scope()
    name = request.args.get("table", "all")
    if name != "all" and name not in TABLE_NAMES:
        abort(404)
    board, built = _board(scope)
    chosen = built if name == "all" else [t for t in built if t.name == name]
    data = exports.tables_xlsx(chosen, stats.scope_labels(scope), board.on)
    stem = "督办统计" if name == "all" else exports.SHEET_NAMES[name]
    return _attachment(data, _download_name(stem, ".xlsx"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/export.csv")
@login_required
def export_csv():
    scope = _scope()
    name = request.args.get("table", "units")
    if name not in TABLE_NAMES:
        abort(404)
    _, built = _board(scope)
    table = next(t for t in built if t.name == name)
    return _attachment(exports.table_csv(table).encode("utf-8"),
                       _download_name(exports.SHEET_NAMES[name], ".csv"), "text/csv; charset=utf-8")


@bp.get("/commitments/review.xlsx")
@login_required
def commitment_review_xlsx():
    """The 年度回头看 of the commitments (tracker.commitments) as a workbook."""
    from tracker.commitments.permissions import can_review
    from tracker.commitments.queries import review_years

    if not can_review(current_user):
        raise PermissionDenied("年度回头看由交办单位（督办）查看。")
    year = int_arg("year", 9999) or next(iter(review_years()), today().year)
    unit_id = int_arg("unit")
    unit = db.session.get(Unit, unit_id) if unit_id else None
    table = commitment_tables.review_table(year, unit_id)
    data = exports.tables_xlsx([table], {
        "年度": f"{year}年", "承办单位": unit.name if unit else "全部承办单位"}, today())
    return _attachment(data, _download_name(f"{year}年度承诺事项回头看", ".xlsx"),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _attachment(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = exports.content_disposition(filename)
    return response


# --- 催办 and the 督办函 -------------------------------------------------------------------

@bp.route("/assignments/<int:assignment_id>/urge", methods=["GET", "POST"])
@login_required
def urge_assignment(assignment_id: int):
    """催办 one assignment (the item page holds the same form)."""
    assignment = load_or_404(Assignment, assignment_id)
    if not permissions.can_urge(current_user, assignment):
        raise PermissionDenied("只有交办员可以催办尚未办结的交办件。")
    form = UrgeForm()
    if form.validate_on_submit():
        urge = attempt(form, lambda: operations.urge_assignment(
            assignment, current_user, form.message.data))
        if urge is not FAILED:
            flash(f"已向{assignment.unit.name}催办{assignment.proposal.display_number}。", "success")
            return redirect(url_for("proposals.detail", proposal_id=assignment.proposal_id,
                                    _anchor=f"assignment-{assignment.id}"))
    return render_template("supervision/urge.html", form=form, assignment=assignment,
                           proposal=assignment.proposal), 422 if form.errors else 200


@bp.route("/units/<int:unit_id>/urge", methods=["GET", "POST"])
@login_required
def urge_unit(unit_id: int):
    """催办 all of a unit's overdue assignments with one message (one 督办函)."""
    if not permissions.can_urge_unit(current_user):
        raise PermissionDenied("只有交办员可以催办。")
    unit = load_or_404(Unit, unit_id)
    if unit.is_supervising:
        abort(404)
    form = UrgeForm()
    refused = False
    if form.validate_on_submit():
        urges = attempt(form, lambda: operations.urge_unit(unit, current_user, form.message.data))
        if urges is not FAILED:
            flash(f"已向{unit.name}催办 {len(urges)} 件超期未办事项。", "success")
            return redirect(url_for("supervision.urge_unit", unit_id=unit.id))
        refused = True
    return render_template(
        "supervision/urge_unit.html", form=form, unit=unit,
        assignments=operations.overdue_assignments(unit),
        recent=operations.recent_letters(unit)), 422 if form.errors or refused else 200


@bp.get("/urges/<int:urge_id>/letter.pdf")
@login_required
def urge_letter_pdf(urge_id: int):
    """The 督办函 of an urge (of its whole batch): the supervising office and the urged unit."""
    urge = load_or_404(Urge, urge_id)
    if not permissions.can_view_urge(current_user, urge):
        raise Hidden()
    return _attachment(urge_letter.render_urge_letter(urge),
                       urge_letter.letter_filename(urge), "application/pdf")
