"""The tracker: handling deputies' suggestions and members' proposals."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Flask,
    flash,
    g,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_url, logout_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import OperationalError

from tracker import config as config_module
from tracker.extensions import csrf, db, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    """Build the application (the only place an app is built)."""
    root = config_module.PROJECT_ROOT
    app = Flask(
        __name__,
        template_folder=str(root / "templates"),
        static_folder=str(root / "static"),
        instance_path=str(config_module.INSTANCE_DIR),
    )
    app.config.update(config_module.load(config))
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops < 0:
        raise RuntimeError(f"TRACKER_TRUSTED_PROXIES 应为 0 或正整数，现在是「{hops}」。")
    if hops:
        # Behind N trusted proxies: the client's address, scheme and host are the ones the
        # nearest proxy saw; with 0 a client's own X-Forwarded-* headers are ignored.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.json.ensure_ascii = False  # readable Chinese in the API's JSON
    from tracker.core.views import BoundedIntConverter

    # Before any route exists: an id too large for the database is a 404, not a 500.
    app.url_map.converters["int"] = BoundedIntConverter

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"), compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # sessions are bound by their version instead
    app.session_interface = _PageSessionInterface()
    csrf.init_app(app)

    _import_models()
    with app.app_context():
        _tune_engine(db.engine)

    _register_template_helpers(app)
    _init_packages(app)
    _register_blueprints(app)
    _register_transactions(app)
    _register_session_checks(app)
    _register_error_handlers(app)
    _register_headers(app)
    _register_cli(app)

    if app.config["ENV"] == "production" and not app.config.get("TESTING"):
        _refuse_unsafe_production(app)
    from tracker.letters import check_harfbuzz_subset

    check_harfbuzz_subset()  # warns loudly: without it every letter takes seconds
    return app


# The idle clock is the cookie's signature time: a cookie signed less than this long ago is
# not signed again (a page costs one HMAC less), so the 30-minute idle timeout runs from the
# last request within the last minute.
COOKIE_REFRESH_SECONDS = 60


class _PageSessionInterface(SecureCookieSessionInterface):
    """The cookie session belongs to the pages: API calls neither read nor refresh it. An
    unchanged session's cookie is re-signed at most once a minute."""

    def open_session(self, app: Flask, request):
        serializer = self.get_signing_serializer(app)
        value = request.cookies.get(self.get_cookie_name(app)) if serializer else None
        if not value:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:
        if request.blueprint == "api" or request.path.startswith("/api/"):
            return False
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or (
            datetime.now(UTC) - signed_at).total_seconds() >= COOKIE_REFRESH_SECONDS


def _check_connections_on_checkout(engine) -> None:
    """Instead of pool_pre_ping's round trip on every checkout: an idle connection the server
    closed (a restart, an administrator's termination) has its goodbye or end of stream
    waiting on the socket; only then is it pinged, and a failed ping makes the pool replace
    it before the request uses it."""
    import select

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection, _record, _proxy):
        try:
            readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
        except (OSError, ValueError) as exc:  # closed already
            raise DisconnectionError() from exc
        if not readable:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError() from exc


def _import_models() -> None:
    from tracker.accounts import models as _a  # noqa: F401
    from tracker.audit import models as _au  # noqa: F401
    from tracker.commitments import models as _cm  # noqa: F401
    from tracker.core import models as _c  # noqa: F401
    from tracker.files import models as _f  # noqa: F401
    from tracker.handling import models as _h  # noqa: F401
    from tracker.jobs import models as _j  # noqa: F401
    from tracker.notifications import models as _n  # noqa: F401
    from tracker.proposals import models as _p  # noqa: F401
    from tracker.publication import models as _pu  # noqa: F401
    from tracker.ratings import models as _ra  # noqa: F401
    from tracker.replies import models as _r  # noqa: F401
    from tracker.replies import styles as _rs  # noqa: F401
    from tracker.similar import models as _s  # noqa: F401
    from tracker.workdays import models as _w  # noqa: F401


# Statements a pooled PostgreSQL connection keeps prepared (psycopg prepares one after its
# fifth run; the default of 100 is fewer than the pages use, and a statement pushed out is
# planned afresh each time it comes back).
PREPARED_MAX = 256


def _tune_engine(engine) -> None:
    """PostgreSQL: a dead pooled connection is found without a round trip, and the
    connection keeps its prepared statements. SQLite: foreign keys, WAL, a busy timeout, and
    real transactions (savepoints work)."""
    from tracker.core import transactions

    transactions.watch_writes(engine)  # (a request that only read may end with COMMIT)
    if engine.dialect.name == "postgresql":
        _check_connections_on_checkout(engine)

        @event.listens_for(engine, "connect")
        def _keep_prepared(dbapi_connection, _record):
            dbapi_connection.prepared_max = PREPARED_MAX
    if engine.dialect.name != "sqlite":
        return
    from tracker.files.storage import private_sqlite_file

    private_sqlite_file(engine.url.database)  # 600 in a 700 folder, before SQLite makes it

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A writing request takes SQLite's write lock up front, so concurrent writers queue
        # on the busy timeout instead of failing when a read snapshot cannot be upgraded; so
        # does every transaction of a queued job (they read, then write, beside the web's).
        from tracker.jobs.queue import in_job

        writing = in_job() or (
            has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS"))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _init_packages(app: Flask) -> None:
    """Let each package hook itself in, lowest layer first (tests/test_layers.py): template
    helpers, answers to the workflow's questions, actions, subscribers to transition events."""
    from tracker import (
        accounts,
        commitments,
        handling,
        instructions,
        jobs,
        letters,
        merging,
        notifications,
        publication,
        ratings,
        replies,
        search,
        signing,
        similar,
    )

    for package in (jobs, accounts, letters, handling, signing, replies, merging, notifications,
                    ratings, instructions, search, similar, publication, commitments):
        package.init_app(app)


def _register_transactions(app: Flask) -> None:
    """A request owns its transaction: it commits (the views) or rolls back (the error
    handlers), and lets an operation end it early to hold no lock while it renders."""
    from tracker.core import transactions

    @app.before_request
    def _own_transaction():
        transactions.own(db.session.rollback)

    @app.teardown_request
    def _end_reading(exc):
        """A request whose open transaction only read (a page; what a form's view read
        after its commit) ends it with COMMIT, not the pool's ROLLBACK: the same for the
        data, but psycopg's rollback() drops every statement the connection has prepared,
        so each request would have its queries parsed and planned again. A failure, or
        anything written, flushed or pending in the transaction, keeps the rollback."""
        if exc is None and transactions.only_read(db.session()):
            db.session.commit()


def _register_blueprints(app: Flask) -> None:
    from tracker.accounts.views import bp as auth_bp
    from tracker.admin.views import bp as admin_bp
    from tracker.api.views import bp as api_bp
    from tracker.commitments.views import bp as commitments_bp
    from tracker.desk.views import bp as proposals_bp
    from tracker.files.views import bp as files_bp
    from tracker.handling.views import bp as handling_bp
    from tracker.imports.views import bp as imports_bp
    from tracker.instructions.views import bp as instructions_bp
    from tracker.notifications.views import bp as notifications_bp
    from tracker.portal.views import bp as portal_bp
    from tracker.publication.views import bp as publication_bp
    from tracker.ratings.staff_views import bp as rating_admin_bp
    from tracker.ratings.views import bp as ratings_bp
    from tracker.replies.views import bp as replies_bp
    from tracker.signing.views import bp as verify_bp
    from tracker.similar.views import bp as similar_bp
    from tracker.supervision.views import bp as supervision_bp

    for bp in (auth_bp, proposals_bp, handling_bp, replies_bp, admin_bp, files_bp, verify_bp):
        app.register_blueprint(bp)
    app.register_blueprint(ratings_bp)
    app.register_blueprint(rating_admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(supervision_bp)
    app.register_blueprint(instructions_bp)
    app.register_blueprint(similar_bp)
    app.register_blueprint(publication_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(commitments_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # token-authenticated, never reads the cookie session


# What the login page says to a visitor sent there (none for the plain visit to the home page).
LOGIN_FIRST = "请先登录后再访问该页面。"
SESSION_ENDED = "登录已失效，请重新登录。"


def _register_session_checks(app: Flask) -> None:
    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from tracker.accounts.models import User
    from tracker.notifications import operations as notification_ops
    from tracker.notifications import views as notification_views

    user_query = (select(User, notification_ops.unread_count_of(User.id))
                  .options(joinedload(User.role_rows), joinedload(User.unit))
                  .where(User.id == bindparam("uid")))

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            uid, version = (int(part) for part in user_id.split(":"))
        except ValueError:
            return None
        # One query for the user, its roles, its unit and the navbar's unread count.
        row = db.session.execute(user_query, {"uid": uid}).unique().first()
        if row is None:
            return None
        user, unread = row
        if user.session_version != version or not user.is_enabled:
            return None
        notification_views.remember_unread(user, unread)
        return user

    @app.before_request
    def _absolute_timeout():
        if request.blueprint == "api" or not current_user.is_authenticated:
            return
        started = session.get("login_at", 0)
        limit = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        if datetime.now(UTC).timestamp() - started > limit:
            logout_user()
            session.clear()
            g.session_ended = True

    @login_manager.unauthorized_handler
    def _to_login():
        """Send a visitor to the login page, saying why unless they simply came to the site."""
        # A session cookie naming a user the loader refused: signed out elsewhere, disabled,
        # or timed out above.
        ended = g.get("session_ended") or "_user_id" in session
        if ended:
            flash(SESSION_ENDED, "warning")
        elif request.path != "/":
            flash(LOGIN_FIRST, "warning")
        return redirect(login_url(login_manager.login_view, next_url=request.url))


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def _register_error_handlers(app: Flask) -> None:
    from tracker.audit import log as audit
    from tracker.core.errors import DomainError, Hidden

    def _render(status: int, message: str, errors: dict | None = None):
        if _wants_json():
            from tracker.api import schemas

            fields = {"errors": errors} if errors else {}
            body = schemas.Error(error=message, status=status, **fields)
            return jsonify(schemas.as_json(body)), status
        return render_template("error.html", status=status, message=message), status

    def _render_without_database(status: int, message: str):
        """Roll back and render as for a visitor: the user and the navbar need the database."""
        try:
            db.session.rollback()
        except Exception:  # a dead connection: the page must still go out
            app.logger.warning("rollback failed in the error handler", exc_info=True)
        # Flask-Login's cache of the request's user; the session cookie keeps the sign-in.
        g._login_user = login_manager.anonymous_user()
        return _render(status, message)

    def _log_refusal(exc: DomainError) -> None:
        """Log denials and refused moves in their own transaction (the request's is void)."""
        db.session.rollback()
        hidden = isinstance(exc, Hidden)
        if exc.status not in (403, 409) and not hidden:
            return
        actor = getattr(g, "api_user", None) or (
            current_user if current_user.is_authenticated else None)
        try:
            audit.record(
                "access_denied" if exc.status == 403 or hidden else "transition_refused",
                outcome="denied" if exc.status == 403 or hidden else "rejected",
                actor=actor,
                details={"path": request.path, "method": request.method,
                         "message": exc.message},
            )
            db.session.commit()
        except Exception:  # the refusal itself must still reach the user
            db.session.rollback()

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        _log_refusal(exc)
        return _render(exc.status, exc.message, exc.errors)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        return _render(400, "页面已过期或请求来源无法验证，请刷新页面后重试。")

    @app.errorhandler(OperationalError)
    def _db_busy(exc):
        if "locked" in str(exc.orig).lower():  # SQLite busy: the database itself is fine
            db.session.rollback()
            return _render(409, "该事项正被他人处理，请稍后刷新重试。")
        app.logger.exception("database error")
        return _render_without_database(500, "系统内部错误，请稍后重试；如持续出现请联系系统管理员。")

    messages = {
        400: "请求无效。",
        401: "请先登录。",
        403: "您没有权限访问该页面或执行该操作。",
        404: "找不到该页面或记录。",
        405: "不支持该请求方法。",
        409: "操作冲突，请刷新后重试。",
        413: f"上传的文件过大（不能超过 {app.config['MAX_UPLOAD_MB']} MB）。",
        422: "提交的内容有误。",
    }

    for code, message in messages.items():
        def handler(exc, code=code, message=message):
            if code == 403:
                _log_refusal(DomainError(message))
            response = make_response(_render(code, message))
            if code == 405 and getattr(exc, "valid_methods", None):
                response.headers["Allow"] = ", ".join(exc.valid_methods)
            return response
        app.register_error_handler(code, handler)

    @app.errorhandler(500)
    def _server_error(exc):
        # Also the last resort when another error handler failed: it must not need the database.
        return _render_without_database(500, "系统内部错误，请稍后重试；如持续出现请联系系统管理员。")


def _register_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            # A public page (g.public_cache: the portal's) may be kept a while by a shared
            # cache, but never one for a visitor with a session (its cookie may be renewed).
            public = g.get("public_cache") and response.status_code == 200 \
                and app.config["SESSION_COOKIE_NAME"] not in request.cookies \
                and not session.modified
            response.headers["Cache-Control"] = g.public_cache if public else "no-store"
        return response


def _register_template_helpers(app: Flask) -> None:
    from tracker.core import templating

    templating.register(app)


def _register_cli(app: Flask) -> None:
    from tracker import cli

    cli.register(app)


def _refuse_unsafe_production(app: Flask) -> None:
    """Production must not start with demo accounts still usable."""
    from tracker.accounts.models import User
    from tracker.accounts.passwords import argon2_too_weak, prepare_dummy_hash

    weak = argon2_too_weak(app.config)
    if weak:
        raise RuntimeError(weak)
    prepare_dummy_hash(app.config)

    if len(str(app.config["SECRET_KEY"])) < 32:
        raise RuntimeError("生产模式的 TRACKER_SECRET_KEY 太短（至少 32 个字符）。")
    from urllib.parse import urlsplit

    host = urlsplit(app.config["PUBLIC_BASE_URL"]).hostname or ""
    if host in ("localhost", "::1") or host.startswith("127."):
        raise RuntimeError("生产模式必须设置 TRACKER_PUBLIC_BASE_URL（答复函二维码和评价链接中的"
                           f"对外网址），现在是「{app.config['PUBLIC_BASE_URL']}」。")
    from tracker.signing.democa import trusted_demo_roots

    # Recognised by content wherever the trust roots come from (TRUST_ROOTS or SIGNING_DIR).
    demo_roots = trusted_demo_roots(str(app.config.get("TRUST_ROOTS") or ""),
                                    Path(app.config["SIGNING_DIR"]))
    if demo_roots:
        raise RuntimeError("生产模式拒绝启动：演示根证书仍被信任（"
                           + "、".join(str(p) for p in demo_roots)
                           + "），请将其从 TRACKER_TRUST_ROOTS 所列的文件或目录中删除，"
                             "只配置正式的根证书。")
    with app.app_context():
        if not inspect(db.engine).has_table("users"):
            return
        demo = db.session.scalars(
            select(User.username).where(User.is_demo.is_(True), User.is_enabled.is_(True))
        ).all()
        db.session.remove()
    if demo:
        raise RuntimeError(
            "生产模式拒绝启动：仍有演示账户可用（" + "、".join(demo)
            + "）。请停用这些账户或修改其密码后再启动。"
        )
