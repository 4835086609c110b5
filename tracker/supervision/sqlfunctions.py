"""Two SQL helpers for dates in China time over naive UTC timestamps, on both databases."""
from sqlalchemy import Boolean, Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class local_date(FunctionElement):
    """The China-time date of a naive UTC timestamp column."""

    type = Date()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_date)
def _local_date_default(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} + INTERVAL '8 hours') AS DATE)"


class on_or_before(FunctionElement):
    """True when a naive UTC timestamp falls on or before a date in China time.

    Written as a comparison of the timestamp itself (before 16:00 UTC of the date), so no
    function runs on each row: SQLite compares its ISO text, PostgreSQL the timestamps.
    """

    type = Boolean()
    inherit_cache = True


@compiles(on_or_before, "sqlite")
def _on_or_before_sqlite(element, compiler, **kw):
    moment, day = (compiler.process(c, **kw) for c in element.clauses)
    return f"({moment} < {day} || ' 16:00:00')"


@compiles(on_or_before)
def _on_or_before_default(element, compiler, **kw):
    moment, day = (compiler.process(c, **kw) for c in element.clauses)
    return f"({moment} < {day} + INTERVAL '16 hours')"
