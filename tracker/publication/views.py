"""The administrator's redaction rules, with a test field."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.accounts.permissions import admin_required
from tracker.core.views import FAILED, attempt, load_or_404
from tracker.publication import operations, queries, redaction
from tracker.publication.forms import RuleForm, RuleTestForm
from tracker.publication.models import RedactionRule

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
        if test.validate_on_submit():
            tried = _tried(test, form, editing)
        else:
            status = 422
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
