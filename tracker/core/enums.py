"""The one base of every labelled choice: a str enum whose members carry their Chinese label.

A member is written ``name = "value", "标签"``; it equals (and prints as) its value, so it
can stand wherever the plain string stood (columns, URLs, JSON, templates). This module
imports nothing of the app, so any layer may use it.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable


class LabelledEnum(enum.StrEnum):
    """A str enum with a Chinese label per member."""

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label or value
        return member

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def lookup(cls, value, default=None):
        """The member with this value (or the member itself), else default."""
        try:
            return cls(value)
        except ValueError:
            return default

    @classmethod
    def label_of(cls, value) -> str:
        """The label of a value, or the value itself when it is not a member."""
        member = cls.lookup(value)
        return member.label if member is not None else ("" if value is None else str(value))

    @classmethod
    def labels(cls) -> dict:
        """{member: label} for every member."""
        return {member: member.label for member in cls}

    @classmethod
    def choices(cls, members: Iterable | None = None) -> list[tuple[str, str]]:
        """(value, label) pairs for a WTForms choice field, in definition order."""
        return [(member.value, member.label) for member in (cls if members is None else members)]

    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]
