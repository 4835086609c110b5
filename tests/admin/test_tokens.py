"""API tokens on the user's page: issue (shown once, with a scope and a life up to the
administrator's maximum), list, revoke."""
from __future__ import annotations

import re

from sqlalchemy import select

from tests.admin.helpers import field_errors
from tracker.accounts.models import ApiToken, TokenScope
from tracker.accounts.operations import token_digest, user_for_token
from tracker.audit.models import AuditEvent
from tracker.extensions import db

TOKEN = re.compile(r'value="(trk_[A-Za-z0-9_\-]+)"')


def issue(admin, user_id: int, name: str = "与 OA 系统对接", days: int = 90,
          scope: str = "act") -> tuple[str, str]:
    response = admin.post_form(f"/admin/users/{user_id}/tokens",
                               {"token_name": name, "token_days": str(days), "token_scope": scope})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, "the new token is not on the page"
    return match.group(1), html


def test_issued_token_is_shown_once_and_works(app, admin, world):
    token, html = issue(admin, world.health_clerk)
    assert "关闭或刷新本页后将无法再次查看" in html
    with app.test_request_context():
        assert user_for_token(token).id == world.health_clerk
        row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.health_clerk))
        assert row.name == "与 OA 系统对接" and row.token_hash == token_digest(token)
        assert row.scope is TokenScope.act
        assert token not in (row.token_hash, row.prefix) and token.startswith(row.prefix)
        assert 89 <= (row.expires_at - row.created_at).days <= 90
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue_token")
                                  .order_by(AuditEvent.seq.desc()))
        assert event.actor_id == world.admin and event.object_id == row.id
        assert token not in event.details
    # Not in the cookie, and never again on the page: only its prefix is listed.
    assert token not in (admin.get_cookie("session").value if admin.get_cookie("session") else "")
    page = admin.get(f"/admin/users/{world.health_clerk}/edit").get_data(as_text=True)
    assert token not in page and f"{token[:10]}…" in page and "与 OA 系统对接" in page
    assert "有效" in page and "读写（可执行该用户的全部操作）" in page


def test_revoked_token_stops_working(app, admin, world):
    token, _ = issue(admin, world.hr_clerk, name="数据报送")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.hr_clerk))
    response = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens/{token_id}/revoke")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "令牌「数据报送」" in page and "已吊销" in page
    with app.test_request_context():
        assert user_for_token(token) is None
        assert db.session.get(ApiToken, token_id).revoked_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revoke_token"))
        assert event.actor_id == world.admin and event.object_id == token_id
    # Revoking twice changes nothing and says so.
    again = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens/{token_id}/revoke",
                            follow_redirects=True)
    assert "该令牌已经吊销。" in again.get_data(as_text=True)


def test_token_of_another_user_cannot_be_revoked_through_this_user(app, admin, world):
    token, _ = issue(admin, world.hr_clerk)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == world.hr_clerk))
    response = admin.post_form(f"/admin/users/{world.edu_clerk}/tokens/{token_id}/revoke")
    assert response.status_code == 404
    with app.test_request_context():
        assert user_for_token(token).id == world.hr_clerk


def test_token_needs_a_name(app, admin, world):
    response = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens",
                               {"token_name": " ", "token_days": "30", "token_scope": "read"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "token_name") == ["此项必须填写。"] and not TOKEN.search(html)
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.hr_clerk)) is None


def _no_token(app, user_id: int) -> bool:
    with app.app_context():
        return db.session.scalar(select(ApiToken).where(ApiToken.user_id == user_id)) is None


def test_a_read_token_is_issued_as_read(app, admin, world):
    token, html = issue(admin, world.hr_clerk, scope="read", days=30)
    with app.test_request_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.hr_clerk))
        assert row.scope is TokenScope.read and 29 <= (row.expires_at - row.created_at).days <= 30
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "issue_token")
                                  .order_by(AuditEvent.seq.desc()))
        assert '"scope":"read"' in event.details
    assert "只读（仅查询）" in html


def test_token_needs_a_scope(app, admin, world):
    for scope in ("", "admin"):
        response = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens",
                                   {"token_name": "数据报送", "token_days": "30",
                                    "token_scope": scope})
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert field_errors(html, "token_scope") == ["请选择令牌权限：只读或读写。"]
        assert not TOKEN.search(html)
    assert _no_token(app, world.hr_clerk)


def test_the_form_offers_lives_up_to_the_maximum_and_refuses_more(app, admin, world):
    page = admin.get(f"/admin/users/{world.hr_clerk}/edit").get_data(as_text=True)
    offered = re.search(r'<select[^>]*name="token_days".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="(\d+)"', offered) == ["30", "90"]
    assert re.search(r'selected value="90"', offered)
    for days in ("91", "365", "3650", "0", "-1"):
        response = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens",
                                   {"token_name": "数据报送", "token_days": days,
                                    "token_scope": "act"})
        assert response.status_code == 422, days
        html = response.get_data(as_text=True)
        assert field_errors(html, "token_days") == [
            "有效期须在 1 至 90 天之间（系统管理员设定的上限）。"], days
        assert not TOKEN.search(html)
    assert _no_token(app, world.hr_clerk)


def test_the_maximum_is_the_administrators_setting(app, admin, world, monkeypatch):
    monkeypatch.setitem(app.config, "API_TOKEN_MAX_DAYS", 30)
    page = admin.get(f"/admin/users/{world.hr_clerk}/edit").get_data(as_text=True)
    offered = re.search(r'<select[^>]*name="token_days".*?</select>', page, re.S).group(0)
    assert re.findall(r'value="(\d+)"', offered) == ["30"]
    response = admin.post_form(f"/admin/users/{world.hr_clerk}/tokens",
                               {"token_name": "数据报送", "token_days": "90",
                                "token_scope": "read"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "token_days") == [
        "有效期须在 1 至 30 天之间（系统管理员设定的上限）。"]
    assert _no_token(app, world.hr_clerk)
