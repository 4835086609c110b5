"""Security headers, the generic error page, output encoding, mass assignment and uploads."""
from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.support.base import Client, build_app, fresh_database
from tests.support.security import PDF, PNG, SECRET, sign_in
from tracker.core.time import today
from tracker.extensions import db

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin",
                          "strict-origin-when-cross-origin"}


# -- headers ----------------------------------------------------------------------------------

def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [w.lower() for w in words[1:]]
    return directives


def check_headers(response, where: str, private: bool = True) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = csp_directives(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{where}: CSP restricts no scripts"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert "*" not in scripts and "data:" not in scripts, where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in SAFE_REFERRER_POLICIES, where
    if private:
        assert "no-store" in response.headers.get("Cache-Control", ""), where


def test_security_headers_on_every_kind_of_page(scenario):
    ids = scenario.ids
    scenario.login(None, "health_clerk")
    anonymous = scenario.client(None)
    check_headers(anonymous.get("/login"), "login page")  # it carries a CSRF token
    check_headers(anonymous.get("/"), "redirect to login")
    client = scenario.client("health_clerk")
    for path in ("/", "/proposals", f"/proposals/{ids.p_drafting}",
                 f"/assignments/{ids.a_drafting}/actions/dispatch", "/account/password",
                 f"/attachments/{ids.attachment}", "/no-such-page", "/admin/units"):
        response = client.get(path)
        assert response.status_code in (200, 403, 404), path
        check_headers(response, path)
    api = scenario.api_client().get(
        "/api/v1/proposals", headers={"Authorization": f"Bearer {scenario.tokens['health_clerk']}"})
    if api.status_code != 404:  # the API exists
        check_headers(api, "API")


def test_pages_need_no_inline_script_or_style(scenario):
    """The CSP blocks inline code, so pages must not depend on it (it would silently break)."""
    ids = scenario.ids
    scenario.login("clerk", "health_clerk")
    pages = [("clerk", p) for p in ("/", "/proposals", "/proposals/new", "/meetings",
                                    f"/proposals/{ids.p_drafting}",
                                    f"/proposals/{ids.p_drafting}/actions/assign")]
    pages += [("health_clerk", f"/assignments/{ids.a_drafting}/actions/dispatch")]
    for user, path in pages:
        html = scenario.client(user).get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
            assert "src=" in tag, f"{path}: inline <script> {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{path}: inline handler"
        assert not re.search(r"\sstyle\s*=", html, flags=re.I), f"{path}: inline style"
        assert "javascript:" not in html.lower(), path


# -- the error page ---------------------------------------------------------------------------

def _boom(*args, **kwargs):
    raise RuntimeError("boom: secret detail /work/main/tracker/views.py line 42")


def _assert_generic_500(response, *, json: bool = False) -> None:
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "boom", "secret detail", "line 42", "File \"",
                 "sqlalchemy", "SELECT"):
        assert leak not in body, f"the error page shows {leak!r}"
    if json:
        assert response.is_json and response.get_json()["status"] == 500
        assert "系统内部错误" in response.get_json()["error"]
    else:
        assert "系统内部错误" in body
        assert response.mimetype == "text/html" and "<html" in body


def test_an_unexpected_exception_shows_the_generic_page(scenario, monkeypatch):
    app = scenario.app
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production
    monkeypatch.setitem(app.view_functions, "proposals.detail", _boom)
    scenario.login("health_clerk")
    response = scenario.client("health_clerk").get(f"/proposals/{scenario.ids.p_drafting}")
    _assert_generic_500(response)
    check_headers(response, "500 page")


def test_a_database_error_shows_the_generic_page(scenario, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT secret detail FROM proposals", {}, Exception("disk I/O"))

    app = scenario.app
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "proposals.index", broken)
    scenario.login("health_clerk")
    _assert_generic_500(scenario.client("health_clerk").get("/proposals"))


def test_an_unexpected_exception_in_the_api_is_generic_json(scenario, monkeypatch):
    app = scenario.app
    if "api.list_proposals" not in app.view_functions:
        pytest.skip("no API yet")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "api.list_proposals", _boom)
    response = scenario.api_client().get(
        "/api/v1/proposals", headers={"Authorization": f"Bearer {scenario.tokens['clerk']}"})
    _assert_generic_500(response, json=True)


def test_error_pages_are_generic_and_chinese(scenario):
    scenario.login("edu_clerk")
    client = scenario.client("edu_clerk")
    not_found = client.get(f"/proposals/{scenario.ids.p_drafting}")
    assert not_found.status_code == 404 and "找不到" in not_found.get_data(as_text=True)
    forbidden = client.get("/admin/units")
    assert forbidden.status_code == 403 and "权限" in forbidden.get_data(as_text=True)
    assert client.get("/login").status_code == 302  # logged in: sent to the to-do list


# -- output encoding --------------------------------------------------------------------------

def test_stored_script_is_escaped_everywhere(scenario):
    """A hostile title, body, author, meeting name, note and contact summary, entered through
    the forms, are shown as text on the list, detail, to-do and action pages."""
    ids, app = scenario.ids, scenario.app
    scenario.login("clerk", "health_clerk")
    clerk, unit = scenario.client("clerk"), scenario.client("health_clerk")
    response = clerk.post_form("/meetings/new", {
        "level": "province", "body": "npc", "region": "省", "term": 20, "session": 1,
        "year": today().year, "name": "会议" + XSS, "reply_period_months": 3,
        "co_period_months": 1})
    assert response.status_code == 302
    meeting_id = _last_id(app, "meetings")
    response = clerk.post_form("/proposals/new", {
        "meeting_id": meeting_id, "number": "66", "title": "标题" + XSS, "body": "正文" + XSS,
        "received_on": today().isoformat(), "disclosure": "public",
        "authors-0-name": "作者" + XSS, "authors-0-organisation": "单位" + XSS})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    proposal_id = _last_id(app, "proposals")
    response = clerk.post_form(f"/proposals/{proposal_id}/actions/assign", {
        "lead_unit_id": ids.health, "note": "交办意见" + XSS})
    assert response.status_code == 302
    assignment_id = _last_id(app, "assignments")
    response = unit.post_form(f"/assignments/{assignment_id}/actions/accept",
                              {"note": "签收" + XSS})
    assert response.status_code == 302
    response = unit.post_form(f"/assignments/{assignment_id}/actions/record_contact", {
        "stage": "before", "method": "phone", "contacted_on": today().isoformat(),
        "summary": "联系" + XSS})
    assert response.status_code == 302

    pages = [
        (clerk, "/proposals"), (clerk, f"/proposals/{proposal_id}"), (clerk, "/meetings"),
        (unit, "/"), (unit, "/proposals"), (unit, f"/proposals/{proposal_id}"),
        (unit, f"/assignments/{assignment_id}/actions/dispatch"),
    ]
    for client, path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html, f"{path} renders the stored script"
        assert ESCAPED in html, f"{path} does not show the stored text at all"
    detail = unit.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    for text in ("标题", "正文", "作者", "单位", "交办意见", "联系"):
        assert text + ESCAPED in detail, f"{text} is not shown escaped on the detail page"


def _read(app, query):
    """Run one read in its own app context (requests must not share the test's context)."""
    with app.app_context():
        try:
            return query()
        finally:
            db.session.remove()


def _last_id(app, table: str) -> int:
    model = db.metadata.tables[table]
    return _read(app, lambda: db.session.scalar(select(func.max(model.c.id))))


# -- mass assignment --------------------------------------------------------------------------

def _row(app, table: str, row_id: int) -> dict:
    model = db.metadata.tables[table]
    return _read(app, lambda: dict(
        db.session.execute(select(model).where(model.c.id == row_id)).mappings().one()))


def test_registration_ignores_fields_that_are_not_on_the_form(scenario):
    ids, app = scenario.ids, scenario.app
    scenario.login("clerk")
    counts = {t: _count(app, t) for t in ("proposals", "assignments", "authors", "users")}
    response = scenario.client("clerk").post_form("/proposals/new", {
        "meeting_id": ids.meeting, "number": "5501", "title": "正常登记的建议",
        "received_on": today().isoformat(), "disclosure": "public", "authors-0-name": "李华",
        # Not on the form:
        "state": "closed", "unit_id": ids.edu, "drafter_id": ids.edu_drafter,
        "approved_by": ids.clerk, "created_by_id": ids.edu_clerk, "lock_version": 99,
        "id": 987654, "assignments-0-unit_id": ids.edu, "is_demo": "y",
        "authors-0-proposal_id": ids.p_drafting, "authors-0-id": 1,
    })
    assert response.status_code == 302
    proposal = _row(app, "proposals", _last_id(app, "proposals"))
    assert proposal["id"] != 987654
    assert proposal["state"] == "registered"
    assert proposal["created_by_id"] == ids.clerk
    assert proposal["lock_version"] == 0
    assert _count(app, "assignments") == counts["assignments"]
    assert _count(app, "proposals") == counts["proposals"] + 1
    assert _count(app, "authors") == counts["authors"] + 1
    assert _count(app, "users") == counts["users"]


def _count(app, table: str) -> int:
    model = db.metadata.tables[table]
    return _read(app, lambda: db.session.scalar(select(func.count()).select_from(model)))


def test_accept_changes_only_what_accepting_changes(scenario):
    ids, app = scenario.ids, scenario.app
    scenario.login("health_clerk")
    before = _row(app, "assignments", ids.a_assigned)
    response = scenario.client("health_clerk").post_form(
        f"/assignments/{ids.a_assigned}/actions/accept", {
            "version": before["version"], "note": "已签收",
            # Not on the form:
            "state": "closed", "unit_id": ids.edu, "drafter_id": ids.health_drafter,
            "section_id": ids.health_section, "approved_by": ids.clerk, "role": "co",
            "due_on": "2099-12-31", "return_due_on": "2099-12-31", "return_reason": "x",
            "proposal_id": ids.p_drafting, "accepted_at": "2000-01-01 00:00:00",
            "assigned_by_id": ids.edu_clerk,
        })
    assert response.status_code == 302
    after = _row(app, "assignments", ids.a_assigned)
    assert after["state"] == "accepted" and after["version"] == before["version"] + 1
    assert after["accepted_at"] is not None and after["accepted_at"].year == today().year
    # Everything the extra fields aimed at (and the rest of the assignment's facts) is as it was.
    protected = ("id", "proposal_id", "unit_id", "role", "assigned_at", "assigned_on", "due_on",
                 "due_basis", "return_due_on", "assigned_by_id", "section_id", "drafter_id",
                 "return_reason", "replaces_id")
    assert {k: after[k] for k in protected if k in before} == \
        {k: before[k] for k in protected if k in before}
    assert _row(app, "proposals", ids.p_assigned)["state"] == "accepted"


# -- uploads ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_uploads(tmp_path_factory):
    """An app with MAX_UPLOAD_MB=1 and health co-handling a few items (opinions are due)."""
    tmp = tmp_path_factory.mktemp("uploads")
    with fresh_database(tmp) as url:
        app = build_app(url, tmp, MAX_UPLOAD_MB=1)
        with app.test_request_context():
            w = factories.build_world()
            assignments = []
            for n in range(5):
                proposal = factories.make_proposal(w["clerk"], w["meeting"], number=f"88{n}")
                co = [w["health"], w["edu"]] if n == 4 else [w["health"]]
                created = factories.assign(proposal, w["clerk"], lead=w["hr"], co=co)
                from tracker.handling import operations

                operations.accept_assignment(created[1], w["health_clerk"])
                assignments.append(created[1].id)
            db.session.commit()
            ids = SimpleNamespace(assignments=assignments, shared=assignments[4])
            db.session.remove()
        yield SimpleNamespace(app=app, ids=ids, upload_dir=Path(app.config["UPLOAD_DIR"]))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _client(env, username: str) -> Client:
    env.app.test_client_class = Client
    client = env.app.test_client()
    sign_in(env.app, client, username)
    return client


def _submit(env, client, assignment_id: int, name: str, content: bytes,
            text: str = "会办意见"):
    return client.post(f"/assignments/{assignment_id}/actions/submit_opinion", data={
        "csrf_token": client.token, "text": text,
        "attachment": (io.BytesIO(content), name),
    }, content_type="multipart/form-data")


def _stored(env) -> tuple[int, set[str]]:
    with env.app.app_context():
        count = db.session.scalar(select(func.count()).select_from(
            db.metadata.tables["attachments"]))
        db.session.remove()
    files = {p.name for p in env.upload_dir.glob("*")} if env.upload_dir.exists() else set()
    return count, files


def _state(env, assignment_id: int) -> str:
    from tracker.handling.models import Assignment

    with env.app.app_context():
        state = db.session.get(Assignment, assignment_id).state
        db.session.remove()
    return state


@pytest.mark.parametrize("name, content, status, message", [
    ("big.pdf", PDF + b"0" * (3 * 1024 * 1024 // 2), 413, "1 MB"),  # over the request limit
    ("big.pdf", PDF + b"0" * (1024 * 1024 + 10 * 1024), 422, "1 MB"),  # over the file limit
    ("report.pdf", PNG, 422, "不是有效的 PDF"),
    ("notes.pdf", "这只是一段文字，不是 PDF。".encode(), 422, "不是有效的 PDF"),
    ("photo.png", PDF, 422, "不是有效的 PNG"),
    ("page.html", b"<html><script>alert(1)</script></html>", 422, "只接受"),
    ("tool.exe", b"MZ\x90\x00", 422, "只接受"),
    ("noextension", PDF, 422, "只接受"),
], ids=["over-request-limit", "over-file-limit", "png-as-pdf", "text-as-pdf", "pdf-as-png",
        "html", "exe", "no-extension"])
def test_bad_uploads_are_refused_and_nothing_is_kept(small_uploads, name, content, status,
                                                      message):
    env = small_uploads
    assignment_id = env.ids.assignments[0]
    client = _client(env, "health_clerk")
    before = _stored(env)
    response = _submit(env, client, assignment_id, name, content)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _stored(env) == before, "a refused upload left a row or a file behind"
    assert _state(env, assignment_id) == "accepted"


def _kind(name: str) -> str:
    return "w" if "\\" in name else ("a" if name.startswith("/") else "p")


@pytest.mark.parametrize("name, original", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("/etc/cron.d/evil.pdf", "evil.pdf"),
], ids=["posix-path", "windows-path", "absolute-path"])
def test_path_like_names_are_stored_under_a_random_name(small_uploads, name, original):
    from tracker.files.models import Attachment

    env = small_uploads
    # Each success moves its assignment on: one item per case (item 0 is for refusals).
    assignment_id = env.ids.assignments[{"p": 1, "w": 2, "a": 3}[_kind(name)]]
    client = _client(env, "health_clerk")
    response = _submit(env, client, assignment_id, name, PDF)
    assert response.status_code == 302
    with env.app.app_context():
        attachment = db.session.scalars(
            select(Attachment).order_by(Attachment.id.desc())).first()
        stored, kept = attachment.stored_name, attachment.original_name
        db.session.remove()
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored), stored
    # The test client's multipart encoding drops backslashes (a quoted-string escape), so
    # the Windows case reaches the server as "....windowswin.ini.pdf": harmless, no path.
    assert kept.endswith(original) and "/" not in kept and "\\" not in kept
    assert kept not in ("", ".", "..")
    assert (env.upload_dir / stored).read_bytes() == PDF
    assert not (env.upload_dir / name).resolve().exists() or \
        (env.upload_dir / name).resolve().parent == env.upload_dir.resolve()


def test_opinion_attachments_are_only_for_those_who_may_read_the_opinion(small_uploads):
    """health (co) sends its opinion with a file: health, the lead unit (hr) and the
    supervisors may download it; edu (another co unit of the same item) and others get 404."""
    env = small_uploads
    client = _client(env, "health_clerk")
    response = _submit(env, client, env.ids.shared, f"{SECRET}附件.pdf", PDF,
                       text=f"{SECRET}会办意见")
    assert response.status_code == 302
    # Until health's leader approves it, the file is health's alone.
    with env.app.test_request_context():
        from tracker.files.models import Attachment

        pending_file = f"/attachments/{db.session.scalar(select(func.max(Attachment.id)))}"
        db.session.remove()
    assert client.get(pending_file).status_code == 200
    for user in ("hr_clerk", "clerk"):
        assert _client(env, user).get(pending_file).status_code == 404, user
    leader = _client(env, "health_leader")
    assert leader.post(f"/assignments/{env.ids.shared}/actions/approve_opinion",
                       data={"csrf_token": leader.token}).status_code == 302
    from tracker.accounts.models import User
    from tracker.accounts.operations import issue_token
    from tracker.files.models import Attachment
    from tracker.handling.models import Assignment

    with env.app.test_request_context():
        attachment_id = db.session.scalar(select(func.max(Attachment.id)))
        proposal_id = db.session.get(Assignment, env.ids.shared).proposal_id
        tokens = {name: issue_token(db.session.scalar(select(User).where(
            User.username == name)), "test") for name in ("edu_clerk", "hr_clerk")}
        db.session.commit()
        db.session.remove()
    url = f"/attachments/{attachment_id}"
    # The item page and the API: edu (co) sees the item but not health's opinion.
    for user, sees in (("hr_clerk", True), ("edu_clerk", False)):
        page = _client(env, user).get(f"/proposals/{proposal_id}")
        assert page.status_code == 200
        assert (SECRET in page.get_data(as_text=True)) is sees, user
        api = env.app.test_client().get(f"/api/v1/proposals/{proposal_id}", headers={
            "Authorization": f"Bearer {tokens[user]}"})
        if api.status_code != 404 or "api.get_proposal" in env.app.view_functions:
            assert api.status_code == 200
            assert (SECRET in api.get_data(as_text=True)) is sees, f"API as {user}"
    for user in ("health_clerk", "hr_clerk", "hr_drafter", "clerk"):
        response = _client(env, user).get(url)
        assert response.status_code == 200, user
        assert response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype == "application/pdf"
    for user in ("edu_clerk", "edu_drafter", "admin"):
        assert _client(env, user).get(url).status_code == 404, user
