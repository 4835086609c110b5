"""Administration: units and sections, users and roles, the holiday calendar."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required
from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.admin.permissions import admin_required
from tracker.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/units")
@login_required
@admin_required
def units():
    rows = db.session.scalars(select(Unit).order_by(Unit.is_supervising.desc(), Unit.name))
    return render_template("admin/units.html", units=list(rows))
