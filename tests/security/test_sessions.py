"""Sessions: a copied cookie dies with logout, a password change and disabling; sessions are
rotated at login, time out when idle (30 min) and absolutely (12 h); cookie flags."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import SimpleNamespace

import pytest
from itsdangerous.encoding import want_bytes

from tests.factories import PASSWORD
from tests.support.base import Client, build_app, fresh_database
from tests.support.security import redirects_to_login, sign_in
from tracker.extensions import db

COOKIE = "tracker_session"


@pytest.fixture
def users(app, world):
    app.test_client_class = Client
    return world


class HttpsClient(Client):
    """A browser on https: Flask-WTF then also checks that the Referer is this site."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://tracker.example")
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Referer", "https://tracker.example/login")
        return super().open(*args, headers=headers, **kwargs)


def new_client(app) -> Client:
    app.test_client_class = Client
    return app.test_client()


def logged_in(app, username: str) -> Client:
    client = new_client(app)
    response = client.login(username)
    assert response.status_code == 302, f"login as {username} failed"
    return client


def cookie_of(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, value: str):
    """Send a copied cookie from another client (another browser, an attacker)."""
    other = new_client(app)
    other.set_cookie(COOKIE, value)
    return other.get("/")


def set_cookie_header(response, name: str = COOKIE) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, f"no Set-Cookie for {name}"
    return headers[-1]


# -- replaying an old cookie ------------------------------------------------------------------

def test_a_copied_cookie_stops_working_after_logout(app, users):
    client = logged_in(app, "health_clerk")
    copied = cookie_of(client)
    assert replay(app, copied).status_code == 200  # the copy works while logged in

    response = client.post_form("/logout")
    assert redirects_to_login(response)
    assert redirects_to_login(client.get("/"))
    assert redirects_to_login(replay(app, copied)), "the copied cookie survived logout"


def test_logout_ends_the_sessions_of_every_device(app, users):
    phone, desk = logged_in(app, "health_clerk"), logged_in(app, "health_clerk")
    desk.post_form("/logout")
    assert redirects_to_login(phone.get("/"))


def test_a_copied_cookie_stops_working_after_a_password_change(app, users):
    client = logged_in(app, "health_clerk")
    copied = cookie_of(client)
    new = "Brand-New-Horse-77"
    response = client.post_form("/account/password", {
        "current": PASSWORD, "new": new, "confirm": new})
    assert redirects_to_login(response), response.status_code
    assert redirects_to_login(replay(app, copied)), "the copied cookie survived the change"
    # The new password works (the change really happened).
    assert new_client(app).login("health_clerk", new).status_code == 302


def test_a_copied_cookie_stops_working_when_the_user_is_disabled(app, users):
    from tracker.accounts.models import User
    from tracker.accounts.operations import update_user

    client = logged_in(app, "health_drafter")
    copied = cookie_of(client)

    def set_enabled(enabled: bool) -> None:
        with app.test_request_context():
            admin = db.session.get(User, users.admin)
            user = db.session.get(User, users.health_drafter)
            update_user(admin, user, full_name=user.full_name, unit=user.unit,
                        section=user.section, roles=user.roles, phone=user.phone,
                        email=user.email, is_enabled=enabled)
            db.session.commit()

    set_enabled(False)
    assert redirects_to_login(replay(app, copied)), "a disabled user's cookie still works"
    assert redirects_to_login(client.get("/"))
    # Enabling the account again does not bring the old sessions back.
    set_enabled(True)
    assert redirects_to_login(replay(app, copied)), "re-enabling revived an old session"


# -- rotation at login ------------------------------------------------------------------------

def test_the_session_is_rotated_at_login(app, users):
    client = new_client(app)
    token_before = client.fetch_token("/login")
    with client.session_transaction() as session:
        session["planted"] = "set before login (session fixation)"
    before = cookie_of(client)

    assert client.login("health_clerk").status_code == 302
    after = cookie_of(client)
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session, "a key set before login survived the login"
        assert session.get("_user_id")
    assert client.token != token_before, "the CSRF token was not renewed at login"
    # The pre-login cookie does not carry the login.
    assert redirects_to_login(replay(app, before))


# -- timeouts ---------------------------------------------------------------------------------

def test_absolute_timeout_after_12_hours(app, users):
    client = new_client(app)
    sign_in(app, client, "health_clerk")
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as session:
        session["login_at"] = now - 11 * 3600
    assert client.get("/").status_code == 200  # 11 h: still in

    with client.session_transaction() as session:
        session["login_at"] = now - 13 * 3600
    assert redirects_to_login(client.get("/")), "a 13-hour-old login still works"
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert redirects_to_login(client.get("/"))


def test_a_session_without_login_time_is_not_accepted(app, users):
    client = new_client(app)
    sign_in(app, client, "health_clerk")
    with client.session_transaction() as session:
        del session["login_at"]
    assert redirects_to_login(client.get("/"))


def aged(app, value: str, seconds: int) -> str:
    """The same session cookie, signed as if issued `seconds` ago (the idle clock)."""
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(value)
    signer = serializer.make_signer()
    signer.get_timestamp = lambda: int(time.time()) - seconds
    return signer.sign(want_bytes(serializer.dump_payload(data))).decode("ascii")


def test_idle_timeout_after_30_minutes(app, users):
    client = new_client(app)
    sign_in(app, client, "health_clerk")
    value = cookie_of(client)

    stale = replay(app, aged(app, value, 31 * 60))
    assert redirects_to_login(stale), "a session idle for 31 minutes was accepted"

    recent = replay(app, aged(app, value, 29 * 60))
    assert recent.status_code == 200, "a session idle for 29 minutes was refused"
    # Activity renews the cookie, so a working user is not thrown out after 30 minutes.
    assert COOKIE in " ".join(recent.headers.getlist("Set-Cookie"))


def test_an_unchanged_cookie_is_signed_again_at_most_once_a_minute(app, users):
    """The idle clock moves on with activity, but a page within a minute of the cookie's
    signature does not pay for signing it again."""
    client = new_client(app)
    sign_in(app, client, "health_clerk")
    value = cookie_of(client)
    fresh = replay(app, aged(app, value, 5))
    assert fresh.status_code == 200
    assert COOKIE not in " ".join(fresh.headers.getlist("Set-Cookie"))
    older = replay(app, aged(app, value, 61))
    assert older.status_code == 200
    assert COOKIE in " ".join(older.headers.getlist("Set-Cookie"))


def test_login_cookie_expires_with_the_idle_timeout(app, users):
    client = new_client(app)
    client.fetch_token("/login")
    response = client.post("/login", data={"username": "health_clerk", "password": PASSWORD,
                                           "csrf_token": client.token})
    assert response.status_code == 302
    header = set_cookie_header(response)
    expires = next(p.split("=", 1)[1] for p in header.split("; ") if p.startswith("Expires="))
    left = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(minutes=28) < left <= timedelta(minutes=30, seconds=5)


# -- cookie flags -----------------------------------------------------------------------------

def _flags(header: str) -> set[str]:
    """The attributes of a Set-Cookie header, lower-cased (values kept: samesite=lax)."""
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_session_cookie_flags_in_development(app, users):
    client = new_client(app)
    first = client.get("/login")  # the CSRF token already lives in the session cookie
    flags = _flags(set_cookie_header(first))
    assert {"httponly", "samesite=lax"} <= flags
    response = client.post("/login", data={"username": "health_clerk", "password": PASSWORD,
                                           "csrf_token": client.fetch_token("/login")})
    flags = _flags(set_cookie_header(response))
    assert {"httponly", "samesite=lax"} <= flags
    assert "secure" not in flags  # plain http on a developer's machine


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """An app with ENV=production (TESTING skips the demo-account refusal) and one user."""
    tmp = tmp_path_factory.mktemp("production")
    with fresh_database(tmp) as url:
        app = build_app(url, tmp, ENV="production")
        from tests.factories import make_unit, make_user
        from tracker.accounts.models import Role

        with app.test_request_context():
            unit = make_unit("省生产环境测试厅")
            make_user("prod_clerk", unit, Role.unit_clerk)
            db.session.commit()
            db.session.remove()
        yield SimpleNamespace(app=app, url=url, tmp=tmp)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_session_cookie_is_secure_in_production(production):
    app = production.app
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug
    app.test_client_class = HttpsClient
    client = app.test_client()
    first = client.get("/login")
    assert {"secure", "httponly", "samesite=lax"} <= _flags(set_cookie_header(first))
    response = client.login("prod_clerk")
    assert response.status_code == 302
    assert {"secure", "httponly", "samesite=lax"} <= _flags(set_cookie_header(response))


def test_production_refuses_to_start_unsafely(production):
    from tracker import create_app
    from tracker.accounts.models import User

    base = {"DATABASE_URL": production.url, "ENV": "production", "TESTING": False,
            "UPLOAD_DIR": str(production.tmp / "uploads"),
            "SIGNING_DIR": str(production.tmp / "signing"),
            "PUBLIC_BASE_URL": "https://jianyi.example.gov.cn"}
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY"):
        create_app(dict(base, SECRET_KEY=None))
    with pytest.raises(RuntimeError, match="太短"):
        create_app(dict(base, SECRET_KEY="short-secret"))
    # A demo account still enabled: refused; once it is no longer a demo account: starts.
    strong = dict(base, SECRET_KEY="p" * 40)
    with production.app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "prod_clerk"))
        user.is_demo = True
        db.session.commit()
    try:
        with pytest.raises(RuntimeError, match="prod_clerk"):
            create_app(strong)
    finally:
        with production.app.app_context():
            user = db.session.scalar(db.select(User).where(User.username == "prod_clerk"))
            user.is_demo = False
            db.session.commit()
    started = create_app(strong)
    assert not started.debug
    with started.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_an_unknown_env_is_not_treated_as_development(env):
    """SECURITY.md: cookies are Secure outside development. A deployment that sets
    TRACKER_ENV=staging (or mistypes production) must not silently get development
    behaviour: either the value is refused at start, or the cookie is still Secure."""
    from tracker import config

    try:
        cfg = config.load({"ENV": env, "SECRET_KEY": "s" * 40})
    except (RuntimeError, ValueError):
        return
    assert cfg["SESSION_COOKIE_SECURE"] is True, (
        f"TRACKER_ENV={env!r} gives session cookies without Secure")
