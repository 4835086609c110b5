"""Working-day arithmetic on the holiday calendar (public holidays and 调休 make-up days)."""
from __future__ import annotations

import calendar as _stdcal
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from tracker.extensions import db
from tracker.workdays.models import CalendarDay

WEEKDAYS = "一二三四五六日"


@dataclass
class Deadline:
    due_on: date
    basis: str


class WorkCalendar:
    """The calendar as loaded from the database: weekdays work, except the listed overrides."""

    def __init__(self, overrides: dict[date, tuple[bool, str]]):
        self.overrides = overrides

    @classmethod
    def load(cls) -> WorkCalendar:
        rows = db.session.execute(select(CalendarDay)).scalars()
        return cls({r.day: (r.is_workday, r.note) for r in rows})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day][0]
        return day.weekday() < 5

    def describe(self, day: date) -> str:
        note = self.overrides.get(day, (None, ""))[1]
        text = f"{day.isoformat()}（周{WEEKDAYS[day.weekday()]}"
        return text + (f"，{note}）" if note else "）")

    def add_working_days(self, start: date, count: int) -> date:
        """Return the count-th working day after start (start itself not counted)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days after start up to and including end (negative if end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1 for i in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(i))
        )

    def roll_forward(self, day: date) -> date:
        """Return day, or the next working day when it is a holiday or a rest day."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def months_deadline(self, start: date, months: int) -> Deadline:
        """Return the deadline months after start: same day of month (or month end), rolled
        forward past rest days, with the reasoning in words."""
        month_index = start.month - 1 + months
        year, month = start.year + month_index // 12, month_index % 12 + 1
        last = _stdcal.monthrange(year, month)[1]
        nominal = date(year, month, min(start.day, last))
        due = self.roll_forward(nominal)
        basis = f"自交办日 {start.isoformat()} 起 {months} 个月，届满日 {self.describe(nominal)}"
        if due != nominal:
            basis += f"，遇休息日顺延至 {self.describe(due)}"
        return Deadline(due, basis)

    def workdays_deadline(self, start: date, count: int) -> Deadline:
        due = self.add_working_days(start, count)
        return Deadline(due, f"自 {start.isoformat()} 起 {count} 个工作日，至 {self.describe(due)}")
