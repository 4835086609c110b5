"""Column types for the labelled enums: the value is stored, the member comes back."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Enum

from tracker.core.enums import LabelledEnum


def _values(enum_cls: type[LabelledEnum]) -> list[str]:
    return [member.value for member in enum_cls]


def enum_type(enum_cls: type[LabelledEnum], length: int) -> Enum:
    """A VARCHAR holding the enum's values; reads give members, writes accept members or
    their values (anything else is refused before it reaches the database)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=_values,
                validate_strings=True, create_constraint=False)


def one_of(column: str, enum_cls: type[LabelledEnum], name: str | None = None):
    """The CHECK that keeps a column within the enum's values (NULL passes)."""
    values = ", ".join(f"'{value}'" for value in _values(enum_cls))
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_known")
