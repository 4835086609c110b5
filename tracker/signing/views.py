"""The public verification pages: anyone (no login) may check a letter's signature by
uploading the file, or open an issued letter's record by the code printed on it."""
from __future__ import annotations

import io

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import Length, Optional

from tracker.core.forms import BaseForm
from tracker.core.time import to_local
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.signing import codes, service
from tracker.signing.pdf import Verification

bp = Blueprint("verify", __name__)

MB = 1024 * 1024
CODE_EXAMPLE = "ABCD-EFGH-JKLM-NPQR"


class VerifyForm(BaseForm):
    file = FileField("答复函 PDF 文件", [FileRequired(message="请选择要验证的 PDF 文件。")])
    # Set on a letter's page: the result then also says whether the file is that letter.
    letter_code = HiddenField(validators=[Optional(), Length(
        max=40, message="页面中的验证码无效，请从答复函的验证页面重新上传文件。")])


def _limit() -> int:
    return int(current_app.config["VERIFY_MAX_MB"]) * MB


def _too_large_message() -> str:
    return f"上传的文件过大：验证的文件不能超过 {current_app.config['VERIFY_MAX_MB']} MB。" \
           "本系统签发的答复函远小于此，请确认选择的是答复函 PDF 文件。"


@bp.url_value_preprocessor
def _upload_limit(endpoint, values):
    """The verification upload's own size limit, set before anything reads the body.

    URL value preprocessors run before every before_request function, among them the CSRF
    check that parses the form; a body over the limit then raises 413 there, which
    _too_large below turns into the verification page.
    """
    if endpoint == "verify.check":
        request.max_content_length = _limit() + 64 * 1024  # the form's own fields


@bp.errorhandler(413)
def _too_large(exc):
    # The body was refused unread: a form bound to it would raise again, so bind none.
    return render_template("verify/index.html", form=VerifyForm(formdata=None), result=None,
                           error=_too_large_message()), 413


@bp.get("/verify")
def index():
    """What is checked, the upload form and the box for a verification code."""
    form = VerifyForm(formdata=None)
    typed = request.args.get("code", "").strip()
    if typed:
        code = codes.normalise(typed)
        if code is not None:
            return redirect(url_for("verify.letter", code=code))
        return render_template("verify/index.html", form=form, result=None, typed=typed[:40],
                               code_error="验证码格式不正确：应为 16 位字母和数字，"
                                          f"如 {CODE_EXAMPLE}（不区分大小写，可省略短横线）。")
    return render_template("verify/index.html", form=form, result=None)


@bp.post("/verify")
def check():
    """Check an uploaded file and show the verdict (never a server error for any content)."""
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("verify/index.html", form=form, result=None)
    data = form.file.data.read(_limit() + 1)
    if len(data) > _limit():
        return render_template("verify/index.html", form=form, result=None,
                               error=_too_large_message()), 413
    try:
        result, reply = service.verify_file(data)
    except Exception as exc:  # noqa: BLE001 — a safety net: a verdict, never a 500
        db.session.rollback()
        # The type only: the message might quote the uploaded content.
        current_app.logger.error("verification failed: %s", type(exc).__name__)
        result, reply = Verification(), None
        result.add(False, "文件核验", "核验过程中出现意外错误，无法判断此文件是否可信。"
                                     "请稍后重试；如持续出现请联系系统管理员。")
    expected = service.reply_by_code(form.letter_code.data) if form.letter_code.data else None
    return render_template(
        "verify/index.html", form=VerifyForm(formdata=None), result=result, reply=reply,
        signed_at=_beijing_time(result.signed_at),
        signed_times=[_beijing_time(s.signed_at) for s in result.signers], expected=expected,
        expected_code=codes.grouped(expected.verify_code) if expected else None)


@bp.get("/verify/<code>")
def letter(code: str):
    """The record of the issued letter with this code, and its stored file."""
    reply = service.reply_by_code(code)
    if reply is None:
        return _unknown_code(code)
    form = VerifyForm(formdata=None, letter_code=reply.verify_code)
    return render_template("verify/letter.html", reply=reply, facts=_letter_facts(reply),
                           grouped=codes.grouped(reply.verify_code),
                           public_url=service.verify_url(reply.verify_code), form=form,
                           may_download=service.may_download(current_user, reply))


@bp.get("/verify/<code>/letter.pdf")
def letter_pdf(code: str):
    """The issued letter exactly as stored at issue, as a download."""
    reply = service.reply_by_code(code)
    if reply is not None and not service.may_download(current_user, reply):
        # 不予公开: the record and the comparison stay public, the file does not.
        return render_template("verify/not_found.html", heading="不提供下载", message=(
            "该答复函不予公开，存档文件只向有权查看该事项的用户提供。您可以在验证页面"
            "上传手中的文件，核对它是否就是这份答复函。")), 403
    content = service.stored_letter(reply) if reply is not None else None
    if content is None:
        return _unknown_code(code, missing_file=reply is not None)
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{reply.doc_number}.pdf", max_age=0)


def _unknown_code(typed: str, *, missing_file: bool = False):
    heading = "验证码不存在"
    if missing_file:
        heading = "找不到文件"
        message = "该验证码对应的答复函文件暂时无法提供，请联系发文单位。"
    elif codes.normalise(typed) is None:
        message = (f"验证码不存在：「{typed[:40]}」不是有效的验证码。验证码为 16 位字母和数字，"
                   f"如 {CODE_EXAMPLE}，印在答复函附注下方。")
    else:
        message = ("验证码不存在：本系统没有签发过验证码为 "
                   f"{codes.grouped(codes.normalise(typed))} 的答复函。"
                   "请核对答复函附注下方的验证码；如果核对无误，此函不是本系统签发的。")
    return render_template("verify/not_found.html", heading=heading, message=message), 404


def _letter_facts(reply) -> dict:
    """文号, date, unit and title of an issued reply, as printed on its letter."""
    assignment = db.session.get(Assignment, reply.assignment_id)
    proposal = assignment.proposal
    issued = to_local(reply.issued_at)
    return {
        "doc_number": reply.doc_number,
        "issued_on": issued.date() if issued else None,
        "unit": assignment.unit.name,
        "title": f"对{proposal.meeting.name}第{proposal.number}号{proposal.kind.label}的答复",
        "cert": reply.signed_by_cert,
    }


def _beijing_time(when) -> str | None:
    if when is None:
        return None
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M:%S}（北京时间）"
