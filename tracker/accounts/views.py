"""Login, logout and the user's own password."""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from tracker.accounts import operations
from tracker.accounts.forms import LoginForm, PasswordForm
from tracker.audit import log as audit
from tracker.core.views import FAILED, attempt
from tracker.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("proposals.todo")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("proposals.todo"))
    form = LoginForm()
    if form.validate_on_submit():
        result = operations.authenticate(form.username.data, form.password.data)
        if result.user is None:
            db.session.commit()  # the failure count and the log entry must persist
            flash(result.message, "danger")
            return render_template("auth/login.html", form=form), 200
        db.session.commit()
        # A fresh session at login: nothing carried over from before (rotation).
        session.clear()
        login_user(result.user)
        session.permanent = True
        session["login_at"] = datetime.now(UTC).timestamp()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    operations.end_sessions(user)
    audit.record("logout", actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        outcome = attempt(form, lambda: operations.change_password(user, form.current.data, form.new.data))
        if outcome is not FAILED:
            logout_user()
            session.clear()
            flash("密码已修改，请用新密码重新登录。", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)

