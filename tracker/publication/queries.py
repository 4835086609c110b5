"""The redaction rules in force, compiled."""
from __future__ import annotations

import regex
from sqlalchemy import select

from tracker.extensions import db
from tracker.publication.models import RedactionRule


def rules(active_only: bool = True) -> list[RedactionRule]:
    query = select(RedactionRule).order_by(RedactionRule.position, RedactionRule.id)
    if active_only:
        query = query.where(RedactionRule.is_active.is_(True))
    return list(db.session.scalars(query))


def compiled_rules() -> list[tuple[str, object]]:
    """(name, compiled pattern) of the active rules, in their order (regex caches the
    compiled patterns). A rule saved before its pattern became invalid is left out."""
    out = []
    for rule in rules():
        try:
            out.append((rule.name, regex.compile(rule.pattern, regex.V0)))
        except regex.error:
            continue
    return out
