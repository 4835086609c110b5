"""API tokens follow the account (password change, lock, disabling), carry a scope (read or
act), and record their last use on every request, read-only and refused ones included."""
from __future__ import annotations

from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import PASSWORD, build_world
from tests.support.base import build_app, fresh_database, load
from tracker.accounts import operations as accounts
from tracker.accounts.models import ApiToken, TokenScope, User
from tracker.accounts.operations import issue_token, token_digest
from tracker.audit.models import AuditEvent
from tracker.core.time import utcnow
from tracker.extensions import db
from tracker.proposals.models import Meeting

UNAUTHORISED = {"error": "缺少或无效的访问令牌。", "status": 401}
READ_ONLY = "该令牌为只读令牌，只能查询，不能修改数据。"
NEW_PASSWORD = "Another-Long-Pass-42"


def _row(token: str) -> ApiToken:
    db.session.expire_all()
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))


def _issue(app, user_id: int, scope: TokenScope = TokenScope.act) -> str:
    with app.test_request_context():
        token = issue_token(db.session.get(User, user_id), "t", scope=scope)
        db.session.commit()
    return token


def test_a_password_change_ends_the_token(app, api, tokens, world):
    api.get("/meetings", tokens.hr_clerk, expect=200)
    with app.test_request_context():
        accounts.change_password(load(User, world.hr_clerk), PASSWORD, NEW_PASSWORD)
        db.session.commit()
    assert api.get("/meetings", tokens.hr_clerk, expect=401).get_json() == UNAUTHORISED
    # For good: the token does not come back later; a token issued afterwards works.
    api.get("/meetings", tokens.hr_clerk, expect=401)
    api.get("/meetings", _issue(app, world.hr_clerk), expect=200)
    api.get("/meetings", tokens.edu_clerk, expect=200)  # other users' tokens are untouched


def test_a_password_reset_by_the_administrator_ends_the_token(app, api, tokens, world):
    with app.test_request_context():
        accounts.reset_password(load(User, world.admin), load(User, world.edu_clerk),
                                NEW_PASSWORD)
        db.session.commit()
    assert api.get("/meetings", tokens.edu_clerk, expect=401).get_json() == UNAUTHORISED


def test_a_locked_account_cannot_use_its_token(app, api, client, tokens, world):
    api.get("/meetings", tokens.hr_clerk, expect=200)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        assert client.login("hr_clerk", "wrong-password-1").status_code == 200
    with app.app_context():
        assert load(User, world.hr_clerk).locked_until > utcnow()
    assert api.get("/meetings", tokens.hr_clerk, expect=401).get_json() == UNAUTHORISED
    api.post("/meetings", tokens.hr_clerk, json={}, expect=401)
    # The lock is over: the token works again (its owner's password did not change).
    with app.app_context():
        load(User, world.hr_clerk).locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    api.get("/meetings", tokens.hr_clerk, expect=200)


def test_disabling_the_account_ends_its_tokens_for_good(app, api, tokens, world):
    api.get("/meetings", tokens.hr_clerk, expect=200)

    def set_enabled(enabled: bool) -> None:
        with app.test_request_context():
            user = load(User, world.hr_clerk)
            accounts.update_user(load(User, world.admin), user, full_name=user.full_name,
                                 unit=user.unit, section=user.section, roles=user.roles,
                                 phone=user.phone, email=user.email, is_enabled=enabled)
            db.session.commit()

    set_enabled(False)
    assert api.get("/meetings", tokens.hr_clerk, expect=401).get_json() == UNAUTHORISED
    set_enabled(True)
    # Enabled again: the old token stays dead, like the old sessions.
    assert api.get("/meetings", tokens.hr_clerk, expect=401).get_json() == UNAUTHORISED
    with app.app_context():
        row = _row(tokens.hr_clerk)
        assert row.revoked_at is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "revoke_token")
                                  .order_by(AuditEvent.seq.desc()))
        assert event.object_id == row.id and event.actor_id == world.admin
    api.get("/meetings", _issue(app, world.hr_clerk), expect=200)


def test_a_read_token_reads_but_cannot_act(app, api, world):
    token = _issue(app, world.clerk, TokenScope.read)
    assert api.get("/meetings", token, expect=200).get_json()["items"]
    api.get(f"/meetings/{world.meeting}", token, expect=200)
    with app.app_context():
        meetings = db.session.scalar(select(func.count(Meeting.id)))
    body = {"level": "city", "body": "cppcc", "region": "白城市", "term": 8, "session": 5,
            "year": 2026, "reply_period_months": 3, "co_period_months": 1}
    response = api.post("/meetings", token, json=body, expect=403)
    assert response.get_json() == {"error": READ_ONLY, "status": 403}
    api.post("/proposals", token, json={"meeting_id": world.meeting}, expect=403)
    with app.app_context():
        assert db.session.scalar(select(func.count(Meeting.id))) == meetings
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied")
                                  .order_by(AuditEvent.seq.desc()))
        assert event.actor_id == world.clerk and READ_ONLY in event.details
    # The same user with an act token may.
    api.post("/meetings", _issue(app, world.clerk, TokenScope.act), json=body, expect=201)


def test_last_use_is_recorded_by_a_read_only_request(app, api, world):
    token = _issue(app, world.hr_clerk)
    with app.app_context():
        assert _row(token).last_used_at is None
    before = utcnow()
    api.get("/meetings", token, expect=200)
    with app.app_context():
        first = _row(token).last_used_at
        assert first is not None and first >= before
        # A later request moves it on, however soon it comes.
        _row(token).last_used_at = first - timedelta(minutes=5)
        db.session.commit()
    api.get("/units", token, expect=200)
    with app.app_context():
        assert _row(token).last_used_at >= first


def test_last_use_is_recorded_by_a_refused_request(app, api, world):
    token = _issue(app, world.hr_clerk, TokenScope.read)
    edu_token = _issue(app, world.edu_clerk)
    api.post("/meetings", token, json={}, expect=403)  # read token: refused
    api.post("/meetings", edu_token, json={"year": "x"}, expect=403)  # not a supervisor
    with app.app_context():
        assert _row(token).last_used_at is not None
        assert _row(edu_token).last_used_at is not None


def test_the_command_line_issues_a_scope_and_a_bounded_life(app, database, world):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["tokens", "issue", "hr_clerk", "--days", "3650"])
    assert refused.exit_code == 1
    assert "有效期须在 1 至 90 天之间（系统管理员设定的上限）。" in refused.output
    forever = runner.invoke(args=["tokens", "issue", "hr_clerk", "--days", "0"])
    assert forever.exit_code == 1
    issued = runner.invoke(args=["tokens", "issue", "hr_clerk", "--name", "报送"])
    assert issued.exit_code == 0, issued.output
    act = runner.invoke(args=["tokens", "issue", "hr_clerk", "--scope", "act", "--days", "7"])
    assert act.exit_code == 0, act.output
    with app.app_context():
        read_row, act_row = _row(issued.output.strip()), _row(act.output.strip())
        assert read_row.scope is TokenScope.read  # the least right unless asked for
        assert 89 <= (read_row.expires_at - read_row.created_at).days <= 90
        assert act_row.scope is TokenScope.act
        assert 6 <= (act_row.expires_at - act_row.created_at).days <= 7
        assert db.session.scalar(select(func.count(ApiToken.id))
                                 .where(ApiToken.user_id == world.hr_clerk)) == 2


def test_the_migration_gives_existing_tokens_act_and_keeps_their_expiry(tmp_path):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        with app.test_request_context():
            build_world()
            db.session.commit()
            db.session.remove()
            flask_migrate.downgrade(revision="8c1d2e3f4a5b")
            db.session.remove()
            expires = utcnow().replace(microsecond=0) + timedelta(days=3000)
            with db.engine.begin() as conn:
                assert "scope" not in {c["name"] for c in inspect(conn).get_columns("api_tokens")}
                user_id = conn.execute(text("SELECT id FROM users WHERE username = 'hr_clerk'"))\
                    .scalar_one()
                for n, expiry in ((1, expires), (2, None)):
                    conn.execute(text(
                        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at,"
                        " expires_at) VALUES (:u, :name, :hash, 'trk_old', :now, :expires)"),
                        {"u": user_id, "name": f"old {n}", "hash": f"{n:064d}", "now": utcnow(),
                         "expires": expiry})
            flask_migrate.upgrade()
            db.session.remove()
            rows = db.session.scalars(select(ApiToken).order_by(ApiToken.name)).all()
            assert [(r.scope, r.expires_at) for r in rows] == [(TokenScope.act, expires),
                                                               (TokenScope.act, None)]
            db.session.remove()
            with pytest.raises(IntegrityError), db.engine.begin() as conn:
                conn.execute(text("UPDATE api_tokens SET scope = 'admin'"))
            flask_migrate.downgrade(revision="8c1d2e3f4a5b")
            db.session.remove()
            with db.engine.connect() as conn:
                assert "scope" not in {c["name"] for c in inspect(conn).get_columns("api_tokens")}
                assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 2
            flask_migrate.upgrade()
            db.session.remove()
            db.engine.dispose()
