"""Changes to the redaction rules (the administrator's)."""
from __future__ import annotations

from sqlalchemy import func, select

from tracker.audit import log as audit
from tracker.core.errors import ValidationFailed
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.publication.models import RedactionRule
from tracker.publication.redaction import compile_rule

NAME_MAX = 40


def save_rule(actor, rule: RedactionRule | None, *, name: str, pattern: str, position: int | None,
              is_active: bool) -> RedactionRule:
    """Add a rule (rule None) or change one; the pattern must compile, match something and
    not backtrack without end."""
    name, pattern = (name or "").strip(), (pattern or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["请填写规则名称。"]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"规则名称不能超过 {NAME_MAX} 字。"]
    else:
        clash = db.session.scalar(select(RedactionRule.id).where(
            RedactionRule.name == name,
            RedactionRule.id != (rule.id if rule is not None else -1)))
        if clash is not None:
            errors["name"] = ["已有同名的规则。"]
    try:
        compile_rule(pattern)
    except ValueError as exc:
        errors["pattern"] = [str(exc)]
    if errors:
        raise ValidationFailed("删除规则有误，请按提示修改。", errors)
    if position is None:
        position = (db.session.scalar(select(func.max(RedactionRule.position))) or 0) + 1
    before = None
    if rule is None:
        rule = RedactionRule(name=name, pattern=pattern, position=position,
                             is_active=is_active)
        db.session.add(rule)
    else:
        before = {"name": rule.name, "pattern": rule.pattern, "is_active": rule.is_active}
        rule.name, rule.pattern, rule.position, rule.is_active = \
            name, pattern, position, is_active
    rule.updated_by_id, rule.updated_at = actor.id, utcnow()
    db.session.flush()
    details = {"name": name, "pattern": pattern, "is_active": is_active}
    if before is not None:
        details["before"] = before
    audit.record("redaction_rule_saved", actor=actor, object_type="redaction_rule",
                 object_id=rule.id, details=details)
    return rule


# GB 32100-2015: the 18-character 统一社会信用代码, its alphabet and the check character's weights.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
INDEX_MAX = 60


def credit_code_problem(code: str) -> str | None:
    if len(code) != 18 or any(c not in CREDIT_ALPHABET for c in code):
        return "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）。"
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code, CREDIT_WEIGHTS))
    if CREDIT_ALPHABET[(31 - total % 31) % 31] != code[17]:
        return "统一社会信用代码的校验位不对，请核对。"
    return None


def index_format_problem(fmt: str, code: str) -> str | None:
    if "{serial" not in fmt:
        return "索引号格式须包含序号 {serial}，否则各件的索引号会重复。"
    try:
        sample = fmt.format(code=code or "0" * 18, year=2026, serial=12345)
    except (KeyError, IndexError, ValueError):
        return "索引号格式只能使用 {code}、{year}、{serial}，如 {code}/{year}-{serial:05d}。"
    if len(sample) > INDEX_MAX:
        return f"按此格式生成的索引号超过 {INDEX_MAX} 个字符。"
    return None


def set_unit_publication(actor, unit, *, credit_code: str, index_format: str):
    """The unit's 统一社会信用代码 and 索引号 format (empty: the installation's format)."""
    code = (credit_code or "").strip().upper()
    fmt = (index_format or "").strip()
    errors: dict[str, list[str]] = {}
    if code and (problem := credit_code_problem(code)):
        errors["credit_code"] = [problem]
    if fmt and (problem := index_format_problem(fmt, code)):
        errors["index_format"] = [problem]
    if errors:
        raise ValidationFailed("政务公开设置有误，请按提示修改。", errors)
    before = {"credit_code": unit.credit_code, "index_format": unit.index_format}
    unit.credit_code, unit.index_format = code, fmt
    db.session.flush()
    audit.record("unit_publication_set", actor=actor, object_type="unit", object_id=unit.id,
                 details={"before": before, "credit_code": code, "index_format": fmt})
    return unit
