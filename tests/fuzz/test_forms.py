"""Every page that changes something, fuzzed with hostile form values.

One test per POST route of app.url_map outside /api/ (workflow routes: one per action). The
fields come from the page a browser would submit: the <form> whose action is the route, on
the route's own page or on the page that hosts it (FORM_PAGES), so what is fuzzed is what the
page really sends, as a user who may use it (the security matrix's entitled user, signed in
with its session and CSRF token: a 403 for everything would prove nothing). Hypothesis then
keeps, replaces, drops or repeats each field: very long strings, NUL and other control
characters, right-to-left and mixed scripts, emoji, invalid UTF-8, huge and negative numbers,
impossible dates, lists where one value is expected, hostile file uploads, and fields the
form does not have (`state`, `unit_id`, ...). Every answer must be:

- a success (a redirect, a file, or a page that renders the result), or
- a refusal that says why (a field error, a flashed message or the error page) and leaves
  every table, every successful audit event and the stored files as they were (nothing
  half-saved);
- never a server error.

Each example runs in a savepoint rolled back afterwards, so all start from the same data.
A new POST route that the fuzz cannot drive (nobody known to be entitled, or no page with its
form) fails test_every_form_route_is_fuzzed.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.fuzz import hostile
from tests.fuzz.pages import FormField, PageForm, forms_on
from tests.support.fuzz import collection_app
from tests.support.security import ACTION_ARGS, UNKNOWN, VOLATILE_COLUMNS, Scenario, is_api
from tracker.extensions import db

# -- which routes -----------------------------------------------------------------------------


def form_routes(app) -> list[tuple[str, str | None]]:
    """(endpoint, action) of every POST route outside /api/ (workflow routes per action)."""
    lister = Scenario(app=app, connection=None, ids=SimpleNamespace(), tokens={})
    keys = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or is_api(rule.rule) or rule.endpoint == "static":
            continue
        if set(rule.arguments) & ACTION_ARGS:
            keys += [(rule.endpoint, action) for action in lister.action_names(rule)]
        else:
            keys.append((rule.endpoint, None))
    return sorted(set(keys), key=lambda k: (k[0], k[1] or ""))


FORM_ROUTES = form_routes(collection_app())

# POST-only routes: the page whose form posts to them (given the row's URL arguments).


def _issued_item_page(scenario, row) -> str:
    from tracker.replies.models import Reply

    with scenario.app.app_context():
        reply = db.session.get(Reply, row.values["reply_id"])
        url = f"/proposals/{reply.assignment.proposal_id}"
        db.session.remove()
    return url


FORM_PAGES = {
    "auth.logout": lambda sc, row: "/",
    "admin.retry_job": lambda sc, row: "/admin/jobs",
    "admin.dismiss_job": lambda sc, row: "/admin/jobs",
    "admin.retry_message": lambda sc, row: "/admin/jobs",
    "admin.add_section": lambda sc, row: f"/admin/units/{row.values['unit_id']}/edit",
    "admin.unit_publication": lambda sc, row: f"/admin/units/{row.values['unit_id']}/edit",
    "admin.unit_settings": lambda sc, row: f"/admin/units/{row.values['unit_id']}/edit",
    "admin.unit_letter_style": lambda sc, row: f"/admin/units/{row.values['unit_id']}/edit",
    "admin.reset_password": lambda sc, row: f"/admin/users/{row.values['user_id']}/edit",
    "admin.issue_token": lambda sc, row: f"/admin/users/{row.values['user_id']}/edit",
    "admin.revoke_token": lambda sc, row: f"/admin/users/{row.values['user_id']}/edit",
    "admin.delete_calendar_day": lambda sc, row: f"/admin/calendar?year={row.values['day'][:4]}",
    "notifications.mark_read": lambda sc, row: "/notifications",
    "merging.split": lambda sc, row: f"/proposals/{sc.ids.p_member}",
    "notifications.mark_all_read": lambda sc, row: "/notifications",
    "ratings.rating_form_pdf": _issued_item_page,
    "instructions.sheets_pdf": lambda sc, row: "/proposals",
    "replies.import_word":
        lambda sc, row: f"/assignments/{row.values['assignment_id']}/actions/save_draft",
    # The editor's template picker submits the draft form to it (a button's formaction).
    "replies.apply_template":
        lambda sc, row: f"/assignments/{row.values['assignment_id']}/actions/save_draft",
    "replies.toggle_template": lambda sc, row: f"/units/{sc.ids.health}/reply-templates",
}
# Routes that end or replace the client's session when they succeed: a fresh client each time.
SESSION_ENDING = {"auth.login", "auth.logout", "auth.change_password"}
# Routes whose success is a page, not a redirect, and what shows it: the new token (shown
# once), the author's thanks, a verification verdict.
SUCCESS_PAGES = {"admin.issue_token": 'class="alert alert-warning new-token"',
                 "ratings.rate": "rating-thanks", "verify.check": "verify-result",
                 # 测试 and 预览 show their result, saving nothing
                 "publication.rules": 'class="card mt-3 rule-test"',
                 "publication.rule": 'class="card mt-3 rule-test"',
                 "publication.publish": 'class="card mb-3 public-part'}
# Changes a refusal is meant to make: a failed login is counted on the user's row.
REFUSAL_MAY_CHANGE = {"auth.login": {"failed_logins", "locked_until"}}
# Random examples per route (on top of the explicit ones, see explicit_examples), fewer where
# each request is slow by design (argon2 password hashing, a letter rendered and signed at
# issue, a 征询意见表 rendered, a workbook parsed).
MAX_EXAMPLES = 6
SLOW = {("auth.login", None): 3, ("auth.change_password", None): 3,
        ("admin.new_user", None): 4, ("admin.reset_password", None): 3,
        ("handling.assignment_action", "issue"): 2, ("imports.upload", None): 3,
        ("ratings.rating_form_pdf", None): 2, ("publication.publish", None): 2}

# A field's error, a flashed warning, or the error page (error.html).
ERROR_MARKERS = re.compile(r'class="[^"]*\b(invalid-feedback|alert-danger|alert-warning)\b'
                           r'|<title>出错了')
MESSAGES = re.compile(r'class="[^"]*\b(?:invalid-feedback|alert-danger|alert-warning)\b[^"]*"'
                      r'[^>]*>(.*?)</div>', re.S)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
REFUSAL_STATUSES = {200, 400, 409, 413, 422}
# The fuzz always sends the session's token: a CSRF refusal means the view was never reached.
CSRF_REFUSED = "页面已过期或请求来源无法验证"

# -- payloads ---------------------------------------------------------------------------------

class _Choice:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


KEEP, MISSING = _Choice("KEEP"), _Choice("MISSING")  # the field as the page has it; none


def field_strategy(f: FormField):
    """Keep the field, drop it, give it one hostile value or several values."""
    if f.kind == "file":
        uploads = hostile.UPLOADS
        return st.one_of(st.just(KEEP), uploads, st.lists(uploads, min_size=2, max_size=2))
    scalar = hostile.VALUES | st.sampled_from(f.choices) if f.choices else hostile.VALUES
    return st.sampled_from(["keep"] * 3 + ["hostile"] * 3 + ["missing", "many"]).flatmap(
        lambda mode: {"keep": st.just(KEEP), "missing": st.just(MISSING), "hostile": scalar,
                      "many": st.lists(scalar, min_size=2, max_size=4)}[mode])


def payload_strategy(form: PageForm):
    fields = {name: field_strategy(f) for name, f in form.fields.items()
              if name != form.csrf_field}
    return st.fixed_dictionaries({
        "fields": st.fixed_dictionaries(fields),
        "extra": st.dictionaries(st.sampled_from(hostile.EXTRA_FIELDS) | hostile.ANY_TEXT,
                                 hostile.VALUES, max_size=2),
    })


def every_field(form: PageForm, value) -> dict:
    """An explicit example: the same choice for every field (file fields: none)."""
    return {"fields": {name: value if f.kind != "file" or value is MISSING else KEEP
                       for name, f in form.fields.items() if name != form.csrf_field},
            "extra": {}}


def explicit_examples(target) -> list[dict]:
    """Examples tried on every run: every field hostile at once in a few ways, then each
    whole-number and date field alone (the others valid, so that the value gets as far as
    the operation): a number no column can hold, dates at the ends of the calendar."""
    form = target.form
    files = {n for n, f in form.fields.items() if f.kind == "file"}

    def each(text, upload):
        example_ = every_field(form, text)
        example_["fields"].update({n: upload for n in files})
        return example_

    examples = [
        each("\x00" + hostile.LONG + "\u202e😀", (b"\x00" * 64, "../a\x00.pdf")),
        each(["9999-99-99", "²", "-1"], [(b"PK\x03\x04", "a.docx"), (b"", "b.pdf")]),
        every_field(form, MISSING),
        {**every_field(form, str(2**70)),
         "extra": {"state": "closed", "unit_id": "1", "approved_by": "1"}},
    ]
    for name, values in target.baseline.items():
        text = str(values[0]) if values else ""
        if name == form.csrf_field or form.fields[name].kind == "file":
            continue
        if text.isascii() and text.isdigit():
            tries = [str(2**70)]
        elif DATE.match(text) or form.fields[name].kind == "date":
            tries = ["9999-12-31", "0001-01-01"]
        else:
            continue
        for value in tries:
            example_ = every_field(form, KEEP)
            example_["fields"][name] = value
            examples.append(example_)
    return examples


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- sending and judging ---------------------------------------------------------------------


@dataclass
class Target:
    """One fuzzed request: the row of the route matrix, its user, its form and baseline."""

    row: object
    user: str | None
    form: PageForm
    baseline: dict[str, list]  # field -> what a valid submission sends
    before: dict | None = None


def discover(scenario, row) -> Target:
    """The entitled user, and the page form that posts to row's URL (fails when unknown)."""
    user = scenario.entitled_user(row)
    assert user != UNKNOWN, (
        f"{row.label}: nobody is known to be entitled to it; say who in "
        f"tests/security/conftest.py (Scenario.entitled_user / ACTION_ALLOWED)")
    endpoint = row.rule.endpoint
    page = FORM_PAGES[endpoint](scenario, row) if endpoint in FORM_PAGES else row.url
    client = scenario.client(user)
    response = client.get(page)
    assert response.status_code == 200, (
        f"{row.label}: its page {page} answers {response.status_code} to {user}; "
        f"add the page that holds its form to FORM_PAGES in {__name__}")
    path = urlsplit(row.url).path
    forms = [f for f in forms_on(response.get_data(as_text=True), page) if f.action == path]
    assert forms, (f"{row.label}: no <form method=post> for it on {page} as {user}; add the "
                   f"page that holds its form to FORM_PAGES in {__name__}")
    form = forms[0]
    assert form.csrf_field, f"{row.label}: the form on {page} has no CSRF token"
    baseline = {name: list(f.values) for name, f in form.fields.items()}
    # Valid values from the security scenario, so that one bad field at a time gets as far as
    # the operation instead of stopping at the first required field left empty.
    for name, value in scenario.payload(row).items():
        if name in form.fields:
            baseline[name] = value if isinstance(value, list) else [value]
    return Target(row, user, form, baseline)


def build_request(target: Target, payload: dict, token: str):
    """(pairs, files) for the payload: each field kept, dropped, replaced or repeated."""
    pairs: list[tuple[str, object]] = [(target.form.csrf_field, token)]
    files: list[tuple[str, tuple]] = []
    for name, f in target.form.fields.items():
        if name == target.form.csrf_field:
            continue
        choice = payload["fields"][name]
        if choice is MISSING:
            continue
        if f.kind == "file":
            if choice is KEEP:
                uploads = [v for v in target.baseline[name] if isinstance(v, tuple)]
            else:
                uploads = choice if isinstance(choice, list) else [choice]
            files += [(name, upload) for upload in uploads]
            continue
        values = target.baseline[name] if choice is KEEP else (
            choice if isinstance(choice, list) else [choice])
        pairs += [(name, value) for value in values]
    pairs += list(payload["extra"].items())
    return pairs, files


def send(client, url: str, form: PageForm, pairs, files):
    if files or form.multipart:
        data = MultiDict()
        for name, value in pairs:
            data.add(name, value.decode("latin-1") if isinstance(value, bytes) else str(value))
        for name, upload in files:
            content, filename = upload
            if isinstance(content, str):  # a path (the scenario's valid workbook)
                data.add(name, (content, filename))
            else:
                data.add(name, (io.BytesIO(content), filename))
        return client.post(url, data=data, content_type="multipart/form-data")
    # Form-encoded by hand, so that invalid UTF-8 reaches the server as a browser could send it.
    body = urlencode([(name, value if isinstance(value, bytes) else str(value))
                      for name, value in pairs])
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def stored_files(app) -> set[str]:
    from pathlib import Path

    found = set()
    for key in ("UPLOAD_DIR", "LETTER_DIR"):
        root = Path(app.config[key])
        if root.is_dir():
            found |= {f"{key}/{p.relative_to(root)}" for p in root.rglob("*") if p.is_file()}
    return found


def db_state(app, ignore: set[str] = frozenset()) -> dict:
    """Every row of every table (audit: the successful events), without volatile columns."""
    with app.app_context():
        state: dict = {}
        for table in db.metadata.sorted_tables:
            if table.name in {"audit_events", "audit_head"}:
                continue
            cols = [c for c in table.columns if c.name not in VOLATILE_COLUMNS | set(ignore)]
            rows = db.session.execute(select(*cols)).all()
            state[table.name] = sorted(tuple(map(repr, r)) for r in rows)
        events = db.metadata.tables["audit_events"]
        state["audit_events(success)"] = db.session.execute(
            select(events.c.seq, events.c.action, events.c.object_type, events.c.object_id)
            .where(events.c.outcome == "success").order_by(events.c.seq)).all()
        db.session.remove()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def describe(target: Target, pairs, files, response=None) -> str:
    shown = [(n, (v[:60] + "…") if isinstance(v, (str, bytes)) and len(v) > 60 else v)
             for n, v in pairs if n != target.form.csrf_field]
    uploads = [(n, (u[1][:40], len(u[0]))) for n, u in files]
    status = f" -> {response.status_code}" if response is not None else ""
    return (f"{target.row.label} as {target.user or 'anonymous'}{status}\n"
            f"  fields: {shown!r}\n  files: {uploads!r}")


def check_answer(scenario, target: Target, pairs, files, response, files_before) -> None:
    """The answer is a success, or a refusal with a message that changed nothing."""
    endpoint = target.row.rule.endpoint
    text = describe(target, pairs, files, response)
    assert response.status_code < 500, f"server error: {text}"
    if 300 <= response.status_code < 400:
        location = urlsplit(response.headers.get("Location", "")).path
        assert location != "/login" or endpoint in SESSION_ENDING, (
            f"sent to the login page (the fuzz lost its session): {text}")
        return
    if response.mimetype != "text/html":
        assert response.status_code == 200, f"unexpected answer {response.mimetype}: {text}"
        return
    html = response.get_data(as_text=True)
    if response.status_code == 200 and endpoint in SUCCESS_PAGES \
            and SUCCESS_PAGES[endpoint] in html:
        return
    assert CSRF_REFUSED not in html, f"the CSRF check stopped the request: {text}"
    has_message = bool(ERROR_MARKERS.search(html))
    assert response.status_code in REFUSAL_STATUSES, f"unexpected status: {text}"
    assert has_message, f"refused without a message on the page: {text}"
    english = [m for m in (re.sub(r"<[^>]+>", "", m).strip() for m in MESSAGES.findall(html))
               if m and not CHINESE.search(m)]
    assert not english, f"messages not in Chinese ({english}): {text}"
    after = db_state(scenario.app, REFUSAL_MAY_CHANGE.get(endpoint, set()))
    changed = changed_tables(target.before, after)
    assert not changed, f"refused, but the database changed ({', '.join(changed)}): {text}"
    new_files = stored_files(scenario.app) - files_before
    assert not new_files, f"refused, but files were stored ({sorted(new_files)}): {text}"


def fuzz_row(scenario, target: Target, max_examples: int) -> None:
    endpoint = target.row.rule.endpoint
    ignore = REFUSAL_MAY_CHANGE.get(endpoint, set())
    target.before = db_state(scenario.app, ignore)

    @settings(max_examples=hostile.examples(max_examples), deadline=None, database=None)
    @given(payload=payload_strategy(target.form))
    def run(payload):
        with scenario.rolled_back():
            if endpoint in SESSION_ENDING:
                client = scenario.fresh_client(target.user)
            else:
                client = scenario.client(target.user)
            pairs, files = build_request(target, payload, client.token)
            files_before = stored_files(scenario.app)
            try:
                response = send(client, target.row.url, target.form, pairs, files)
            except Exception as exc:  # TESTING propagates what would be a 500
                raise AssertionError(f"server error ({type(exc).__name__}: {exc}): "
                                     + describe(target, pairs, files)) from exc
            check_answer(scenario, target, pairs, files, response, files_before)

    for explicit in explicit_examples(target):
        run = example(payload=explicit)(run)
    run()


# -- the tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def form_rows(_module_scenario):
    """The route matrix's POST rows outside /api/, by (endpoint, action)."""
    rows: dict[tuple, list] = {}
    for row in _module_scenario.routes():
        if row.method == "POST" and not row.api:
            rows.setdefault((row.rule.endpoint, row.action), []).append(row)
    return rows


@pytest.mark.parametrize("key", FORM_ROUTES, ids=lambda k: f"{k[0]}:{k[1]}" if k[1] else k[0])
def test_form_survives_hostile_input(_module_scenario, form_rows, key):
    scenario = _module_scenario
    rows = form_rows.get(key)
    assert rows, f"{key} is not in the route matrix of tests/security/conftest.py"
    for row in rows:
        with scenario.rolled_back():
            target = discover(scenario, row)
            fuzz_row(scenario, target, SLOW.get(key, MAX_EXAMPLES))


def test_every_form_route_is_fuzzed(scenario, form_rows):
    """Every POST route outside /api/ has a test above, an entitled user and a page form."""
    assert set(form_rows) == set(FORM_ROUTES)
    problems = []
    for rows in form_rows.values():
        for row in rows:
            try:
                discover(scenario, row)
            except AssertionError as exc:
                problems.append(str(exc).splitlines()[0])
    assert not problems, "routes the form fuzz cannot drive:\n  " + "\n  ".join(problems)


def test_a_new_post_route_fails_until_the_fuzz_can_drive_it(scenario):
    """A POST route added tomorrow gets its own fuzz test from the URL map, and that test fails
    (as does the one above) until someone says who may use it and where its form is."""
    from werkzeug.routing import Map, Rule

    from tests.support.security import Row

    rules = [rule.empty() for rule in scenario.app.url_map.iter_rules()]
    unknown = Rule("/frobnicate", endpoint="proposals.frobnicate", methods=["POST"])
    no_page = Rule("/admin/frobnicate", endpoint="admin.frobnicate", methods=["POST"])
    grown = SimpleNamespace(url_map=Map(rules + [unknown, no_page]))
    assert set(form_routes(grown)) - set(FORM_ROUTES) == {
        ("proposals.frobnicate", None), ("admin.frobnicate", None)}
    with pytest.raises(AssertionError, match="nobody is known to be entitled"):
        discover(scenario, Row(unknown, "POST", {}, "/frobnicate"))
    with pytest.raises(AssertionError, match="add the page that holds its form to FORM_PAGES"):
        discover(scenario, Row(no_page, "POST", {}, "/admin/frobnicate"))


# -- regressions: server errors and silent refusals the fuzz found ------------------------------


def _post(scenario, user, url, data, files=None):
    """POST as user (with the CSRF token); the answer, the tables changed, the files added."""
    client = scenario.client(user)
    before, files_before = db_state(scenario.app), stored_files(scenario.app)
    payload = MultiDict([("csrf_token", client.token), *data])
    for name, (content, filename) in (files or {}).items():
        payload.add(name, (io.BytesIO(content), filename))
    response = client.post(url, data=payload, content_type="multipart/form-data")
    return (response, changed_tables(before, db_state(scenario.app)),
            stored_files(scenario.app) - files_before)


def _messages(response) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip()
            for m in MESSAGES.findall(response.get_data(as_text=True))]


def test_version_in_other_digits_is_refused(scenario):
    """version=² was a 500: "²".isdigit() is true, int("²") raises ValueError."""
    url = f"/assignments/{scenario.ids.a_drafting}/actions/request_extension"
    response, changed, _ = _post(scenario, "health_clerk", url, [
        ("version", "²"), ("reason", "需补充调研"), ("one_month", "y")])
    assert response.status_code == 422 and not changed
    assert "页面数据「版本」有误：不是有效的整数。请刷新页面后重新提交。" in _messages(response)


@pytest.mark.parametrize(("user", "url", "data", "field_label"), [
    # A number no column holds went to the database: OverflowError on SQLite (500).
    ("admin", "/admin/units/{health}/settings",
     [("settings-review_levels", "first"), ("settings-principal_leader_id", str(2**70))],
     "主要负责人"),
    ("health_clerk", "/assignments/{a_drafting}/actions/save_draft",
     [("base_number", str(2**70)), ("body", "一、答复"), ("result_class", "A"),
      ("reply_form", "written"), ("disclosure", "public")], "基于第几稿"),
    ("clerk", "/replies/{issued_reply}/ratings/new",
     [("author_id", str(2**70)), ("handling", "satisfied"), ("result", "satisfied"),
      ("contacted", "no")], "提出人"),
])
def test_numbers_too_large_for_the_database_are_refused(scenario, user, url, data,
                                                        field_label):
    from tracker.core.forms import TOO_LARGE

    response, changed, _ = _post(scenario, user, url.format(**vars(scenario.ids)), data)
    assert response.status_code == 422, response.status_code
    assert not changed
    assert any(TOO_LARGE in message for message in _messages(response))
    assert field_label in response.get_data(as_text=True)


def test_invalid_choices_are_explained_in_chinese(scenario):
    """WTForms' Chinese catalogue has this message marked fuzzy: it came out in English."""
    url = f"/proposals/{scenario.ids.p_drafting}/actions/assign"
    response, changed, _ = _post(scenario, "clerk", url, [("co_unit_ids", "999999")])
    assert response.status_code == 422 and not changed
    assert "所选的项中有无效的选项，请重新选择。" in _messages(response)
    assert "is not a valid choice" not in response.get_data(as_text=True)


def test_forged_letter_code_on_the_verification_page_is_explained(scenario):
    """The hidden letter code's error was not shown: the page came back without a word."""
    client = scenario.client(None)
    response = client.post("/verify", data={
        "csrf_token": client.token, "letter_code": "X" * 41,
        "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "答复.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "页面中的验证码无效，请从答复函的验证页面重新上传文件。" in _messages(response)


def test_refused_upload_leaves_no_file(scenario):
    """An opinion with a stale version (409) left its stored attachment behind."""
    from tests.support.security import PDF

    url = f"/assignments/{scenario.ids.a_co_accepted}/actions/submit_opinion"
    response, changed, new_files = _post(
        scenario, "health_clerk", url, [("version", "-1"), ("text", "同意主办单位意见。")],
        files={"attachment": (PDF, "意见.pdf")})
    assert response.status_code == 409
    assert not changed and not new_files


def test_id_too_large_for_the_database_in_a_posted_url_is_not_found(scenario):
    """/notifications/<10**30>/read reached the database: OverflowError (500)."""
    response, changed, _ = _post(scenario, "health_clerk", f"/notifications/{10**30}/read", [])
    assert response.status_code == 404 and not changed


# -- the batch import: hostile cells in a well-formed workbook -----------------------------------


def _cell_text(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return ILLEGAL_CHARACTERS_RE.sub("", text)  # openpyxl cannot write the others to a file


CELLS = st.one_of(
    hostile.VALUES.map(_cell_text),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.none(),
    st.sampled_from(["=1/0", "=A1", '=HYPERLINK("http://10.0.0.1/")', "=SUM(1E308,1E308)"]),
)


def test_import_survives_hostile_cells(scenario):
    """交办清单 workbooks whose cells hold hostile values (text, numbers, dates, formulas,
    booleans, empty cells) in any column: imported, or refused with the problems listed
    and nothing saved — never a server error."""
    from tests.support.imports import HEADERS, item, xlsx

    columns = [c for c in item(0)]
    client = scenario.client("clerk")
    before = db_state(scenario.app)

    @settings(max_examples=hostile.examples(8), deadline=None, database=None)
    @given(rows=st.lists(st.dictionaries(st.sampled_from(columns), CELLS, max_size=4),
                         min_size=1, max_size=3),
           headers=st.sampled_from([HEADERS, HEADERS[:-2], HEADERS + HEADERS[:1],
                                    list(reversed(HEADERS))]))
    def run(rows, headers):
        content = xlsx([item(9960 + n, **changes) for n, changes in enumerate(rows)], headers)
        with scenario.rolled_back():
            try:
                response = client.post("/imports", data={
                    "csrf_token": client.token, "file": (io.BytesIO(content), "交办清单.xlsx")},
                    content_type="multipart/form-data")
            except Exception as exc:  # TESTING propagates what would be a 500
                raise AssertionError(f"server error ({type(exc).__name__}: {exc}) importing "
                                     f"{rows!r} under {headers!r}") from exc
            if response.status_code == 302:
                return
            assert response.status_code == 422, (response.status_code, rows)
            assert ERROR_MARKERS.search(response.get_data(as_text=True)), rows
            assert not changed_tables(before, db_state(scenario.app)), rows

    run()
