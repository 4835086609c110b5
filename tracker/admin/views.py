"""Administration: units and sections, users and roles, API tokens, the holiday calendar."""
from __future__ import annotations

import calendar as stdcal
import os
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from tracker.accounts import operations as accounts
from tracker.accounts.models import ApiToken, Unit, User
from tracker.accounts.permissions import admin_required
from tracker.admin import job_status
from tracker.admin.forms import (
    CalendarDayForm,
    LetterStyleForm,
    ResetPasswordForm,
    SectionForm,
    TokenForm,
    UnitCreateForm,
    UnitEditForm,
    UnitSettingsForm,
    UnitSigningForm,
    UserCreateForm,
    UserEditForm,
    split_sections,
)
from tracker.core.errors import ValidationFailed
from tracker.core.forms import strip_control
from tracker.core.time import to_local, today, utcnow
from tracker.core.views import FAILED, attempt, int_arg, load_or_404
from tracker.extensions import db
from tracker.proposals.models import ItemKind
from tracker.publication import operations as publication_ops
from tracker.publication.forms import UnitPublicationForm
from tracker.replies import styles as letter_styles
from tracker.signing import keys
from tracker.signing import operations as signing
from tracker.workdays import operations as workdays
from tracker.workdays.calendar import WEEKDAYS, WorkCalendar
from tracker.workdays.models import CalendarDay

bp = Blueprint("admin", __name__, url_prefix="/admin")

USERS_PER_PAGE = 50


def _int_arg(name: str) -> int | None:
    return int_arg(name)


def _status(form) -> int:
    return 422 if form.errors else 200


# -- units ------------------------------------------------------------------------------------


@bp.get("/units")
@login_required
@admin_required
def units():
    rows = db.session.scalars(
        select(Unit).options(selectinload(Unit.sections))
        .order_by(Unit.is_supervising.desc(), Unit.is_active.desc(), Unit.name))
    counts = dict(db.session.execute(
        select(User.unit_id, func.count(User.id)).group_by(User.unit_id)).all())
    enabled = dict(db.session.execute(
        select(User.unit_id, func.count(User.id)).where(User.is_enabled.is_(True))
        .group_by(User.unit_id)).all())
    return render_template("admin/units.html", units=list(rows), counts=counts,
                           enabled=enabled)


@bp.route("/units/new", methods=["GET", "POST"])
@login_required
@admin_required
def new_unit():
    form = UnitCreateForm()
    if form.validate_on_submit():
        unit = attempt(form, lambda: accounts.create_unit(
            current_user, name=form.name.data, short_name=form.short_name.data or "",
            is_supervising=form.is_supervising.data,
            sections=split_sections(form.sections.data)))
        if unit is not FAILED:
            flash(f"已新建单位「{unit.name}」。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return render_template("admin/unit_new.html", form=form), _status(form)


def _style_prefix(kind: ItemKind) -> str:
    return f"style-{kind.value}"


def _unit_page(unit: Unit, form: UnitEditForm, section_form: SectionForm,
               settings_form: UnitSettingsForm | None = None,
               posted_style: tuple[ItemKind, LetterStyleForm] | None = None, status: int = 200,
               publication_form: UnitPublicationForm | None = None):
    if settings_form is None:
        settings_form = UnitSettingsForm(formdata=None, prefix="settings")
        settings_form.load(unit)
    settings_form.fill_leaders(unit)
    settings_form.show_default_prefix(unit)
    styles = letter_styles.styles_of(unit)
    style_forms = {}
    for kind, style in styles.items():
        style_forms[kind] = LetterStyleForm(formdata=None, prefix=_style_prefix(kind))
        style_forms[kind].load(style)
    if posted_style is not None:
        style_forms[posted_style[0]] = posted_style[1]
    if publication_form is None:
        publication_form = UnitPublicationForm(formdata=None, prefix="publication", obj=unit)
    if form.errors or section_form.errors or settings_form.errors or any(
            f.errors for f in style_forms.values()) or publication_form.errors:
        status = 422
    return render_template("admin/unit_edit.html", unit=unit, form=form,
                           section_form=section_form, settings_form=settings_form,
                           publication_form=publication_form,
                           letter_styles=styles, style_forms=style_forms,
                           kind_label=letter_styles.kind_label,
                           signing=_signing_state(unit)), status


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
@admin_required
def edit_unit(unit_id: int):
    unit = load_or_404(Unit, unit_id)
    form = UnitEditForm(obj=unit)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: accounts.update_unit(
            current_user, unit, name=form.name.data, short_name=form.short_name.data or "",
            is_active=form.is_active.data, is_supervising=form.is_supervising.data))
        if outcome is not FAILED:
            flash(f"单位「{unit.name}」已保存。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return _unit_page(unit, form, SectionForm(formdata=None, prefix="section"))


@bp.post("/units/<int:unit_id>/sections")
@login_required
@admin_required
def add_section(unit_id: int):
    unit = load_or_404(Unit, unit_id)
    section_form = SectionForm(prefix="section")
    if section_form.validate_on_submit():
        section = attempt(section_form, lambda: accounts.add_section(current_user, unit, section_form.name.data))
        if section is not FAILED:
            flash(f"已在「{unit.name}」下添加处室「{section.name}」。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return _unit_page(unit, UnitEditForm(formdata=None, obj=unit), section_form)


@bp.post("/units/<int:unit_id>/settings")
@login_required
@admin_required
def unit_settings(unit_id: int):
    unit = load_or_404(Unit, unit_id)
    settings_form = UnitSettingsForm(prefix="settings")
    if settings_form.validate_on_submit():
        outcome = attempt(settings_form, lambda: accounts.update_unit_settings(
            current_user, unit, review_levels=settings_form.review_levels.data,
            allow_multi_level=settings_form.allow_multi_level.data,
            allow_author_approval=settings_form.allow_author_approval.data,
            instruction_before_dispatch=settings_form.instruction_before_dispatch.data,
            principal_leader_id=settings_form.principal_leader_id.data or None,
            closing_default=settings_form.closing_default.data or "",
            prefix_suggestion=settings_form.prefix_suggestion.data or "",
            prefix_proposal=settings_form.prefix_proposal.data or "",
            prefix_co_opinion=settings_form.prefix_co_opinion.data or ""))
        if outcome is not FAILED:
            flash(f"「{unit.name}」的答复办理设置已保存。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return _unit_page(unit, UnitEditForm(formdata=None, obj=unit),
                      SectionForm(formdata=None, prefix="section"), settings_form)


@bp.post("/units/<int:unit_id>/publication")
@login_required
@admin_required
def unit_publication(unit_id: int):
    """The unit's 统一社会信用代码 and 索引号 format (办理结果公开)."""
    unit = load_or_404(Unit, unit_id)
    publication_form = UnitPublicationForm(prefix="publication")
    if publication_form.validate_on_submit():
        outcome = attempt(publication_form, lambda: publication_ops.set_unit_publication(
            current_user, unit, credit_code=publication_form.credit_code.data or "",
            index_format=publication_form.index_format.data or ""))
        if outcome is not FAILED:
            flash(f"「{unit.name}」的政务公开设置已保存。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return _unit_page(unit, UnitEditForm(formdata=None, obj=unit),
                      SectionForm(formdata=None, prefix="section"),
                      publication_form=publication_form)


def _posted_kind() -> ItemKind | None:
    """The kind of item whose letter style was posted (the form's hidden `kind`)."""
    try:
        return ItemKind(request.form.get("kind", ""))
    except ValueError:
        return None


@bp.post("/units/<int:unit_id>/letter-styles")
@login_required
@admin_required
def unit_letter_style(unit_id: int):
    """Save one kind's letter style, or apply a preset to it (the 「套用」 button)."""
    unit = load_or_404(Unit, unit_id)
    kind = _posted_kind()
    if kind is None:
        flash("页面数据有误（缺少答复类型），请刷新页面后重新提交。", "danger")
        return _unit_page(unit, UnitEditForm(formdata=None, obj=unit),
                          SectionForm(formdata=None, prefix="section"), status=400)
    form = LetterStyleForm(prefix=_style_prefix(kind))
    label = letter_styles.kind_label(kind)
    if form.validate_on_submit():
        if request.form.get("apply"):
            style = attempt(form, lambda: letter_styles.apply_letter_style_preset(
                current_user, unit, kind, form.preset.data))
        else:
            style = attempt(form, lambda: letter_styles.update_letter_style(
                current_user, unit, kind, print_doc_number=form.print_doc_number.data,
                signer_line=form.signer_line.data,
                print_review_trail=form.print_review_trail.data,
                cc_default=form.cc_default.data or "", class_mark=form.class_mark.data,
                letterhead=form.letterhead.data))
        if style is not FAILED:
            flash(f"「{unit.name}」的{label}样式已设为：{style.description}。", "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id, _anchor="letter-styles"))
    return _unit_page(unit, UnitEditForm(formdata=None, obj=unit),
                      SectionForm(formdata=None, prefix="section"), posted_style=(kind, form))


# -- signing: the unit's certificate and seal ------------------------------------------------


def _signing_state(unit: Unit) -> dict:
    """What the pages show of the unit's signing setup (never the password itself)."""
    env_name = f"TRACKER_SIGNING_PASSWORD_{unit.id}"
    password_problem = ""
    try:
        has_password = keys.unit_password(unit) is not None
    except keys.SigningFailed as exc:
        has_password, password_problem = False, exc.message
    not_after = unit.sign_not_after
    local_not_after = to_local(not_after)
    return {
        "has_certificate": bool(unit.sign_p12_name),
        "subject": unit.sign_subject or "",
        "not_after": local_not_after,
        "expired": not_after is not None and not_after <= utcnow(),
        "days_left": (local_not_after.date() - today()).days if local_not_after else None,
        "has_password": has_password,
        "password_problem": password_problem,
        "env_name": env_name,
        "from_env": os.environ.get(env_name) is not None,
        "has_seal": bool(unit.seal_name),
    }


def _read_upload(upload, limit: int) -> bytes | None:
    """The uploaded file's bytes (one more than limit at most, so size checks can refuse it)."""
    if not upload:
        return None
    return upload.stream.read(limit + 1)


def _signing_page(unit: Unit, form: UnitSigningForm):
    return render_template("admin/unit_signing.html", unit=unit, form=form,
                           signing=_signing_state(unit)), _status(form)


@bp.route("/units/<int:unit_id>/signing", methods=["GET", "POST"])
@login_required
@admin_required
def unit_signing(unit_id: int):
    unit = load_or_404(Unit, unit_id)
    form = UnitSigningForm()
    if form.validate_on_submit():
        p12 = _read_upload(form.p12.data, keys.P12_MAX_BYTES)
        seal = _read_upload(form.seal.data, keys.SEAL_MAX_BYTES)
        # The password only opens a new certificate file; alone it changes nothing.
        password = (form.password.data or None) if p12 is not None else None
        outcome = attempt(form, lambda: signing.install_unit_signing(
            current_user, unit, p12=p12, password=password, seal=seal))
        if outcome is not FAILED:
            parts = "、".join(label for label, given in (("签名证书", p12), ("印章图片", seal))
                             if given is not None)
            flash(f"已更新「{unit.name}」的{parts}。", "success")
            return redirect(url_for("admin.unit_signing", unit_id=unit.id))
    return _signing_page(unit, form)


@bp.get("/units/<int:unit_id>/seal.png")
@login_required
@admin_required
def unit_seal(unit_id: int):
    unit = load_or_404(Unit, unit_id)
    data = keys.seal_bytes(unit)
    if data is None:
        abort(404)
    response = make_response(data)
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'inline; filename="seal-{unit.id}.png"'
    return response


# -- users ------------------------------------------------------------------------------------


def _units_for_choice(also: int | None = None) -> list[Unit]:
    """Active units (and the user's own unit, even when it has been deactivated)."""
    condition = Unit.is_active.is_(True)
    if also is not None:
        condition = or_(condition, Unit.id == also)
    return list(db.session.scalars(
        select(Unit).options(selectinload(Unit.sections)).where(condition)
        .order_by(Unit.is_supervising.desc(), Unit.name)))


@bp.get("/users")
@login_required
@admin_required
def users():
    unit_id = _int_arg("unit")
    q = strip_control(request.args.get("q") or "").strip()[:60]  # PostgreSQL refuses NUL
    status = request.args.get("status") if request.args.get("status") in (
        "enabled", "disabled") else ""
    stmt = (select(User).join(User.unit).options(selectinload(User.section))
            .order_by(Unit.is_supervising.desc(), Unit.name, User.username))
    if unit_id:
        stmt = stmt.where(User.unit_id == unit_id)
    if q:
        stmt = stmt.where(or_(User.username.icontains(q, autoescape=True),
                              User.full_name.icontains(q, autoescape=True)))
    if status:
        stmt = stmt.where(User.is_enabled.is_(status == "enabled"))
    page = db.paginate(stmt, page=_int_arg("page") or 1, per_page=USERS_PER_PAGE,
                       error_out=False)
    all_units = db.session.scalars(
        select(Unit).order_by(Unit.is_supervising.desc(), Unit.name)).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/users.html", page=page, units=all_units, unit_id=unit_id,
                           q=q, status=status, args=args, now=utcnow())


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@admin_required
def new_user():
    form = UserCreateForm()
    form.fill_choices(_units_for_choice())
    if not form.is_submitted() and _int_arg("unit"):
        form.unit_id.data = _int_arg("unit")
    if form.validate_on_submit():
        user = attempt(form, lambda: accounts.create_user(
            current_user, username=form.username.data, full_name=form.full_name.data,
            password=form.password.data, unit=db.session.get(Unit, form.unit_id.data),
            section=form.chosen_section(db.session), roles=form.chosen_roles(),
            phone=form.phone.data or "", email=form.email.data or ""))
        if user is not FAILED:
            flash(f"已新建用户 {user.username}（{user.full_name}）。", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), _status(form)


def _user_page(user: User, *, form: UserEditForm | None = None,
               reset_form: ResetPasswordForm | None = None,
               token_form: TokenForm | None = None, new_token: str | None = None):
    """The user's page: details and roles, password reset, API tokens."""
    if form is None:
        form = UserEditForm(formdata=None, obj=user)
        form.roles.data = [r.value for r in user.roles]
    form.fill_choices(_units_for_choice(also=user.unit_id))
    reset_form = reset_form or ResetPasswordForm(formdata=None)
    token_form = token_form or TokenForm(formdata=None)
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    status = 422 if (form.errors or reset_form.errors or token_form.errors) else 200
    return render_template("admin/user_edit.html", user=user, form=form, reset_form=reset_form,
                           token_form=token_form, tokens=tokens, new_token=new_token,
                           now=utcnow()), status


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
@admin_required
def edit_user(user_id: int):
    user = load_or_404(User, user_id)
    if request.method == "GET":
        return _user_page(user)
    form = UserEditForm()
    form.fill_choices(_units_for_choice(also=user.unit_id))
    if form.validate_on_submit():
        was_enabled = user.is_enabled
        outcome = attempt(form, lambda: accounts.update_user(
            current_user, user, full_name=form.full_name.data,
            unit=db.session.get(Unit, form.unit_id.data),
            section=form.chosen_section(db.session), roles=form.chosen_roles(),
            phone=form.phone.data or "", email=form.email.data or "",
            is_enabled=form.is_enabled.data))
        if outcome is not FAILED:
            message = f"用户 {user.username}（{user.full_name}）的信息已保存。"
            if was_enabled and not user.is_enabled:
                message += "该用户已停用，其所有登录会话已结束。"
            flash(message, "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return _user_page(user, form=form)


@bp.post("/users/<int:user_id>/password")
@login_required
@admin_required
def reset_password(user_id: int):
    user = load_or_404(User, user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        outcome = attempt(reset_form, lambda: accounts.reset_password(current_user, user, reset_form.password.data))
        if outcome is not FAILED:
            flash(f"已重置 {user.username}（{user.full_name}）的密码，其所有登录会话已结束。"
                  "请通过安全渠道告知本人新密码。", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return _user_page(user, reset_form=reset_form)


@bp.post("/users/<int:user_id>/tokens")
@login_required
@admin_required
def issue_token(user_id: int):
    user = load_or_404(User, user_id)
    token_form = TokenForm()
    if token_form.validate_on_submit():
        token = attempt(token_form, lambda: accounts.issue_token_by(
            current_user, user, name=token_form.token_name.data,
            days=token_form.token_days.data, scope=token_form.token_scope.data))
        if token is not FAILED:
            # Shown in this response only: a redirect would carry it in the session cookie.
            return _user_page(user, new_token=token)
    return _user_page(user, token_form=token_form)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@login_required
@admin_required
def revoke_token(user_id: int, token_id: int):
    user = load_or_404(User, user_id)
    token = load_or_404(ApiToken, token_id)
    if token.user_id != user.id:
        abort(404)
    try:
        accounts.revoke_token(current_user, token)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    else:
        db.session.commit()
        flash(f"令牌「{token.name}」（{token.prefix}…）已吊销，使用它的请求将被拒绝。", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


# -- the holiday calendar ---------------------------------------------------------------------


def _year_arg() -> int:
    year = _int_arg("year") or today().year
    return min(max(year, workdays.FIRST_YEAR), workdays.LAST_YEAR)


def _month_grid(year: int) -> list[tuple[int, list[list[date | None]]]]:
    """Each month of the year as weeks from Monday, days of other months as None."""
    cal = stdcal.Calendar(firstweekday=0)
    return [(month, [[d if d.month == month else None for d in week]
                     for week in cal.monthdatescalendar(year, month)])
            for month in range(1, 13)]


def _calendar_page(year: int, form: CalendarDayForm):
    rows = workdays.calendar_days(year)
    work_calendar = WorkCalendar({r.day: (r.is_workday, r.note) for r in rows})
    return render_template(
        "admin/calendar.html", year=year, form=form, rows=rows, months=_month_grid(year),
        work_calendar=work_calendar, weekdays=WEEKDAYS, today=today(),
        holidays=sum(1 for r in rows if not r.is_workday),
        makeup_days=sum(1 for r in rows if r.is_workday),
    ), _status(form)


@bp.get("/calendar")
@login_required
@admin_required
def calendar():
    year = _year_arg()
    form = CalendarDayForm(formdata=None)
    try:
        chosen = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        chosen = None
    if chosen is not None:
        # Prefill the form to change an existing override (or start a new one on that day).
        form.day.data = chosen
        existing = db.session.get(CalendarDay, chosen)
        if existing is not None:
            form.is_workday.data = "1" if existing.is_workday else "0"
            form.note.data = existing.note
    return _calendar_page(year, form)


@bp.post("/calendar")
@login_required
@admin_required
def set_calendar_day():
    form = CalendarDayForm()
    if form.validate_on_submit():
        day = form.day.data
        row = attempt(form, lambda: workdays.set_calendar_day(current_user, day, form.is_workday.data == "1",
                                        form.note.data or ""))
        if row is not FAILED:
            kind = "调休上班日" if row.is_workday else "休息日"
            flash(f"已将 {day.isoformat()}（周{WEEKDAYS[day.weekday()]}）设为{kind}"
                  + (f"：{row.note}" if row.note else "") + "。", "success")
            return redirect(url_for("admin.calendar", year=day.year))
    year = form.day.data.year if form.day.data else _year_arg()
    return _calendar_page(min(max(year, workdays.FIRST_YEAR), workdays.LAST_YEAR), form)


@bp.post("/calendar/<day>/delete")
@login_required
@admin_required
def delete_calendar_day(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    workdays.delete_calendar_day(current_user, parsed)
    db.session.commit()
    flash(f"已删除 {parsed.isoformat()} 的设置，该日恢复按周一至周五上班计算。", "success")
    return redirect(url_for("admin.calendar", year=parsed.year))


# --- the job queue -----------------------------------------------------------------------------

@bp.get("/jobs")
@login_required
@admin_required
def jobs():
    return render_template("admin/jobs.html", report=job_status.report(),
                           job_label=job_status.job_label, active="jobs")


@bp.post("/jobs/runs/<int:run_id>/retry")
@login_required
@admin_required
def retry_job(run_id: int):
    job_status.retry_run(run_id, current_user)
    db.session.commit()
    flash("任务已重新排队。", "success")
    return redirect(url_for("admin.jobs"))


@bp.post("/jobs/runs/<int:run_id>/dismiss")
@login_required
@admin_required
def dismiss_job(run_id: int):
    job_status.dismiss_run(run_id, current_user)
    db.session.commit()
    flash("已将该失败任务标为已处理。", "success")
    return redirect(url_for("admin.jobs"))


@bp.post("/jobs/messages/<int:message_id>/retry")
@login_required
@admin_required
def retry_message(message_id: int):
    job_status.retry_message(message_id)
    db.session.commit()
    flash("消息已重新排队发送。", "success")
    return redirect(url_for("admin.jobs"))
