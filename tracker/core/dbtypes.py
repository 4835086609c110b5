"""Column types for the labelled enums (the value is stored, the member comes back), their
CHECK constraints, and predicates that serve both sides of a hybrid."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ColumnElement, Enum, and_

from tracker.core.enums import LabelledEnum


def _values(enum_cls: type[LabelledEnum]) -> list[str]:
    return [member.value for member in enum_cls]


def enum_type(enum_cls: type[LabelledEnum], length: int) -> Enum:
    """A VARCHAR holding the enum's values; reads give members, writes accept members or
    their values (anything else is refused before it reaches the database)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=_values,
                validate_strings=True, create_constraint=False)


def one_of(column: str, enum_cls: type[LabelledEnum], name: str | None = None,
           also: tuple[str, ...] = ()):
    """The CHECK that keeps a column within the enum's values (NULL passes; also: further
    values allowed, such as "" for a choice not made yet)."""
    values = ", ".join(f"'{value}'" for value in [*_values(enum_cls), *also])
    return CheckConstraint(f"{column} IN ({values})", name=name or f"{column}_known")


# Predicates written once for both sides of a hybrid: on a loaded row they get Python values
# and answer True or False; on the mapped class they get columns and build the SQL.

def _is_sql(value) -> bool:
    if value is None or isinstance(value, _PLAIN):
        return False  # (asked for every row of a list: the common answer first)
    return isinstance(value, ColumnElement) or hasattr(value, "__clause_element__")


_PLAIN = (str, int, float, date)  # Python values (bool is an int, an enum value a str)


def is_in(value, values) -> bool | ColumnElement:
    """value IN values."""
    return value.in_(sorted(values)) if _is_sql(value) else value in values


def is_not_in(value, values) -> bool | ColumnElement:
    """value NOT IN values."""
    return value.not_in(sorted(values)) if _is_sql(value) else value not in values


def all_of(*conditions) -> bool | ColumnElement:
    """Every condition holds (AND)."""
    if any(_is_sql(c) for c in conditions):
        return and_(*conditions)
    return all(conditions)
