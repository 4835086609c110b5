"""The holiday calendar page: list a year's overrides, add, change and delete them."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.admin.helpers import field_errors
from tracker.audit.models import AuditEvent
from tracker.core.errors import ValidationFailed
from tracker.extensions import db
from tracker.workdays import operations
from tracker.workdays.calendar import WorkCalendar
from tracker.workdays.models import CalendarDay


def is_workday(app, day: date) -> bool:
    with app.app_context():
        return WorkCalendar.load().is_workday(day)


def test_the_page_lists_the_years_overrides(admin, world):
    html = admin.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "节假日与调休 · 2026年" in html
    # National Day (Thursday) and the Saturday make-up day before the holiday.
    assert "<td class=\"text-nowrap\">2026-10-01</td>" in html and "国庆节" in html
    assert "2026-10-10" in html and "国庆节调休上班" in html
    assert "2025-10-01" not in html
    assert 'action="/admin/calendar/2026-10-01/delete"' in html


def test_admin_adds_changes_and_deletes_a_holiday(app, admin, world):
    day = date(2027, 3, 3)  # a Wednesday
    assert is_workday(app, day)
    response = admin.post_form("/admin/calendar",
                               {"day": "2027-03-03", "is_workday": "0", "note": "测试假日"})
    assert response.status_code == 302 and response.headers["Location"].endswith("year=2027")
    assert not is_workday(app, day)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "已将 2027-03-03（周三）设为休息日：测试假日。" in page
    assert "<td>周三</td>" in page and "测试假日" in page

    # Change the note (the same day again overwrites), then delete.
    admin.post_form("/admin/calendar", {"day": "2027-03-03", "is_workday": "0", "note": "改名假日"})
    with app.app_context():
        row = db.session.get(CalendarDay, day)
        assert row.note == "改名假日" and row.is_workday is False
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_set")
                                  .order_by(AuditEvent.seq.desc()))
        details = json.loads(event.details)
        assert event.actor_id == world.admin and details["day"] == "2027-03-03"
        assert details["previous"] == {"is_workday": False, "note": "测试假日"}

    response = admin.post_form("/admin/calendar/2027-03-03/delete")
    assert response.status_code == 302
    assert is_workday(app, day)
    with app.app_context():
        assert db.session.get(CalendarDay, day) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_delete"))
        assert json.loads(event.details)["note"] == "改名假日"


def test_a_weekend_make_up_day_and_changing_its_type(app, admin, world):
    saturday = date(2027, 2, 20)
    assert not is_workday(app, saturday)
    response = admin.post_form("/admin/calendar",
                               {"day": "2027-02-20", "is_workday": "1", "note": ""})
    assert response.status_code == 302
    assert is_workday(app, saturday)
    # Turn it back into a rest day (a holiday on a weekend is allowed), with a note.
    admin.post_form("/admin/calendar", {"day": "2027-02-20", "is_workday": "0", "note": "春节"})
    assert not is_workday(app, saturday)
    with app.app_context():
        assert db.session.get(CalendarDay, saturday).note == "春节"


def test_a_make_up_day_on_a_weekday_is_refused(app, admin, world):
    response = admin.post_form("/admin/calendar",
                               {"day": "2027-03-04", "is_workday": "1", "note": "调休"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "day") == ["调休上班日只能是周六或周日，2027-03-04 是周四。"]
    assert "2027年" in html  # the page stays on the year of the posted date
    with app.app_context():
        assert db.session.get(CalendarDay, date(2027, 3, 4)) is None


def test_holiday_note_is_required_and_limited(app, admin, world):
    response = admin.post_form("/admin/calendar", {"day": "2027-03-05", "is_workday": "0"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "note") == ["休息日须填写说明（如节日名称）。"]
    response = admin.post_form("/admin/calendar",
                               {"day": "2027-03-05", "is_workday": "0", "note": "节" * 61})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "note")
    response = admin.post_form("/admin/calendar", {"day": "not-a-date", "is_workday": "0",
                                                   "note": "x"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "day") == ["请填写日期（如 2026-10-01）。"]
    with app.app_context():
        assert db.session.get(CalendarDay, date(2027, 3, 5)) is None


def test_a_day_can_be_picked_for_changing(admin, world):
    html = admin.get("/admin/calendar?year=2026&day=2026-10-10").get_data(as_text=True)
    assert 'value="2026-10-10"' in html and 'value="国庆节调休上班"' in html
    assert '<option selected value="1">调休上班日</option>' in html


def test_deleting_a_day_without_an_override_is_404(app, admin, world):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(CalendarDay))
    assert admin.post_form("/admin/calendar/2027-03-09/delete").status_code == 404
    assert admin.post_form("/admin/calendar/2027-13-40/delete").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == before


def test_operations_check_their_rules(ctx, world):
    from tracker.accounts.models import User

    actor = ctx.get(User, world.admin)
    with pytest.raises(ValidationFailed) as caught:
        operations.set_calendar_day(actor, date(2027, 3, 1), True, "")
    assert "day" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        operations.set_calendar_day(actor, date(1999, 12, 31), False, "x")
    assert "day" in caught.value.errors
    row = operations.set_calendar_day(actor, date(2027, 3, 6), True, "  调休上班  ")
    assert row.note == "调休上班" and WorkCalendar.load().is_workday(date(2027, 3, 6))
