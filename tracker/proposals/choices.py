"""The labelled choices of items and meetings: the body, the level, the kind of item and its
disclosure.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class Body(LabelledEnum):
    npc = "npc", "人大"
    cppcc = "cppcc", "政协"


class Level(LabelledEnum):
    province = "province", "省级"
    city = "city", "市级"
    county = "county", "县级"


class ItemKind(LabelledEnum):
    suggestion = "suggestion", "代表建议"
    proposal = "proposal", "委员提案"

    @property
    def author_title(self) -> str:
        return {ItemKind.suggestion: "代表", ItemKind.proposal: "委员"}[self]


class Disclosure(LabelledEnum):
    public = "public", "主动公开"
    on_request = "on_request", "依申请公开"
    not_public = "not_public", "不予公开"
