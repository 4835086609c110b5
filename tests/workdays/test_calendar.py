from datetime import date

from tracker.workdays.calendar import WorkCalendar
from tracker.workdays.models import CalendarDay


def test_official_holidays_are_seeded_by_the_migration(ctx):
    day = ctx.get(CalendarDay, date(2026, 10, 1))
    assert day is not None and day.is_workday is False and day.note == "国庆节"
    makeup = ctx.get(CalendarDay, date(2026, 9, 20))
    assert makeup is not None and makeup.is_workday is True


def test_make_up_weekend_counts_and_holidays_do_not(ctx):
    cal = WorkCalendar.load()
    assert cal.is_workday(date(2026, 10, 10))  # Saturday, 调休上班
    assert not cal.is_workday(date(2026, 10, 5))  # Monday, National Day
    assert not cal.is_workday(date(2026, 10, 11))  # plain Sunday
    # Seven working days from Friday 2026-09-25 (a Mid-Autumn holiday):
    # 9-28, 9-29, 9-30, 10-8, 10-9, 10-10 (Saturday make-up day), 10-12.
    assert cal.add_working_days(date(2026, 9, 25), 7) == date(2026, 10, 12)


def test_month_deadline_rolls_past_holidays_and_explains_itself(ctx):
    cal = WorkCalendar.load()
    # 2026-07-01 + 3 months = 2026-10-01, inside the National Day holiday: moves to 10-08.
    deadline = cal.months_deadline(date(2026, 7, 1), 3)
    assert deadline.due_on == date(2026, 10, 8)
    assert "2026-10-01" in deadline.basis and "顺延至 2026-10-08" in deadline.basis
    # Month ends clip: 11-30 + 3 months -> 2027-02-28 (a Sunday) -> 2027-03-01.
    assert cal.months_deadline(date(2026, 11, 30), 3).due_on == date(2027, 3, 1)


def test_calendar_edits_change_the_arithmetic(ctx):
    ctx.add(CalendarDay(day=date(2027, 1, 4), is_workday=False, note="测试假日"))
    ctx.flush()
    cal = WorkCalendar.load()
    assert not cal.is_workday(date(2027, 1, 4))
    assert cal.add_working_days(date(2027, 1, 1), 1) == date(2027, 1, 5)
