"""The administrator's redaction rules with a test field; a reply's public version, its
confirmation and its public PDF."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from tracker.accounts.permissions import admin_required
from tracker.core.errors import Hidden, PermissionDenied
from tracker.core.time import today
from tracker.core.views import FAILED, attempt, load_or_404
from tracker.handling.permissions import can_view_assignment
from tracker.publication import operations, queries, redaction
from tracker.publication import publish as publish_ops
from tracker.publication.forms import PublishForm, RuleForm, RuleTestForm
from tracker.publication.models import Publication, RedactionRule
from tracker.replies.disclosure import marked_words
from tracker.replies.models import Reply

bp = Blueprint("publication", __name__)


def _tried(test: RuleTestForm, form: RuleForm, editing: RedactionRule | None):
    """The test text as the active rules, with the rule as typed in the form (replacing the
    one being edited), would cut it: (Redacted, segments), or None without a text."""
    text = test.text.data or ""
    if not text.strip():
        return None
    rules = [r for r in queries.compiled_rules()
             if editing is None or r[0] != editing.name]
    typed = (form.pattern.data or "").strip()
    if typed:
        try:
            rules.append(((form.name.data or "").strip() or "正在编辑的规则",
                          redaction.compile_rule(typed)))
        except ValueError as exc:
            form.pattern.errors = [str(exc)]
    elif editing is not None and editing.is_active:
        rules = queries.compiled_rules()
    found = redaction.redact(text, rules)
    return found, redaction.segments(text, found.removals)


def _page(editing: RedactionRule | None):
    form = RuleForm(obj=editing if request.method == "GET" else None)
    test = RuleTestForm()
    status, tried = 200, None
    if request.method == "POST" and "try" in request.form:
        # 测试: nothing is saved; the rule as typed is tried with the others.
        if test.validate_on_submit() and (test.text.data or "").strip():
            tried = _tried(test, form, editing)
        else:
            status = 422
            if not test.text.errors:
                test.text.errors = ["请粘贴要测试的文字。"]
    elif request.method == "POST":
        status = 422
        if form.validate_on_submit():
            saved = attempt(form, lambda: operations.save_rule(
                current_user, editing, name=form.name.data, pattern=form.pattern.data,
                position=form.position.data, is_active=form.is_active.data))
            if saved is not FAILED:
                flash(f"删除规则「{saved.name}」已保存。", "success")
                return redirect(url_for("publication.rules"))
    return render_template("publication/rules.html", rules=queries.rules(active_only=False),
                           form=form, test=test, tried=tried, editing=editing), status


@bp.route("/admin/redaction-rules", methods=["GET", "POST"])
@login_required
@admin_required
def rules():
    """The rules in order, a new one, and the test field."""
    return _page(None)


@bp.route("/admin/redaction-rules/<int:rule_id>", methods=["GET", "POST"])
@login_required
@admin_required
def rule(rule_id: int):
    """One rule changed (or switched off), tried on a text before it is saved."""
    return _page(load_or_404(RedactionRule, rule_id))


# --- the public version of a reply: preview, confirmation, the public PDF ---------------------


def _reply(reply_id: int) -> Reply:
    reply = load_or_404(Reply, reply_id)
    if not can_view_assignment(current_user, reply.assignment):
        raise Hidden()
    return reply


@bp.route("/replies/<int:reply_id>/publish", methods=["GET", "POST"])
@login_required
def publish(reply_id: int):
    """公开审查: the public text as it would be published (each removal shown), words to
    remove besides, and the confirmation; for a published reply, a correction with a note."""
    reply = _reply(reply_id)
    if not publish_ops.can_publish(current_user, reply):
        raise PermissionDenied("只有本单位联络员可以确认公开。")
    form = PublishForm()
    earlier = publish_ops.versions(reply)
    # The words as the confirmation will take them (the reviewers' rule); refused ones are
    # said beside the field and left out of the preview.
    words, problems = marked_words(form.extra_words.data or "")
    try:
        draft = publish_ops.public_draft(reply, words.splitlines())
    except publish_ops.NotPublishable as exc:
        flash(str(exc), "warning")
        return redirect(url_for("proposals.detail", proposal_id=reply.assignment.proposal_id))
    status = 200
    if problems and form.is_submitted():
        form.extra_words.errors = problems["redact_words"]
        status = 422
    elif "confirm" in request.form:
        status = 422
        if form.validate_on_submit():
            row = attempt(form, lambda: publish_ops.publish(
                reply, current_user, extra_words=form.extra_words.data or "",
                note=form.note.data or ""))
            if row is not FAILED:
                flash(f"已公开（索引号 {row.index_number}，第 {row.version} 版）。", "success")
                return redirect(url_for("proposals.detail", proposal_id=row.proposal_id))
    return render_template("publication/confirm.html", reply=reply, draft=draft, form=form,
                           earlier=earlier, proposal=reply.assignment.proposal), status


@bp.get("/publications/<int:publication_id>.pdf")
@login_required
def public_pdf(publication_id: int):
    """A published version's public PDF (the portal serves it to everyone)."""
    row = load_or_404(Publication, publication_id)
    _reply(row.reply_id)
    return send_file(io.BytesIO(publish_ops.pdf_of(row)), mimetype="application/pdf",
                     download_name=f"{row.index_number.replace('/', '-')}-v{row.version}.pdf")


@bp.app_template_global()
def publications_of(reply) -> list[Publication]:
    """A reply's published versions, oldest first (the item page)."""
    return publish_ops.versions(reply) if reply is not None and reply.issued_at else []


bp.add_app_template_global(publish_ops.can_publish, "can_publish")


@bp.app_template_global()
def unit_index_example(unit) -> str:
    """The unit's next 索引号 as its format would make it (the admin's unit page)."""
    return publish_ops.index_number(unit, today().year, 1)
