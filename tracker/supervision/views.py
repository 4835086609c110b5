"""The supervision dashboard (督办统计) and its spreadsheet exports."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.core.time import today
from tracker.core.views import int_arg
from tracker.extensions import db
from tracker.handling.permissions import is_supervisor
from tracker.proposals.models import ItemKind, Meeting
from tracker.supervision import exports, permissions, stats, tables

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
    units = []
    if is_supervisor(current_user):
        units = db.session.scalars(select(Unit).where(Unit.is_supervising.is_(False))
                                   .order_by(Unit.id)).all()
    return render_template(
        "supervision/dashboard.html", board=board, tables=built, scope=scope,
        charts=tables.charts(board), meetings=list(meetings), units=units,
        kinds=list(ItemKind), definitions=stats.definitions(), list_args=_list_args(scope),
        labels=stats.scope_labels(scope), format_cell=tables.format_cell)


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


def _attachment(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = exports.content_disposition(filename)
    return response
