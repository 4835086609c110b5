"""Changes to the holiday calendar: public holidays and 调休 make-up working days."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tracker.accounts.models import User
from tracker.audit import log as audit
from tracker.core.errors import NotFound, ValidationFailed
from tracker.extensions import db
from tracker.workdays.calendar import WEEKDAYS
from tracker.workdays.models import CalendarDay

NOTE_MAX = 60
FIRST_YEAR, LAST_YEAR = 2000, 2099


def calendar_days(year: int) -> list[CalendarDay]:
    """Return the overrides of one year, in date order."""
    return list(db.session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ))


def set_calendar_day(actor: User, day: date | None, is_workday: bool, note: str) -> CalendarDay:
    """Mark a day as a holiday or a make-up working day (adding or changing its override)."""
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if day is None:
        errors["day"] = ["请填写日期。"]
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors["day"] = [f"日期须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间。"]
    elif is_workday and day.weekday() < 5:
        errors["day"] = [f"调休上班日只能是周六或周日，{day.isoformat()} 是周"
                         f"{WEEKDAYS[day.weekday()]}。"]
    if not is_workday and not note:
        errors["note"] = ["休息日须填写说明（如节日名称）。"]
    elif len(note) > NOTE_MAX:
        errors["note"] = [f"说明最多 {NOTE_MAX} 个字符。"]
    if errors:
        raise ValidationFailed("节假日设置有误，请按提示修改。", errors)

    row = db.session.get(CalendarDay, day)
    previous = None
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, note=note)
        db.session.add(row)
    else:
        previous = {"is_workday": row.is_workday, "note": row.note}
        row.is_workday, row.note = is_workday, note
    db.session.flush()
    audit.record("calendar_set", actor=actor, object_type="calendar_day", details={
        "day": day.isoformat(), "is_workday": is_workday, "note": note, "previous": previous})
    return row


def delete_calendar_day(actor: User, day: date) -> None:
    """Remove a day's override, so the Monday-to-Friday rule applies to it again."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"{day.isoformat()} 没有节假日或调休设置。")
    details = {"day": day.isoformat(), "is_workday": row.is_workday, "note": row.note}
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar_delete", actor=actor, object_type="calendar_day", details=details)
