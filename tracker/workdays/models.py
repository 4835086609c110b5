"""The holiday calendar: days that differ from the Monday-to-Friday rule."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class CalendarDay(db.Model):
    """A public holiday on a weekday (is_workday False) or a 调休 working weekend day (True)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(60), default="")
