"""Time helpers: the database holds UTC; users see China Standard Time."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (the database convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Return today's date in China Standard Time."""
    return datetime.now(CST).date()


def to_local(value: datetime | None) -> datetime | None:
    """Convert a naive UTC datetime to China Standard Time."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(CST)
