"""Users and roles: list, create, edit, disable, reset a password."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.admin.helpers import field_errors, fieldset_errors
from tests.factories import PASSWORD
from tracker.accounts.models import Role, User
from tracker.accounts.passwords import verify_password
from tracker.audit.models import AuditEvent
from tracker.extensions import db

NEW_PASSWORD = "Blue-Lantern-47"


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def new_user_data(world, **changes) -> dict:
    data = {
        "username": "wjw_new", "full_name": "冯新", "unit_id": str(world.health),
        "section_id": str(world.health_section), "roles": ["drafter", "reviewer_first"],
        "phone": "0431-88900001", "email": "fengxin@example.cn",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    }
    data.update(changes)
    return data


def edit_data(user: User, **changes) -> dict:
    data = {
        "full_name": user.full_name, "unit_id": str(user.unit_id),
        "section_id": str(user.section_id or 0), "roles": [r.value for r in user.roles],
        "phone": user.phone, "email": user.email, "is_enabled": "y" if user.is_enabled else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_users_list_filters_by_unit_and_searches(admin, world):
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "共 15 个用户" in html and "刘承办" in html and "何联络" in html
    assert "承办人" in html and "系统管理员" in html  # Chinese role labels
    html = admin.get(f"/admin/users?unit={world.hr}").get_data(as_text=True)
    assert "共 3 个用户" in html and "何联络" in html and "刘承办" not in html
    html = admin.get("/admin/users?q=承办").get_data(as_text=True)
    assert "共 4 个用户" in html and "孙联络" not in html
    html = admin.get("/admin/users?q=HEALTH_FIN").get_data(as_text=True)
    assert "共 1 个用户" in html and "吴终审" in html
    html = admin.get("/admin/users?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert "共 0 个用户" in html and "没有符合条件的用户。" in html


def test_admin_creates_a_user_with_roles(app, admin, world):
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert "交办员（督办）" in page and "终审人" in page and 'type="checkbox"' in page
    response = admin.post_form("/admin/users/new", new_user_data(world))
    assert response.status_code == 302
    with app.app_context():
        user = user_named("wjw_new")
        assert user.full_name == "冯新" and user.unit_id == world.health
        assert user.section_id == world.health_section
        assert user.roles == {Role.drafter, Role.reviewer_first}
        assert user.is_enabled and not user.is_demo
        assert verify_password(user.password_hash, NEW_PASSWORD)[0]
        assert user.password_hash.startswith("$argon2id$")
        assert response.headers["Location"].endswith(f"/admin/users/{user.id}/edit")
    html = admin.get(f"/admin/users?unit={world.health}").get_data(as_text=True)
    assert "wjw_new" in html and "冯新" in html
    # The new user can log in with the initial password.
    from tracker.accounts.operations import authenticate
    with app.test_request_context():
        assert authenticate("wjw_new", NEW_PASSWORD).user is not None


def test_admin_edits_roles(app, admin, world):
    with app.app_context():
        data = edit_data(db.session.get(User, world.health_drafter),
                         roles=["drafter", "reviewer_second", "signer"], phone="13900001111")
    response = admin.post_form(f"/admin/users/{world.health_drafter}/edit", data)
    assert response.status_code == 302
    with app.app_context():
        db.session.expire_all()
        user = db.session.get(User, world.health_drafter)
        assert user.roles == {Role.drafter, Role.reviewer_second, Role.signer}
        assert user.phone == "13900001111" and user.username == "health_drafter"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "update_user")
                                  .order_by(AuditEvent.seq.desc()))
        assert event.object_id == world.health_drafter and event.actor_id == world.admin
    html = admin.get(f"/admin/users/{world.health_drafter}/edit").get_data(as_text=True)
    assert "信息已保存" in html
    checked = re.findall(r'<input checked[^>]*name="roles"[^>]*value="(\w+)"', html)
    assert sorted(checked) == ["drafter", "reviewer_second", "signer"]


def test_posting_a_username_does_not_rename(app, admin, world):
    with app.app_context():
        data = edit_data(db.session.get(User, world.hr_clerk), username="renamed")
    assert admin.post_form(f"/admin/users/{world.hr_clerk}/edit", data).status_code == 302
    with app.app_context():
        assert user_named("renamed") is None and user_named("hr_clerk") is not None


def test_duplicate_username_is_refused(app, admin, world):
    with app.app_context():
        before = user_count()
    response = admin.post_form("/admin/users/new", new_user_data(world, username="clerk"))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "username") == ["用户名「clerk」已被使用。"]
    with app.app_context():
        assert user_count() == before


def test_weak_password_is_refused(app, admin, world):
    with app.app_context():
        before = user_count()
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, password="12345678", confirm="12345678"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "password") == ["该密码过于常见，容易被猜中，请换一个。"]
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, password="short", confirm="short"))
    assert field_errors(response.get_data(as_text=True), "password") == ["密码至少 8 个字符。"]
    with app.app_context():
        assert user_count() == before and user_named("wjw_new") is None


def test_password_confirmation_must_match(app, admin, world):
    response = admin.post_form("/admin/users/new", new_user_data(world, confirm="Other-Pass-99"))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "confirm") == ["两次输入的密码不一致。"]
    with app.app_context():
        assert user_named("wjw_new") is None


def test_section_of_another_unit_is_refused(app, admin, world):
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, section_id=str(world.hr_section)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, "section_id") == ["所选处室不属于该单位。"]
    with app.app_context():
        assert user_named("wjw_new") is None
    # The same on the edit page: the user keeps the old section.
    with app.app_context():
        data = edit_data(db.session.get(User, world.health_drafter),
                         section_id=str(world.edu_section))
    response = admin.post_form(f"/admin/users/{world.health_drafter}/edit", data)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "section_id") == ["所选处室不属于该单位。"]
    with app.app_context():
        assert user_named("health_drafter").section_id == world.health_section


def test_roles_are_required_and_supervisor_needs_the_supervising_office(app, admin, world):
    response = admin.post_form("/admin/users/new", new_user_data(world, roles=[]))
    assert response.status_code == 422
    assert fieldset_errors(response.get_data(as_text=True), "roles") == ["请至少选择一个角色。"]
    response = admin.post_form("/admin/users/new", new_user_data(world, roles=["supervisor"]))
    assert response.status_code == 422
    assert fieldset_errors(response.get_data(as_text=True), "roles") == [
        "交办员必须属于交办（督办）单位。"]
    with app.app_context():
        assert user_named("wjw_new") is None


def test_disabling_a_user_logs_out_their_open_session(app, admin, world, make_client):
    other = make_client()
    assert other.login("health_drafter").status_code == 302
    assert other.get("/").status_code == 200
    with app.app_context():
        data = edit_data(db.session.get(User, world.health_drafter), is_enabled="")
    response = admin.post_form(f"/admin/users/{world.health_drafter}/edit", data)
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "该用户已停用，其所有登录会话已结束。" in page
    after = other.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    with app.app_context():
        assert user_named("health_drafter").is_enabled is False
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "disable_user", AuditEvent.object_id == world.health_drafter))
    # And a fresh login is refused.
    third = make_client()
    response = third.login("health_drafter", follow=True)
    assert "该账户已停用" in response.get_data(as_text=True)


def test_admin_cannot_disable_themself_or_drop_their_admin_role(app, admin, world):
    with app.app_context():
        me = db.session.get(User, world.admin)
        for data in (edit_data(me, is_enabled=""), edit_data(me, roles=["supervisor"])):
            response = admin.post_form(f"/admin/users/{world.admin}/edit", data)
            assert response.status_code == 422
            assert fieldset_errors(response.get_data(as_text=True), "roles") == [
                "不能停用自己的账户或取消自己的管理员角色。"]
    with app.app_context():
        me = user_named("admin")
        assert me.is_enabled and me.roles == {Role.admin}
    assert admin.get("/admin/users").status_code == 200  # still logged in


def test_reset_password(app, admin, world, make_client):
    other = make_client()
    other.login("hr_drafter")
    assert other.get("/").status_code == 200
    response = admin.post_form(f"/admin/users/{world.hr_drafter}/password",
                               {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert "已重置 hr_drafter" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert other.get("/").status_code == 302  # the open session ended
    assert make_client().login("hr_drafter", PASSWORD).status_code == 200  # old: refused
    assert make_client().login("hr_drafter", NEW_PASSWORD).status_code == 302  # new: works


def test_reset_to_a_weak_password_is_refused(app, admin, world):
    response = admin.post_form(f"/admin/users/{world.hr_drafter}/password",
                               {"password": "hr_drafter", "confirm": "hr_drafter"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "password") == ["密码不能与用户名相同。"]
    with app.app_context():
        assert verify_password(user_named("hr_drafter").password_hash, PASSWORD)[0]
