"""Shared data and helpers for the security suite.

`scenario` builds, once per test module (each test runs in a savepoint rolled back after
it), the standard world plus items that belong to the health unit in every assignment state
that has actions (a contact, a co-handling opinion with a PDF attachment, reply drafts in
review, API tokens for every user), keeps logged-in clients and offers:

- `routes()`: every rule of app.url_map (except static) × method, with its URL arguments
  filled with ids of health's objects. An argument it cannot fill fails the test, so a new
  route cannot slip past the access matrix unnoticed.
- `snapshot()`: the database content that a refused request must not change
  (`fingerprint()`: a cheaper version for the bigger matrices).
- `rolled_back()`: run a request inside a savepoint that is rolled back afterwards (positive
  controls may really change things; the next row must start from the same data)."""
from __future__ import annotations

import hashlib
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from tests import factories
from tests.support.base import Client
from tracker.core.time import today
from tracker.extensions import db
from tracker.publication.models import RedactionRule

SECRET = "HEALTHSECRET"  # ASCII, so it is found in JSON with escaped non-ASCII too
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

API_PREFIX = "/api/v1"
# Reachable without logging in; everything else must send anonymous users away.
# The verification pages of signed letters are for anyone holding a letter (no login).
VERIFY_ENDPOINTS = {"verify.index", "verify.check", "verify.letter", "verify.letter_pdf"}
# The rating page of an author's personal link (the link is the credential), and the page
# where the code of a paper form is typed to open it.
RATING_ENDPOINTS = {"ratings.rate", "ratings.enter_code"}
# The portal of 办理结果公开: the published versions, public by design (what they may show is
# tests/portal/test_nothing_internal.py's).
PORTAL_ENDPOINTS = {"portal.index", "portal.show", "portal.pdf", "portal.feed",
                    "portal.statistics"}
PUBLIC_ENDPOINTS = {"auth.login", "static"} | VERIFY_ENDPOINTS | RATING_ENDPOINTS \
    | PORTAL_ENDPOINTS
PUBLIC_PATHS = {API_PREFIX + "/openapi.json", API_PREFIX + "/docs"}
# Endpoints that act on the user's own account (anyone logged in may use them).
SELF_SERVICE_ENDPOINTS = {"auth.login", "auth.logout", "auth.change_password",
                          "notifications.mark_all_read", "notifications.settings",
                          # a batch of 征询意见表 of the clerk's own unit (a supervisor: any)
                          "ratings.print_batches"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

# URL argument names -> how to fill them. "owned": an object of the health unit, which users
# of another unit must never reach. "shared": an object every unit may read (meetings, the
# holiday calendar's days, the health unit itself as a name to choose; its users' details
# carry the SECRET marker, so a page or API answer that shows them to another unit fails).
OWNED_ARGS = {"notification_id", "urge_id", "batch_id", "instruction_id",
              "proposal_id", "assignment_id", "attachment_id", "contact_id", "opinion_id",
              "user_id", "section_id", "token_id", "reply_id", "author_id", "template_id",
              "publication_id", "commitment_id"}
SHARED_ARGS = {"meeting_id", "day", "unit_id", "number", "run_id", "message_id", "rule_id"}
# The letter's files: the issued one (PDF, .docx) and a draft version's (API).
ISSUED_LETTER_ENDPOINTS = {"replies.issued_letter", "replies.issued_letter_docx",
                           "api.issued_letter_pdf", "api.issued_letter_docx"}
DRAFT_LETTER_ENDPOINTS = {"api.draft_letter_pdf", "api.draft_letter_docx"}
# The preview of the letter about to be issued: only for a signed reply.
SIGNED_LETTER_ENDPOINTS = {"replies.issue_preview"}
# An approved 会办意见's letter (the opinion of a_opinion).
OPINION_ENDPOINTS = {"replies.opinion_letter", "api.opinion_letter_pdf"}
ACTION_ARGS = {"name", "action"}
# "code": the verification code printed on health's issued letter (public by design: it
# opens /verify/<code> for whoever holds the letter).
# "token": the personal rating link of the issued letter's author (public by design too).
PUBLIC_ARGS = {"code", "token"}
KNOWN_ARGS = OWNED_ARGS | SHARED_ARGS | ACTION_ARGS | PUBLIC_ARGS
VERIFY_CODE = "SCENARQQ23456789"  # 16 characters of tracker.signing.codes.ALPHABET

# Who may take each workflow action on health's assignments (or on an item), written
# independently of tracker.handling.workflow so that a weakened rule there is noticed.
# Keys: an action, or (action, assignment state) when it depends on the state.
ACTION_ALLOWED = {
    "assign": {"clerk"},
    "approve_return": {"clerk"},
    "reject_return": {"clerk"},
    "accept": {"health_clerk"},
    "request_return": {"health_clerk"},
    "dispatch": {"health_clerk"},
    # The unit's clerk, or the drafter the item was passed to (health_drafter on item 1).
    "record_contact": {"health_clerk", "health_drafter"},
    "submit_opinion": {"health_clerk"},
    # health's 会办意见: its signers (the principal leader is one) approve or return it.
    "approve_opinion": {"health_signer", "health_leader"},
    "return_opinion": {"health_signer", "health_leader"},
    "save_draft": {"health_clerk", "health_drafter"},
    "submit_review": {"health_clerk", "health_drafter"},
    "override_cosign": {"clerk"},
    ("approve", "first_review"): {"health_first"},
    ("approve", "second_review"): {"health_second"},
    ("approve", "final_review"): {"health_final"},
    ("return_draft", "first_review"): {"health_first"},
    ("return_draft", "second_review"): {"health_second"},
    ("return_draft", "final_review"): {"health_final"},
    # Not a key item: any signer of the unit (the principal leader is one too).
    ("return_draft", "awaiting_signature"): {"health_signer", "health_leader"},
    # A signed letter that cannot be issued goes back for correction: who may issue it.
    ("return_draft", "signed"): {"health_clerk", "health_signer", "health_leader"},
    "sign": {"health_signer", "health_leader"},
    "issue": {"health_clerk", "health_signer", "health_leader"},
    "close": {"clerk"},
    # 延期: the unit's clerk asks (once), the supervising clerk decides.
    "request_extension": {"health_clerk"},
    "approve_extension": {"clerk"},
    "reject_extension": {"clerk"},
}
# The scenario's health assignments on which each action is checked (one per state).
ACTION_TARGETS = {
    "accept": ["a_assigned"], "request_return": ["a_assigned"],
    "approve_return": ["a_return_requested"], "reject_return": ["a_return_requested"],
    "dispatch": ["a_drafting"], "record_contact": ["a_drafting"],
    "submit_opinion": ["a_co_accepted"],
    "approve_opinion": ["a_opinion_pending"], "return_opinion": ["a_opinion_pending"],
    "save_draft": ["a_drafting"], "override_cosign": ["a_drafting"],
    "submit_review": ["a_drafting"],
    "approve": ["a_first", "a_second", "a_final"],
    "return_draft": ["a_first", "a_second", "a_final", "a_awaiting", "a_signed"],
    "sign": ["a_awaiting"], "issue": ["a_signed"],
    "request_extension": ["a_drafting"],
    "approve_extension": ["a_extension"], "reject_extension": ["a_extension"],
}
SCENARIO_ASSIGNMENTS = ("a_assigned", "a_return_requested", "a_drafting", "a_co_accepted",
                        "a_opinion", "a_opinion_pending", "a_first", "a_second", "a_final", "a_awaiting",
                        "a_signed", "a_extension")
# Pages only the supervising office's clerks (and for meetings, administrators) may use.
SUPERVISOR_ONLY = {
    "proposals.register": {"clerk"},
    "proposals.edit": {"clerk"},
    "proposals.new_meeting": {"clerk", "admin"},
    "proposals.edit_meeting": {"clerk", "admin"},
    # A paper 征询意见表 entered on an author's behalf.
    "rating_admin.enter_rating": {"clerk"},
    # Batch import of a 交办清单 (tracker.imports).
    "imports.index": {"clerk"},
    "imports.template": {"clerk"},
    "imports.upload": {"clerk"},
    # 催办: one assignment (a_drafting), or all of health's overdue ones (item 14).
    "supervision.urge_assignment": {"clerk"},
    "supervision.urge_unit": {"clerk"},
    # 并案 (tracker.merging): the registering office joins and splits items.
    "merging.join": {"clerk"},
    "merging.split": {"clerk"},
    # 承诺事项: the annual 回头看 and its workbook (tracker.commitments).
    "commitments.review": {"clerk"},
    "supervision.commitment_review_xlsx": {"clerk"},
}

UNKNOWN = "<unknown>"

# Columns that may change on a refused request without changing anything that matters.
VOLATILE_COLUMNS = {"last_used_at", "last_login_at"}


_IMPORT_FILE: list[str] = []


def import_file_path() -> str:
    """A valid 交办清单 for the scenario's meeting, on disk: given as a path, the test client
    reopens it for every request (a stream would be empty the second time)."""
    if not _IMPORT_FILE:
        import tempfile
        from pathlib import Path

        from tests.support.imports import item, xlsx

        path = Path(tempfile.mkdtemp()) / "import.xlsx"
        path.write_bytes(xlsx([item(9950), item(9951, co="省人力资源和社会保障厅")]))
        _IMPORT_FILE.append(str(path))
    return _IMPORT_FILE[0]


def pdf_upload(name: str = "会办意见.pdf", content: bytes = PDF) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name, content_type="application/pdf")


def is_api(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def is_admin_path(path: str) -> bool:
    return path.startswith("/admin") or path.startswith(API_PREFIX + "/admin")


def is_public(rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.rule in PUBLIC_PATHS


def redirects_to_login(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    return urlsplit(response.headers.get("Location", "")).path == "/login"


def sign_in(app, client: Client, username: str) -> None:
    """Give client the session a login through /login gives, without the argon2 check.

    The matrices make hundreds of requests as a dozen users; verifying a password costs about
    0.3 s, so they write the session login() would write (user id with its session version,
    login time) and keep every check made on later requests: the user loader, the session
    version, the idle and absolute timeouts. tests/security/test_sessions.py and test_login.py
    go through the real login form.
    """
    from tracker.accounts.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None, f"no user {username!r}"
        user_id = user.get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = user_id
        session["_fresh"] = True
        session["login_at"] = datetime.now(UTC).timestamp()
        session.permanent = True
    response = client.get("/")
    assert response.status_code == 200, (
        f"a session written like the login view's was refused for {username} "
        f"({response.status_code}); update sign_in() in tests/security/conftest.py")
    fetch_token(client, "/")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_as_text(response):
    """An .xlsx answer (the supervision exports) as the text of its cells, so that the checks
    for another unit's data see inside the spreadsheet, not its zip bytes."""
    if response.status_code == 200 and response.mimetype == XLSX:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
        cells = [str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                 for value in row if value is not None]
        response.set_data("\n".join(cells).encode("utf-8"))
    return response


def fetch_token(client: Client, path: str) -> str:
    """The CSRF token of a page's form ("" when there is none: the requests made with it are
    then refused, and the positive controls of the matrices report it)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    client.token = match.group(1) if match else ""
    return client.token


@dataclass
class Row:
    """One request of a matrix: a rule, a method and the filled URL."""

    rule: object
    method: str
    values: dict
    url: str
    action: str | None = None
    # False when the scenario has no object on which the action is available (the row then
    # points at a stand-in object: refusals are still checked, positive controls are not).
    ready: bool = True

    @property
    def api(self) -> bool:
        return is_api(self.rule.rule)

    @property
    def admin(self) -> bool:
        return is_admin_path(self.rule.rule)

    @property
    def mutating(self) -> bool:
        return self.method in MUTATING

    @property
    def owned(self) -> bool:
        return bool(set(self.rule.arguments) & OWNED_ARGS)

    @property
    def label(self) -> str:
        return f"{self.method} {self.url} ({self.rule.endpoint})"


@dataclass
class Scenario:
    app: object
    connection: object
    ids: SimpleNamespace
    tokens: dict[str, str]
    _clients: dict = field(default_factory=dict)
    unready: set = field(default_factory=set)

    # -- clients -----------------------------------------------------------------------
    def client(self, username: str | None = None) -> Client:
        """A cookie client logged in as username (None: anonymous with a CSRF token); cached."""
        if username in self._clients:
            return self._clients[username]
        self.app.test_client_class = Client
        client = self.app.test_client()
        if username is None:
            fetch_token(client, "/login")
        else:
            sign_in(self.app, client, username)
        self._clients[username] = client
        return client

    def fresh_client(self, username: str | None = None) -> Client:
        """A new client (not cached): for requests that end or change its session."""
        self._clients.pop(username, None)
        client = self.client(username)
        self._clients.pop(username, None)
        return client

    def login(self, *usernames: str | None) -> None:
        """Log these users in now (before a snapshot: a login itself changes the database)."""
        for username in usernames:
            self.client(username)

    def api_client(self) -> Client:
        if "<api>" not in self._clients:
            self.app.test_client_class = Client
            self._clients["<api>"] = self.app.test_client()
        return self._clients["<api>"]

    def request(self, row: Row, username: str | None, *, data: dict | None = None,
                csrf: bool = True, bearer: bool | None = None, client: Client | None = None):
        """Send row as username: a bearer token for API rows, the cookie session otherwise."""
        bearer = row.api if bearer is None else bearer
        if bearer:
            client = self.api_client()
            headers = {}
            if username is not None:
                headers["Authorization"] = f"Bearer {self.tokens[username]}"
            kwargs = {"json": data or {}} if row.mutating else {}
            return client.open(row.url, method=row.method, headers=headers, **kwargs)
        if client is None:
            assert username in self._clients, f"call scenario.login({username!r}) first"
            client = self.client(username)
        if not row.mutating:
            return spreadsheet_as_text(client.open(row.url, method=row.method))
        payload = dict(data or {})
        if csrf:
            payload["csrf_token"] = client.token
        else:
            payload.pop("csrf_token", None)
        return client.open(row.url, method=row.method, data=payload)

    # -- data --------------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Every row of every table (audit: only successful events), for before/after checks."""
        with self.app.app_context():
            db.session.expire_all()
            state: dict = {}
            for table in db.metadata.sorted_tables:
                if table.name in {"audit_events", "audit_head"}:
                    continue
                cols = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
                rows = db.session.execute(select(*cols)).all()
                state[table.name] = sorted(tuple(map(repr, r)) for r in rows)
            events = db.metadata.tables["audit_events"]
            state["audit_events(success)"] = db.session.execute(
                select(events.c.seq, events.c.action, events.c.object_type, events.c.object_id)
                .where(events.c.outcome == "success").order_by(events.c.seq)
            ).all()
            db.session.remove()
        return state

    def fingerprint(self) -> dict:
        """A cheaper snapshot (5 queries): row counts of every table, the successful audit
        events and the content of the tables a workflow move or an account change writes."""
        from sqlalchemy import func, literal, union_all

        with self.app.app_context():
            tables = [t for t in db.metadata.sorted_tables
                      if t.name not in ("audit_head", "audit_events")]
            counts = union_all(*[
                select(literal(t.name).label("name"), func.count().label("n")).select_from(t)
                for t in tables])
            state: dict = {"counts": sorted(db.session.execute(counts).all())}
            for name in ("assignments", "proposals", "users"):
                table = db.metadata.tables[name]
                cols = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
                state[name] = sorted(tuple(map(repr, r))
                                     for r in db.session.execute(select(*cols)).all())
            events = db.metadata.tables["audit_events"]
            state["audit_events(success)"] = db.session.execute(
                select(events.c.seq, events.c.action).where(events.c.outcome == "success")
                .order_by(events.c.seq)).all()
            db.session.remove()
        return state

    @contextmanager
    def rolled_back(self):
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            with self.app.app_context():
                db.session.remove()

    def audit_events(self, **where) -> list:
        from tracker.audit.models import AuditEvent

        with self.app.app_context():
            query = select(AuditEvent).order_by(AuditEvent.seq)
            for key, value in where.items():
                query = query.where(getattr(AuditEvent, key) == value)
            rows = db.session.scalars(query).all()
            result = [SimpleNamespace(action=e.action, outcome=e.outcome, actor_id=e.actor_id,
                                      actor_name=e.actor_name, details=e.details) for e in rows]
            db.session.remove()
        return result

    # -- routes ------------------------------------------------------------------------
    def arg_value(self, rule, name: str, action: str | None):
        ids = self.ids
        if name == "proposal_id":
            if rule.endpoint == "merging.split":
                return ids.p_member  # a member of item 1's 并案 group
            if rule.endpoint == "merging.join":
                return ids.p_free  # no draft begun: it may take members
            if rule.endpoint.startswith("commitments."):
                return ids.p_committed  # health's issued B reply (承诺事项)
            if action is not None and "assignment_id" not in rule.arguments:
                return self.proposal_for_action(action)
            return ids.p_drafting
        if name == "assignment_id":
            if rule.endpoint in ISSUED_LETTER_ENDPOINTS:
                return ids.a_issued  # the stored letter exists only once issued
            if rule.endpoint in DRAFT_LETTER_ENDPOINTS:
                return ids.a_first  # its first version is the draft under review
            if rule.endpoint in SIGNED_LETTER_ENDPOINTS:
                return ids.a_signed
            if rule.endpoint in OPINION_ENDPOINTS:
                return ids.a_opinion  # whose approved opinion is ids.opinion
            return ids.a_drafting
        if name == "number":
            return 1  # a draft's version number (of a_first)
        simple = {
            "attachment_id": ids.attachment, "contact_id": ids.contact,
            "opinion_id": ids.opinion, "unit_id": ids.health, "user_id": ids.health_clerk,
            "section_id": ids.health_section, "token_id": ids.health_token,
            "meeting_id": ids.meeting, "day": ids.calendar_day, "code": ids.verify_code,
            "reply_id": ids.issued_reply, "author_id": ids.issued_author,
            "token": ids.rating_token, "notification_id": ids.notification,
            "run_id": ids.failed_run, "message_id": ids.failed_message,
            "urge_id": ids.urge, "batch_id": ids.print_batch,
            "instruction_id": ids.instruction, "template_id": ids.reply_template,
            "rule_id": ids.redaction_rule, "publication_id": ids.publication,
            "commitment_id": ids.commitment,
        }
        return simple[name]

    def assignments_for_action(self, action: str) -> list[int]:
        """Health assignments in states where action is available to someone."""
        if action in ACTION_TARGETS:
            return [getattr(self.ids, key) for key in ACTION_TARGETS[action]]
        from tracker.handling.models import Assignment
        from tracker.handling.workflow import Action, rule_for

        with self.app.app_context():
            for key in SCENARIO_ASSIGNMENTS:
                assignment = db.session.get(Assignment, getattr(self.ids, key))
                if rule_for(assignment, Action(action)) is not None:
                    db.session.remove()
                    return [assignment.id]
            db.session.remove()
        self.unready.add(action)
        return [self.ids.a_drafting]

    def proposal_for_action(self, action: str) -> int:
        from tracker.handling.workflow import PROPOSAL_TABLE, Action, ProposalState

        target = self.ids.p_rated if action == "close" else self.ids.p_drafting
        if (ProposalState(self.proposal_state(target)), Action(action)) not in PROPOSAL_TABLE:
            self.unready.add(action)
        return target

    def proposal_state(self, proposal_id: int) -> str:
        from tracker.proposals.models import Proposal

        with self.app.app_context():
            state = db.session.get(Proposal, proposal_id).state
            db.session.remove()
        return state

    def action_names(self, rule) -> list[str]:
        from tracker.handling.workflow import ASSIGNMENT_TABLE, PROPOSAL_TABLE, SYSTEM_ACTIONS, Action

        table = ASSIGNMENT_TABLE if "assignment_id" in rule.arguments else PROPOSAL_TABLE
        # System moves (测评完成, 重新办理) are no endpoint: they answer 404 like any unknown name.
        return [a.value for a in Action if a not in SYSTEM_ACTIONS
                and any(key[1] == a for key in table)]

    def routes(self) -> list[Row]:
        rows: list[Row] = []
        unknown: list[str] = []
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            missing = set(rule.arguments) - KNOWN_ARGS
            if missing:
                unknown.append(f"{rule.rule} ({rule.endpoint}): {', '.join(sorted(missing))}")
                continue
            action_arg = next((a for a in rule.arguments if a in ACTION_ARGS), None)
            actions = self.action_names(rule) if action_arg else [None]
            for action in actions:
                values = {name: self.arg_value(rule, name, action)
                          for name in rule.arguments if name not in ACTION_ARGS}
                targets = [None]
                if action_arg:
                    values[action_arg] = action
                    if "assignment_id" in rule.arguments:
                        targets = self.assignments_for_action(action)
                for target in targets:
                    if target is not None:
                        values = dict(values, assignment_id=target)
                    built = rule.build(values, append_unknown=False)
                    assert built is not None, f"cannot build {rule.rule} from {values}"
                    url = built[1]
                    ready = action not in self.unready
                    for method in sorted(rule.methods - IGNORED_METHODS):
                        rows.append(Row(rule, method, dict(values), url, action, ready))
        if unknown:
            pytest.fail(
                "The security matrix does not know how to fill these URL arguments; add "
                "them to tests/security/conftest.py (OWNED_ARGS/SHARED_ARGS and "
                "Scenario.arg_value) with an id of an object of the health unit:\n  "
                + "\n  ".join(unknown))
        return rows

    def payload(self, row: Row) -> dict:
        """Form data that would make the request succeed for a user allowed to make it."""
        ids = self.ids
        version = self.assignment_version(row.values["assignment_id"]) \
            if "assignment_id" in row.values else None
        by_action = {
            "assign": {"co_unit_ids": [ids.edu], "note": "交办"},
            "accept": {"note": "签收"},
            "request_return": {"reason": "不属于本单位职责"},
            "approve_return": {"note": "同意", "reassign_unit_id": 0},
            "reject_return": {"reason": "属于该单位职责"},
            "dispatch": {"section_id": ids.health_section, "drafter_id": ids.health_drafter},
            "record_contact": {"stage": "before", "method": "phone",
                               "contacted_on": today().isoformat(), "summary": "电话沟通"},
            "submit_opinion": {"text": "同意主办单位意见。"},
            "approve_opinion": {"note": "同意"},
            "return_opinion": {"comment": "请补充政策依据"},
            "save_draft": {"body": "一、基本情况\n修改后的答复。", "result_class": "A",
                           "reply_form": "written", "disclosure": "public"},
            "override_cosign": {"reason": "会办单位逾期未复"},
            "submit_review": {"note": "请审核"},
            "approve": {"comment": "同意"},
            "return_draft": {"comment": "请补充数据"},
            "sign": {"comment": "同意发出"},
            "issue": {},
            "close": {"grade": "good", "comment": "办理认真"},
            "request_extension": {"reason": "需补充调研", "one_month": True},
            "approve_extension": {"note": "同意延期"},
            "reject_extension": {"reason": "期限充足"},
        }
        if row.action is not None:
            data = dict(by_action.get(row.action, {}))
            if version is not None:
                data["version"] = version
            if "assignment_id" in row.values and row.action in (
                    "save_draft", "approve", "return_draft", "sign"):
                latest = self.latest_draft(row.values["assignment_id"])
                data["base_number"] = latest[1] if latest else 0
                data["seen_version_id"] = latest[0] if latest else ""
            return data
        meeting = {"level": "province", "body": "npc", "region": "越权市", "term": 1,
                   "session": 1, "year": today().year, "reply_period_months": 3,
                   "co_period_months": 1}
        by_endpoint = {
            "proposals.new_meeting": meeting, "api.create_meeting": meeting,
            "proposals.register": {
                "meeting_id": ids.meeting, "number": "9901", "title": "越权登记的建议",
                "received_on": today().isoformat(), "disclosure": "public",
                "authors-0-name": "张三"},
            "proposals.edit_meeting": {"name": "越权改名的会议", "reply_period_months": 3,
                                       "co_period_months": 1},
            "api.register_proposal": {
                "meeting_id": ids.meeting, "number": "9903", "title": "越权登记的建议",
                "received_on": today().isoformat(), "disclosure": "public",
                "authors": [{"name": "张三"}]},
            "api.create_unit": {"name": "越权新建的单位", "sections": ["越权处"]},
            "admin.unit_letter_style": {
                "kind": "suggestion", "style-suggestion-signer_line": "none",
                "style-suggestion-class_mark": "letter",
                "style-suggestion-print_doc_number": "y"},
            "ratings.rate": {"handling": "satisfied", "result": "satisfied",
                             "contacted": "no"},
            "rating_admin.enter_rating": {"author_id": ids.issued_author,
                                          "handling": "satisfied", "result": "satisfied",
                                          "contacted": "no"},
            "proposals.edit": {
                "number": "9902", "title": "越权修改的案由", "received_on": today().isoformat(),
                "disclosure": "public", "authors-0-name": "张三"},
            "imports.upload": {"file": (import_file_path(), "交办清单.xlsx")},
            "supervision.urge_assignment": {"message": "请抓紧办理，按期答复。"},
            "supervision.urge_unit": {"message": "请抓紧办理，按期答复。"},
            "ratings.print_batches": {"meeting_id": ids.meeting, "unit_id": 0},
            "instructions.enter": {
                "kind": "unit_principal", "assignment_id": ids.a_drafting, "leader_id": 0,
                "leader_name": "越权领导", "text": "越权批示", "given_on": today().isoformat(),
                "source": "paper"},
            "instructions.ask": {"kind": "unit_principal", "assignment_id": ids.a_drafting,
                                 "leader_id": ids.health_leader, "note": "越权呈批"},
            "instructions.give": {"text": "越权批示", "given_on": today().isoformat()},
            "instructions.sheets_pdf": {"ids": [ids.p_drafting]},
            "merging.join": {"meeting_id": ids.meeting, "numbers": "7722"},
            "commitments.add": {"reply_id": ids.committed_reply, "what": "越权登记的承诺",
                                "due_on": (today() + timedelta(days=90)).isoformat(),
                                "section_id": ids.health_section},
            "commitments.edit": {"what": "越权修改的承诺", "section_id": 0,
                                 "due_on": (today() + timedelta(days=90)).isoformat()},
            "commitments.report": {"text": "越权报送的进展", "reported_on": today().isoformat()},
            "commitments.close": {"outcome": "done", "done_on": today().isoformat(),
                                  "note": "越权办结"},
        }
        return dict(by_endpoint.get(row.rule.endpoint, {
            # Unknown routes: plausible values for the usual field names.
            "name": "越权修改", "full_name": "越权修改", "is_enabled": "", "text": "越权",
            "reason": "越权", "note": "越权", "unit_id": ids.edu, "password": "Evil-Pass-123",
        }))

    def allowed_users(self, row: Row) -> set[str] | None:
        """Who may take row's action on its object (None: ACTION_ALLOWED does not say)."""
        from tracker.handling.models import Assignment

        if "assignment_id" in row.values:
            with self.app.app_context():
                state = db.session.get(Assignment, row.values["assignment_id"]).state
                db.session.remove()
            if (row.action, state) in ACTION_ALLOWED:
                return ACTION_ALLOWED[(row.action, state)]
        return ACTION_ALLOWED.get(row.action)

    def entitled_user(self, row: Row) -> str | None:
        """A user allowed to make this request (None: anonymous; UNKNOWN: not said here)."""
        endpoint = row.rule.endpoint
        if endpoint == "auth.login" or endpoint in VERIFY_ENDPOINTS | RATING_ENDPOINTS:
            return None
        if endpoint in ("ratings.print_batches", "ratings.print_batch_pdf"):
            return "health_clerk"  # a unit's clerk prints its forms; the batch is health's
        if endpoint == "publication.publish":
            return "health_clerk"  # the unit's clerk confirms its issued reply's public version
        if endpoint in ("notifications.mark_read", "api.read_notification"):
            return "health_clerk"  # the owner of the scenario's notification
        if endpoint == "ratings.rating_form_pdf":
            return "health_clerk"
        if endpoint in ("instructions.enter", "instructions.ask"):
            return "health_clerk"  # a leader's instruction on health's own assignment
        if endpoint == "instructions.give":
            return "health_leader"  # the leader the scenario's instruction was asked of
        if endpoint == "instructions.sheets_pdf":
            return "clerk"
        if endpoint.startswith("commitments.") and endpoint != "commitments.review":
            return "health_clerk"  # health's clerk keeps the commitments of its replies
        if endpoint == "replies.import_word":
            return "health_drafter"  # who may save health's draft (a preview, saves nothing)
        if endpoint == "replies.apply_template":
            return "health_drafter"  # who may save health's draft (with a template of health)
        if endpoint in ("replies.unit_templates", "replies.edit_template", "replies.my_templates",
                        "replies.toggle_template"):
            return "health_clerk"  # health's reply templates: its clerk keeps them
        if endpoint == "replies.office_templates":
            return "admin"  # the office-wide templates: the administrators keep them
        if endpoint in SELF_SERVICE_ENDPOINTS:
            return "health_clerk"
        if row.action is not None:
            allowed = self.allowed_users(row)
            return sorted(allowed)[0] if allowed and row.ready else UNKNOWN
        if endpoint in SUPERVISOR_ONLY:
            return "clerk"
        if row.admin:
            return "admin"
        return UNKNOWN

    def coverage_problems(self) -> list[str]:
        """What the scenario and tables here do not cover yet (new actions and routes)."""
        problems = []
        for row in self.routes():
            if row.action is not None and not row.ready:
                problems.append(
                    f"{row.label}: no health object on which {row.action!r} is available; "
                    f"extend build_scenario (and Scenario.assignment_for_action)")
            elif row.action is not None and self.allowed_users(row) is None:
                problems.append(f"{row.label}: say in ACTION_ALLOWED who may take "
                                f"{row.action!r} (keys: action or (action, state))")
            elif row.mutating and not row.api and self.entitled_user(row) == UNKNOWN:
                problems.append(f"{row.label}: say in Scenario.entitled_user who may send it")
        return sorted(set(problems))

    def latest_draft(self, assignment_id: int) -> tuple[int, int] | None:
        """(id, number) of the assignment's latest reply draft."""
        from tracker.handling.models import Assignment
        from tracker.replies.queries import latest_draft

        with self.app.app_context():
            draft = latest_draft(db.session.get(Assignment, assignment_id))
            result = (draft.id, draft.number) if draft else None
            db.session.remove()
        return result

    def assignment_version(self, assignment_id: int) -> int:
        from tracker.handling.models import Assignment

        with self.app.app_context():
            version = db.session.get(Assignment, assignment_id).version
            db.session.remove()
        return version


def write_draft(assignment, drafter, result_class: str = "A"):
    """Save a reply draft (the next version) through the real operation."""
    from tracker.proposals.models import Disclosure
    from tracker.replies import operations as replies
    from tracker.replies.models import ReplyForm
    from tracker.replies.queries import latest_draft

    latest = latest_draft(assignment)
    return replies.save_draft(
        assignment, drafter, body=f"一、基本情况\n{SECRET}答复正文。", result_class=result_class,
        reply_form=ReplyForm.written, disclosure=Disclosure.public,
        base_number=latest.number if latest else None, contact_name="刘洋",
        contact_phone="0431-88900000")


def _user(username: str):
    from tracker.accounts.models import User

    return db.session.scalar(select(User).where(User.username == username))


def build_scenario(world_ids: SimpleNamespace) -> dict:
    """Health's items in every state with actions; returns ids (call in a request context)."""
    from tracker.accounts.models import Role, Unit, User
    from tracker.accounts.operations import issue_token
    from tracker.handling import operations as handling
    from tracker.handling.models import ContactMethod, ContactStage
    from tracker.proposals.models import Meeting
    from tracker.replies import operations as replies
    from tracker.replies import queries as reply_queries

    def get(model, key):
        return db.session.get(model, getattr(world_ids, key))

    w = SimpleNamespace(
        clerk=get(User, "clerk"), health_clerk=get(User, "health_clerk"),
        hr_clerk=get(User, "hr_clerk"), health_drafter=get(User, "health_drafter"),
        health=get(Unit, "health"), hr=get(Unit, "hr"), meeting=get(Meeting, "meeting"),
    )
    section = w.health.sections[0]
    authors = [{"name": f"{SECRET}作者", "phone": "13900000001"}]

    def item(n: int):
        return factories.make_proposal(
            w.clerk, w.meeting, number=f"77{n}", title=f"关于{SECRET}{n}号事项的建议",
            body=f"{SECRET}正文{n}", authors=authors)

    # 1: health only, passed to a drafter (drafting: dispatch, record_contact), one contact.
    p1 = item(1)
    (a1,) = factories.assign(p1, w.clerk, lead=w.health)
    handling.accept_assignment(a1, w.health_clerk)
    handling.dispatch_assignment(a1, w.health_clerk, section_id=section.id,
                                 drafter_id=w.health_drafter.id)
    # 20: assigned to health, no draft (it may take members: 22); 21: joined to item 1 (并案)
    # before its draft is begun (afterwards item 1 takes no more members).
    from tracker.merging import operations as merging

    p20, p21, _p22 = item(20), item(21), item(22)  # 22: free, for 20 to take in
    merging.join_items(p1, [p21], w.clerk)
    factories.assign(p20, w.clerk, lead=w.health)  # seen by health, no draft: may take members
    contact = handling.record_contact(a1, w.health_clerk, stage=ContactStage.before,
                                      method=ContactMethod.phone, contacted_on=today(),
                                      summary=f"{SECRET}联系摘要")
    # 2: hr leads, health co-handles and has sent its opinion with a PDF.
    p2 = item(2)
    _, a2 = factories.assign(p2, w.clerk, lead=w.hr, co=[w.health])
    handling.accept_assignment(a2, w.health_clerk)
    opinion = handling.submit_opinion(a2, w.health_clerk, text=f"{SECRET}会办意见",
                                      attachment=pdf_upload(f"{SECRET}意见.pdf"))
    handling.approve_opinion(a2, _user("health_signer"))
    # 15: hr leads, health co-handles and its opinion waits for health's leader.
    p15 = item(15)
    _, a15 = factories.assign(p15, w.clerk, lead=w.hr, co=[w.health])
    handling.accept_assignment(a15, w.health_clerk)
    handling.submit_opinion(a15, w.health_clerk, text=f"{SECRET}待审批的会办意见")
    # 3: hr leads, health co-handles and has acknowledged (submit_opinion is next).
    p3 = item(3)
    _, a3 = factories.assign(p3, w.clerk, lead=w.hr, co=[w.health])
    handling.accept_assignment(a3, w.health_clerk)
    # 4: health only, waiting for acknowledgement (accept, request_return).
    p4 = item(4)
    (a4,) = factories.assign(p4, w.clerk, lead=w.health)
    # 5: health only, asked to return it (approve_return, reject_return).
    p5 = item(5)
    (a5,) = factories.assign(p5, w.clerk, lead=w.health)
    handling.request_return(a5, w.health_clerk, reason=f"{SECRET}退回理由")
    # 1 gets a reply draft (save_draft, submit_review, override_cosign are next); 6-10 go
    # through review: first, second and final review, awaiting signature, signed.
    write_draft(a1, w.health_drafter)
    reviewed = {}
    steps = ["first", "second", "final", "awaiting", "signed"]
    for n, step in enumerate(steps, start=6):
        proposal = item(n)
        (assignment,) = factories.assign(proposal, w.clerk, lead=w.health)
        handling.accept_assignment(assignment, w.health_clerk)
        handling.dispatch_assignment(assignment, w.health_clerk, section_id=section.id,
                                     drafter_id=w.health_drafter.id)
        write_draft(assignment, w.health_drafter)
        replies.submit_review(assignment, w.health_drafter)
        for level_step, reviewer in zip(steps, ("health_first", "health_second",
                                                "health_final", "health_signer")):
            if level_step == step:
                break
            user = db.session.scalar(select(User).where(User.username == reviewer))
            decide = replies.sign_reply if level_step == "awaiting" else replies.approve_draft
            decide(assignment, user,
                   seen_version_id=reply_queries.latest_draft(assignment).id)
        db.session.expire_all()
        assert assignment.state == {"first": "first_review", "second": "second_review",
                                    "final": "final_review", "awaiting": "awaiting_signature",
                                    "signed": "signed"}[step], (step, assignment.state)
        reviewed[f"a_{step}"] = assignment.id
    # 11: issued, with its letter stored (the download route needs one).
    proposal = item(11)
    (issued,) = factories.assign(proposal, w.clerk, lead=w.health)
    handling.accept_assignment(issued, w.health_clerk)
    handling.dispatch_assignment(issued, w.health_clerk, section_id=section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(issued, w.health_drafter)
    replies.submit_review(issued, w.health_drafter)
    for reviewer in ("health_first", "health_second", "health_final"):
        user = db.session.scalar(select(User).where(User.username == reviewer))
        replies.approve_draft(issued, user, seen_version_id=reply_queries.latest_draft(issued).id)
    signer = db.session.scalar(select(User).where(User.username == "health_signer"))
    replies.sign_reply(issued, signer, seen_version_id=reply_queries.latest_draft(issued).id)
    from tracker.files.store import store

    pdf = b"%PDF-1.4\n% security scenario letter\n%%EOF\n"
    name = f"scenario-{issued.id}-{SECRET[:8]}.pdf"
    store().put(f"letters/{name}", pdf)
    from tracker.replies.letter import letter_data

    # The letter's input as issued: its public version is made from it.
    issued_input = letter_data(issued, reply_queries.latest_draft(issued),
                               doc_number="吉卫复议字〔2026〕1号",
                               reply=reply_queries.current_reply(issued))
    replies.issue_reply(issued, w.health_clerk, letter={
        "pdf_name": name, "pdf_sha256": hashlib.sha256(pdf).hexdigest(), "pdf_size": len(pdf),
        "verify_code": VERIFY_CODE,
        "letter_data": json.dumps(issued_input, ensure_ascii=False)})
    reviewed["a_issued"] = issued.id
    db.session.flush()
    # Its author's personal rating link (the public rating page; the 征询意见表 makes more).
    from tracker.ratings.operations import new_link

    issued_reply = reply_queries.current_reply(issued)
    issued_author = issued.proposal.authors[0]
    # Its public version (办理结果公开), with the public PDF in the store.
    from tracker.publication.models import Publication

    public_pdf = b"%PDF-1.4\n% security scenario public letter\n%%EOF\n"
    store().put(f"letters/public/scenario-{issued.id}.pdf", public_pdf)
    publication = Publication(
        reply_id=issued_reply.id, proposal_id=issued.proposal_id, unit_id=issued.unit_id,
        version=1, mode="full", index_number=f"{issued.unit_id:018d}/2026-00001",
        category="建议提案办理", issuer=w.health.name, written_on=today(), title="对…的答复",
        doc_number=issued_reply.doc_number, published_on=today(), public_text="公开文本",
        letter_data="{}", removals="[]", marked_words="", note="",
        pdf_name=f"scenario-{issued.id}.pdf",
        pdf_sha256=hashlib.sha256(public_pdf).hexdigest(), pdf_size=len(public_pdf),
        confirmed_by_id=w.health_clerk.id, confirmed_by_name=w.health_clerk.full_name)
    db.session.add(publication)
    db.session.flush()
    rating_token = new_link(issued_reply, issued_author)
    # 12: issued and rated by its author (close is next, for the supervising clerk).
    from tests.support.handling import bring_to, rate_all

    rated = bring_to(SimpleNamespace(**vars(w), health_first=_user("health_first"),
                                     health_second=_user("health_second"),
                                     health_final=_user("health_final"),
                                     health_signer=_user("health_signer"),
                                     health_section=section), "replied")
    rate_all(w, rated, "satisfied")
    reviewed["a_rated"] = rated.id
    rated_item = rated.proposal_id
    # 13: health only, drafting, with an extension request waiting for the supervising clerk;
    # and a notification of health's clerk about item 1.
    p13 = item(13)
    (extended,) = factories.assign(p13, w.clerk, lead=w.health)
    handling.accept_assignment(extended, w.health_clerk)
    handling.dispatch_assignment(extended, w.health_clerk, section_id=section.id,
                                 drafter_id=w.health_drafter.id)
    handling.request_extension(extended, w.health_clerk, reason=f"{SECRET}延期理由",
                               one_month=True)
    reviewed["a_extension"] = extended.id
    # 14: health only, drafting and past its deadline, urged by the supervising clerk (the
    # 督办函 of that urge; the whole-unit 催办 needs an overdue assignment).

    from tests.support.notifications import set_due
    from tracker.supervision import operations as supervision

    p14 = item(14)
    (late,) = factories.assign(p14, w.clerk, lead=w.health)
    handling.accept_assignment(late, w.health_clerk)
    handling.dispatch_assignment(late, w.health_clerk, section_id=section.id,
                                 drafter_id=w.health_drafter.id)
    set_due(late, today() - timedelta(days=3))
    (urge,) = supervision.urge_unit(w.health, w.clerk, f"{SECRET}催办意见")
    from tracker.notifications.models import NotificationKind
    from tracker.notifications.operations import notify

    notification = notify(w.health_clerk, NotificationKind.due_soon,
                          f"关于{SECRET}1号事项的建议：即将到期", key="scenario", assignment=a1)

    # An instruction health's clerk asked of its principal leader on health's co-handling part
    # of item 2, not given yet (hr, which leads item 2, may not read it).
    from tracker.instructions import operations as instructions

    instruction = instructions.request_instruction(
        p2, w.health_clerk, kind="unit_principal", assignment=a2,
        leader_id=world_ids.health_leader, note=f"{SECRET}呈批说明")

    # A batch of printed 征询意见表 that health's clerk asked for (its file made).
    from tracker.files.store import store
    from tracker.ratings.choices import PrintStatus
    from tracker.ratings.models import PrintBatch

    print_batch = PrintBatch(requested_by_id=w.health_clerk.id, meeting_id=w.meeting.id,
                             unit_id=w.health.id, status=PrintStatus.done, forms=1,
                             file_name="scenario.pdf")
    db.session.add(print_batch)
    db.session.flush()
    store().put("uploads/batches/scenario.pdf", PDF)

    # A job that failed and a message given up, for the administrators' queue page.
    from tracker.core.time import utcnow
    from tracker.jobs.choices import JobStatus
    from tracker.jobs.models import JobRun
    from tracker.notifications.models import OutboxMessage

    failed_message = OutboxMessage(kind="notice", recipient=f"{SECRET}@health.example",
                                   subject="待办", body=SECRET, attempts=8, failed_at=utcnow())
    db.session.add(failed_message)
    db.session.flush()
    failed_run = JobRun(task="tracker.notifications.jobs.deliver",
                        args=f"[{failed_message.id}]", status=JobStatus.failed, error="OSError")
    db.session.add(failed_run)
    db.session.flush()

    # 16: issued as a B reply, with a commitment (承诺事项) that is still open.
    from tracker.commitments import operations as commitments

    p16 = item(16)
    (committed,) = factories.assign(p16, w.clerk, lead=w.health)
    handling.accept_assignment(committed, w.health_clerk)
    handling.dispatch_assignment(committed, w.health_clerk, section_id=section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(committed, w.health_drafter, result_class="B")
    replies.submit_review(committed, w.health_drafter)
    for reviewer in ("health_first", "health_second", "health_final"):
        replies.approve_draft(committed, _user(reviewer),
                              seen_version_id=reply_queries.latest_draft(committed).id)
    replies.sign_reply(committed, _user("health_signer"),
                       seen_version_id=reply_queries.latest_draft(committed).id)
    replies.issue_reply(committed, w.health_clerk)
    committed_reply = reply_queries.current_reply(committed)
    commitment = commitments.add_commitment(
        committed_reply, w.health_clerk, what=f"{SECRET}承诺事项",
        due_on=today() + timedelta(days=60), section_id=section.id)

    # A reply template of health (its text carries the marker: no other unit may read it).
    from tracker.replies import templates

    reply_template = templates.create_template(
        w.health, w.health_clerk, kind="closing", name="结束语", text=f"{SECRET}感谢您的支持。")

    users = db.session.scalars(select(User)).all()
    tokens = {u.username: issue_token(u, "security tests") for u in users}
    health_token = db.session.scalar(
        select(db.metadata.tables["api_tokens"].c.id).where(
            db.metadata.tables["api_tokens"].c.user_id == w.health_clerk.id))
    assert Role.unit_clerk in w.health_clerk.roles
    for user in w.health.users:
        user.email = f"{user.username}.{SECRET}@health.example"
        user.phone = "0431-" + SECRET
    from tracker.workdays.models import CalendarDay

    day = db.session.scalar(select(CalendarDay.day).order_by(CalendarDay.day.desc()).limit(1))
    return {
        "ids": {
            "p_drafting": p1.id, "p_rated": rated_item, "p_opinion": p2.id, "p_co_accepted": p3.id,
            "p_assigned": p4.id, "p_return_requested": p5.id,
            "p_free": p20.id, "p_member": p21.id,
            "a_drafting": a1.id, "a_opinion": a2.id, "a_co_accepted": a3.id,
            "a_opinion_pending": a15.id, "p_opinion_pending": p15.id,
            "a_assigned": a4.id, "a_return_requested": a5.id, **reviewed,
            "contact": contact.id, "opinion": opinion.id, "attachment": opinion.attachment_id,
            "health_token": health_token,
            "calendar_day": (day or today()).isoformat(),
            "verify_code": VERIFY_CODE,
            "issued_reply": issued_reply.id, "issued_author": issued_author.id,
            "rating_token": rating_token, "notification": notification,
            "failed_run": failed_run.id, "failed_message": failed_message.id,
            "urge": urge.id, "print_batch": print_batch.id,
            "instruction": instruction.id, "reply_template": reply_template.id,
            # (the migration's default rules; an installation-wide, administrator's object)
            "redaction_rule": db.session.scalar(select(func.min(RedactionRule.id))),
            "publication": publication.id,
            "p_committed": p16.id, "committed_reply": committed_reply.id,
            "commitment": commitment.id,
        },
        "tokens": tokens,
    }
