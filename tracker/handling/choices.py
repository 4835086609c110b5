"""The labelled choices of handling: a unit's role on an item, and the stage and means of a
contact with its authors.

This module imports nothing of the app but the enum base, so every layer may use it.
"""
from __future__ import annotations

from tracker.core.enums import LabelledEnum


class UnitRole(LabelledEnum):
    lead = "lead", "主办"
    co = "co", "会办"
    separate = "separate", "分办"


class ContactStage(LabelledEnum):
    before = "before", "办前"
    during = "during", "办中"
    after = "after", "办后"


class ContactMethod(LabelledEnum):
    face = "face", "面商"
    phone = "phone", "电话"
    meeting = "meeting", "座谈"
    visit = "visit", "实地调研"
    written = "written", "书面"
    other = "other", "其他"
