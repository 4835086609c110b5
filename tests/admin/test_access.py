"""Only administrators reach the admin pages; every change needs POST and a CSRF token."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tracker.accounts.models import ApiToken, Unit
from tracker.extensions import db
from tracker.workdays.models import CalendarDay


def admin_routes(app, world, token_id: int = 1):
    """Every admin URL with real ids filled in, and its methods."""
    values = {"unit_id": world.health, "user_id": world.health_clerk, "token_id": token_id,
              "day": "2026-10-01", "run_id": 1, "message_id": 1}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:\w+:)?" + name + ">", str(values[name]), path)
        yield path, rule.methods - {"HEAD", "OPTIONS"}


def routes_found(app, world):
    found = list(admin_routes(app, world))
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert {"admin.units", "admin.new_unit", "admin.edit_unit", "admin.add_section",
            "admin.users", "admin.new_user", "admin.edit_user", "admin.reset_password",
            "admin.issue_token", "admin.revoke_token", "admin.calendar",
            "admin.set_calendar_day", "admin.delete_calendar_day"} <= endpoints
    return found


def snapshot(app):
    with app.app_context():
        db.session.expire_all()
        return (db.session.scalar(select(func.count(Unit.id))),
                db.session.scalar(select(func.count()).select_from(CalendarDay)),
                db.session.scalar(select(func.count(ApiToken.id))))


def test_non_admin_gets_403_on_every_admin_page(app, client, world):
    client.login("clerk")
    before = snapshot(app)
    for path, methods in routes_found(app, world):
        for method in methods:
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post_form(path, {"name": "越权单位", "day": "2027-03-03",
                                                   "is_workday": "0", "note": "x"})
            assert response.status_code == 403, (method, path)
            assert "您没有权限" in response.get_data(as_text=True) or \
                "只有系统管理员" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_anonymous_is_sent_to_login(app, client, world):
    for path, methods in routes_found(app, world):
        if "GET" in methods:
            response = client.get(path)
            assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_posts_without_a_csrf_token_are_refused(app, client, world):
    client.login("admin")
    before = snapshot(app)
    for path, methods in routes_found(app, world):
        if "POST" in methods:
            response = client.post(path, data={"name": "无令牌单位", "day": "2027-03-03",
                                               "is_workday": "0", "note": "x",
                                               "token_name": "x", "token_days": "30"})
            assert response.status_code == 400, path
    assert snapshot(app) == before


def test_admin_pages_have_no_inline_script_or_style(app, client, world):
    client.login("admin")
    for path, methods in routes_found(app, world):
        if "GET" not in methods:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        if response.mimetype != "text/html":
            continue  # the seal preview (image/png)
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
