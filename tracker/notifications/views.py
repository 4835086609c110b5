"""The notification list, marking notifications read, and the unread count in the navbar."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from tracker.core.views import int_arg
from tracker.extensions import db
from tracker.notifications import operations

bp = Blueprint("notifications", __name__)


def remember_unread(user, count: int) -> None:
    """The unread count the user loader read with the user, for this request's navbar."""
    g.unread_notifications = (user.id, count)


@bp.app_context_processor
def _navbar_count():
    def unread_notifications() -> int | None:
        """The count read with the user, or one count query; only for pages that show the
        navbar to a logged-in user."""
        if not current_user.is_authenticated:
            return None
        try:
            return _unread_count()
        except SQLAlchemyError:  # an error page after a database failure still renders
            return None
    return {"unread_notifications": unread_notifications}


def _unread_count() -> int:
    known = g.get("unread_notifications")
    if known is not None and known[0] == current_user.id:
        return known[1]
    return operations.unread_count(current_user)


def _own_or_404(notification_id: int):
    notification = operations.own_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    return notification


@bp.get("/notifications")
@login_required
def index():
    number = int_arg("page") or 1
    page = db.paginate(operations.for_user(current_user), page=number,
                       per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("notifications/index.html", page=page,
                           unread=_unread_count())


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = _own_or_404(notification_id)
    operations.mark_read(notification)
    db.session.commit()
    if request.form.get("open") and notification.proposal_id:
        return redirect(url_for("proposals.detail", proposal_id=notification.proposal_id))
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    count = operations.mark_all_read(current_user)
    db.session.commit()
    flash(f"已将 {count} 条通知标为已读。" if count else "没有未读通知。", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    from tracker.notifications import delivery, outbox
    from tracker.notifications.choices import Channel
    from tracker.notifications.forms import SettingsForm

    form = SettingsForm()
    if request.method == "GET":
        chosen = delivery.choices_for(current_user)
        for kind, email_box, sms_box in form.kind_fields():
            email_box.data, sms_box.data = chosen[kind].email, chosen[kind].sms
        current = delivery.settings_for(current_user)
        form.digest.data = current.digest
        form.quiet_from.data, form.quiet_until.data = current.quiet_from, current.quiet_until
    elif form.validate_on_submit():
        operations.save_settings(
            current_user,
            channels={kind: delivery.Choice(email=bool(e.data), sms=bool(s.data))
                      for kind, e, s in form.kind_fields()},
            digest=bool(form.digest.data), quiet_from=form.quiet_from.data,
            quiet_until=form.quiet_until.data)
        db.session.commit()
        flash("通知设置已保存。", "success")
        return redirect(url_for("notifications.settings"))
    return render_template(
        "notifications/settings.html", form=form,
        mobile=delivery.mobile_number(current_user.phone),
        email_ready=outbox.channel_ready(Channel.email),
        sms_ready=outbox.channel_ready(Channel.sms))
