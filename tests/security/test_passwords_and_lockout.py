"""Issue 14, findings 7 and 8: passwords are checked against a real frequency list (zxcvbn's)
and against the user's own name, full name and unit; a login attempt on an unknown or a locked
account gets the same answer, after the same argon2 work, as a wrong password."""
from __future__ import annotations

import re

import argon2
import pytest
from sqlalchemy import select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tests.admin.helpers import field_errors
from tests.factories import PASSWORD
from tests.security.test_login import events, user_row
from tests.support.base import Client
from tracker import demo
from tracker.accounts.models import Unit, User
from tracker.accounts.passwords import policy_problems, verify_password
from tracker.extensions import db

COMMON = "该密码过于常见，容易被猜中，请换一个。"
HAS_USERNAME = "密码不能包含用户名（含倒写，或在前后加数字、符号）。"
HAS_FULL_NAME = "密码不能包含本人姓名。"
HAS_UNIT_NAME = "密码不能包含所在单位的名称或简称。"
LOGIN_FAILED = "用户名或密码错误，或账户因多次登录失败已暂时锁定，请稍后再试。"

# Spread over zxcvbn's list of 30,000 leaked passwords: every 1,000th one long enough to pass
# the length rule, so the test does not pick the handful anyone would think of.
LEAKED = [p for p in FREQUENCY_LISTS["passwords"] if len(p) >= 8][::1000]


def new_user_data(world, **changes) -> dict:
    data = {"username": "jyt_cbr", "full_name": "黄磊", "unit_id": str(world.edu),
            "section_id": str(world.edu_section), "roles": ["drafter"], "phone": "", "email": "",
            "password": "Violet-Tram-Orbit-47", "confirm": "Violet-Tram-Orbit-47"}
    data.update(changes)
    return data


def user_named(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.remove()
    return user


@pytest.fixture
def new_client(app, world):
    def make() -> Client:
        app.test_client_class = Client
        return app.test_client()
    return make


@pytest.fixture
def admin(new_client):
    client = new_client()
    assert client.login("admin").status_code == 302
    return client


# -- the password policy ----------------------------------------------------------------------

@pytest.mark.parametrize("password", ["jyt_cbr123", "jyt_cbr2024!", "JYT-CBR-8866", "rbc_tyj1988",
                                      "@@jyt_cbr@@"])
def test_the_user_name_with_digits_or_symbols_is_refused(app, world, admin, password):
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, password=password, confirm=password))
    assert response.status_code in (200, 422)
    assert field_errors(response.get_data(as_text=True), "password") == [HAS_USERNAME]
    assert user_named(app, "jyt_cbr") is None


@pytest.mark.parametrize("password, message", [
    ("省卫生健康委员会2024", HAS_UNIT_NAME),
    ("Blue-省卫生健康委员会-47", HAS_UNIT_NAME),
    ("孙联络-Violet-Tram-9", HAS_FULL_NAME),
], ids=["unit-name-digits", "unit-name-inside", "full-name"])
def test_own_password_with_the_unit_or_own_name_is_refused(app, world, new_client, password,
                                                           message):
    client = new_client()
    assert client.login("health_clerk").status_code == 302
    before = user_row(app, "health_clerk")
    response = client.post_form("/account/password", {
        "current": PASSWORD, "new": password, "confirm": password})
    assert field_errors(response.get_data(as_text=True), "new") == [message]
    assert user_row(app, "health_clerk").password_hash == before.password_hash
    assert client.get("/").status_code == 200  # nothing happened: still logged in


def test_the_unit_short_name_is_refused_at_creation(app, world, admin):
    with app.app_context():
        db.session.execute(db.update(Unit).where(Unit.id == world.edu)
                           .values(short_name="教育厅"))
        db.session.commit()
        db.session.remove()
    password = "教育厅-Violet-Tram"
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, password=password, confirm=password))
    assert field_errors(response.get_data(as_text=True), "password") == [HAS_UNIT_NAME]
    assert user_named(app, "jyt_cbr") is None


@pytest.mark.parametrize("password", LEAKED, ids=[f"leaked-{n}" for n in range(len(LEAKED))])
def test_passwords_from_the_frequency_list_are_refused(app, world, admin, password):
    before = user_row(app, "hr_drafter").password_hash
    response = admin.post_form(f"/admin/users/{world.hr_drafter}/password",
                               {"password": password, "confirm": password})
    assert field_errors(response.get_data(as_text=True), "password") == [COMMON]
    assert user_row(app, "hr_drafter").password_hash == before


def test_a_strong_passphrase_is_accepted(app, world, admin, new_client):
    passphrase = "violet tram orbit pepper 47"
    response = admin.post_form("/admin/users/new",
                               new_user_data(world, password=passphrase, confirm=passphrase))
    assert response.status_code == 302, field_errors(response.get_data(as_text=True), "password")
    created = user_named(app, "jyt_cbr")
    assert created is not None and verify_password(created.password_hash, passphrase)[0]
    assert new_client().login("jyt_cbr", passphrase).status_code == 302


def test_the_demo_accounts_generated_passwords_pass_the_policy():
    for username, full_name, unit_index, _, _ in demo.USERS:
        name, short_name = demo.UNITS[unit_index][:2]
        for _ in range(20):
            password = demo._password()
            assert policy_problems(password, username, full_name=full_name,
                                   unit_names=(name, short_name)) == [], (username, password)


# -- one answer for unknown, locked and wrong ------------------------------------------------

@pytest.fixture
def verifications(monkeypatch):
    """Count argon2 verifications (the expensive step whose absence showed in the timing)."""
    calls = []
    original = argon2.PasswordHasher.verify

    def counting(self, stored_hash, password):
        calls.append(stored_hash)
        return original(self, stored_hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def answer(new_client, verifications, username: str, password: str) -> str:
    """The login page answered to one attempt, with its CSRF token blanked out."""
    client = new_client()
    client.fetch_token("/login")
    verifications.clear()
    response = client.post("/login", data={
        "username": username, "password": password, "csrf_token": client.token})
    assert response.status_code == 200
    assert len(verifications) == 1, f"{len(verifications)} argon2 verifications"
    html = response.get_data(as_text=True)
    assert LOGIN_FAILED in html
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1"', html)


def test_unknown_locked_and_wrong_get_the_same_answer_and_work(app, world, new_client,
                                                               verifications):
    # A wrong password; then four more, the last of which locks the account.
    wrong = answer(new_client, verifications, "health_clerk", "Wrong-Horse-1")
    for attempt in range(2, 6):
        assert answer(new_client, verifications, "health_clerk", f"Wrong-Horse-{attempt}") \
            == wrong
    locked = user_row(app, "health_clerk")
    assert locked.locked_until is not None

    # Locked: the right password and a wrong one get the wrong password's answer, byte for byte.
    assert answer(new_client, verifications, "health_clerk", PASSWORD) == wrong
    assert answer(new_client, verifications, "health_clerk", "Wrong-Horse-6") == wrong
    assert user_row(app, "health_clerk").last_login_at is None
    logged = events(app, world.health_clerk)
    assert ("account_locked", "denied") in logged
    assert logged.count(("login_locked", "denied")) == 2

    # The same name once no account has it: still the same answer.
    with app.app_context():
        db.session.execute(db.update(User).where(User.id == world.health_clerk)
                           .values(username="health_clerk_renamed"))
        db.session.commit()
        db.session.remove()
    assert answer(new_client, verifications, "health_clerk", PASSWORD) == wrong
    assert ("login_failed", "failure") in events(app, actor_name="health_clerk")
