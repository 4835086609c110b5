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
