"""The daily mix of the tracker's users, for locust (run by load/run.py).

Each simulated user logs in with an account of its own (LOAD_ACCOUNTS, written by
load/setup_data.py) and, between pauses, opens the to-do list, the item list with filters or a
search and item pages, and does its role's work: the unit clerk 签收, 指定承办人 and 发文 (which
renders, signs and stores the letter), the drafter saves a new version of a reply and sometimes
送审, the reviewers approve at their level (初审/复审/终审), the signer 签发; supervising clerks
read the item list and the dashboard. Work is taken from the user's own to-do list, every POST
carries the CSRF token and the hidden fields of the page's form, and nobody shares an account,
so no two users act on the same assignment: any answer outside 2xx/3xx is an error.

Two modes (LOAD_MODE):

- realistic (the default): pauses of LOAD_WAIT seconds between a user's tasks; figures for the
  whole run and the steady state, written to LOAD_REPORT when locust quits.
- saturate: no pause at all (a closed loop: each user sends its next request when the last
  one is answered), and one kind of page only (LOAD_PAGE, see PAGES) or the whole mix
  (LOAD_PAGE=mix). Once every user is logged in and LOAD_WARMUP seconds have passed, a window
  of LOAD_WINDOW seconds is measured: the requests answered in it, their times, and the CPU
  time (user + system, from /proc through psutil) spent in it by the app servers (LOAD_APP_PIDS:
  gunicorn masters, with their workers), the PostgreSQL processes serving LOAD_DATABASE, all
  PostgreSQL processes, and this locust process. Then locust stops itself.

LOAD_HOSTS (comma-separated base addresses) spreads the requests over several app servers:
each user sends its requests to them in turn, as a load balancer without sticky sessions
would, so a session cookie and a form's CSRF token must work on every server.

The session cookie is `Secure` in production and the app is reached over plain HTTP here (as
behind the office's TLS proxy), so the cookie is carried by hand and redirects are followed
by hand (each hop is its own request in the figures).
"""
from __future__ import annotations

import html
import itertools
import json
import math
import os
import random
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import cpu
import gevent
from locust import FastHttpUser, between, constant, events

ALL_ACCOUNTS = json.loads(Path(os.environ.get("LOAD_ACCOUNTS", "accounts.json"))
                          .read_text(encoding="utf-8"))
_next_account = itertools.count()
WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "5,15").split(",")]
MODE = os.environ.get("LOAD_MODE", "realistic")
PAGE = os.environ.get("LOAD_PAGE", "mix")
HOSTS = [h.rstrip("/") for h in os.environ.get("LOAD_HOSTS", "").split(",") if h.strip()]
# The to-do probes' clerks (setup_data.py --probes) take part only in their own window.
PROBES = ("todo_short", "todo_long")
ACCOUNTS = ([a for a in ALL_ACCOUNTS if a["role"] == PAGE] if PAGE in PROBES
            else [a for a in ALL_ACCOUNTS if a["role"] not in PROBES])
SEARCHES = ["关于", "负载测试", "建议", "卫生", "教育 改革", "交通", "第12号", "乡村振兴"]

COOKIE = "tracker_session"
ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.DOTALL)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")
ACTION_LINK = re.compile(r'href="(/assignments/\d+/actions/([a-z_]+))"')
ITEM_LINK = re.compile(r'href="(/proposals/\d+)"')
MEETING_OPTION = re.compile(r'<option value="(\d+)"')
STATES = ["assigned", "drafting", "first_review", "second_review", "final_review",
          "awaiting_signature", "replied", "rated"]


class FormParser(HTMLParser):
    """The fields of the page's POST forms (not the navbar's logout form), as a browser
    would submit them without changes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.form: dict | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = a.get("action") or ""
            if (a.get("method") or "").lower() == "post" and "logout" not in action:
                self.form = {"action": action, "fields": {}, "multi": {}}
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.form["multi"].setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("file", "submit", "button"):
                self.form["fields"][name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self.textarea = name
            self.form["fields"][name] = ""
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            value = a.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.form["fields"][self.select] = value

    def handle_data(self, data):
        if self.form is not None and self.textarea:
            self.form["fields"][self.textarea] += data

    def handle_endtag(self, tag):
        if self.form is None:
            return
        if tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select:
            self.form["fields"].setdefault(self.select, self.first_option or "")
            self.select = None
        elif tag == "form":
            self.forms.append(self.form)
            self.form = None


def page_form(text: str, path: str | None = None) -> dict[str, str] | None:
    """The fields of the page's form that posts to path (or to the page itself); without
    path, of its first form. A draft page can have other forms first (a reply template)."""
    parser = FormParser()
    parser.feed(text)
    forms = parser.forms
    if path is not None:
        forms = [f for f in forms if f["action"] in ("", path)
                 or urlsplit(f["action"]).path == path]
    if not forms:
        return None
    form = forms[0]
    fields = dict(form["fields"])
    for name, values in form["multi"].items():
        fields[name] = values[0]
    return fields


def todo_rows(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """(item path, what waits, {action: path}) for each row of the to-do list."""
    rows = []
    for row in ROW.findall(text):
        cells = CELL.findall(row)
        if len(cells) < 7:
            continue
        item = ITEM_LINK.search(cells[3])
        words = html.unescape(TAG.sub("", cells[4])).split()
        what = words[0] if words else ""
        actions = {name: path for path, name in ACTION_LINK.findall(cells[6])}
        rows.append((item.group(1) if item else "", what, actions))
    return rows


class TrackerUser(FastHttpUser):
    wait_time = constant(0) if MODE == "saturate" else between(*WAIT)
    # One account per simulated user: they never collide on the same assignment (the to-do
    # probes' readers share theirs: they only read).

    def on_start(self):
        account = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
        self.username, self.password = account["username"], account["password"]
        self.role = account["role"]
        self.cookie = ""
        self.items: list[str] = []
        self.meetings: list[str] = []
        self.turn = itertools.count(random.randrange(len(HOSTS) or 1))
        if PAGE == "login_form":
            _logged_in(self.environment)  # anonymous: the login form only
            return
        self.login()
        if MODE == "saturate" and PAGE == "detail":
            self.todo()  # the items to open, before the measured window
            if not self.items:
                self.item_list()

    # -- HTTP with the session cookie carried by hand ----------------------------------
    def go(self, method: str, path: str, name: str, data: dict | None = None,
           expect: str | None = None, follow: str | None = None):
        """One request; a redirect is followed as its own request, named follow (and checked
        for expect). A POST must answer with a redirect: the form shown again is a failure."""
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        kwargs = {"headers": headers, "name": name, "catch_response": True,
                  "allow_redirects": False}
        if data is not None:
            kwargs["data"] = data
        url = HOSTS[next(self.turn) % len(HOSTS)] + path if HOSTS else path
        with self.client.request(method, url, **kwargs) as response:
            self._keep_cookie(response)
            status = response.status_code or 0
            if not 200 <= status < 400:
                response.failure(f"HTTP {status} {method} {path}: {_message(response.text)}")
                return None
            if method == "POST" and status < 300:
                response.failure(f"POST {path} answered {status} instead of a redirect: "
                                 f"{_flash(response.text)}")
                return None
            if expect and status < 300 and expect not in (response.text or ""):
                response.failure(f"{method} {path}: '{expect}' not on the page")
                return None
            response.success()
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            target = urlsplit(urljoin(self.host + path, location))
            return self.go("GET", target.path + (f"?{target.query}" if target.query else ""),
                           follow or "page: after redirect", expect=expect)
        return response

    def _keep_cookie(self, response) -> None:
        for header, value in _header_items(response):
            if header.lower() == "set-cookie" and value.startswith(COOKIE + "="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]

    # -- the session ---------------------------------------------------------------------
    def login(self) -> None:
        self.cookie = ""
        page = self.go("GET", "/login", "page: login form")
        form = page_form(page.text) if page is not None else None
        if form is None:
            return
        form.update(username=self.username, password=self.password)
        self.go("POST", "/login", "login", data=form, follow="page: todo", expect="我的待办")
        _logged_in(self.environment)

    # -- reading -------------------------------------------------------------------------
    def todo(self):
        response = self.go("GET", "/", "page: todo", expect="我的待办")
        if response is not None:
            self.items = [row[0] for row in todo_rows(response.text) if row[0]] or self.items

    def item_list(self, kind: str = "any"):
        """The item list: plain, with a filter, or with a search (kind any picks one as the
        daily mix does: one time in nine each plain and a search)."""
        filters = [f"state={random.choice(STATES)}", "overdue=1", "key=1", "page=2",
                   "meeting={m}", "kind=suggestion", "state=drafting&overdue=1"]
        if kind == "any":
            params = random.choice(["", "q=关于", *filters])
        else:
            params = {"plain": "", "search": f"q={random.choice(SEARCHES)}",
                      "filtered": random.choice(filters)}[kind]
        if "{m}" in params:
            params = f"meeting={random.choice(self.meetings)}" if self.meetings else "page=2"
        label = ("page: item list (search)" if params.startswith("q=")
                 else "page: item list (filtered)" if params else "page: item list")
        response = self.go("GET", "/proposals" + (f"?{params}" if params else ""), label)
        if response is not None:
            links = ITEM_LINK.findall(response.text)
            if links:
                self.items = list(dict.fromkeys(links))[:40]
            if not self.meetings:
                self.meetings = MEETING_OPTION.findall(response.text.split('name="meeting"', 1)[-1]
                                                       .split("</select>", 1)[0])

    def item_detail(self):
        if not self.items:
            return self.todo()
        self.go("GET", random.choice(self.items), "page: item detail")

    def dashboard(self):
        self.go("GET", "/supervision/", "page: dashboard", expect="督办")

    def floor(self):
        """The cheapest logged-in page (the password form): the session, the user, a template;
        the saturation mode's baseline."""
        self.go("GET", "/account/password", "page: floor (password form)")

    def login_form(self):
        """The login form without a session: the cheapest page the app serves."""
        self.go("GET", "/login", "page: login form")

    def relogin(self):
        self.login()

    # -- work ----------------------------------------------------------------------------
    def work(self):
        if self.role == "supervisor":
            # A supervising clerk's own work is watching: the dashboard or the item list.
            return self.dashboard() if random.random() < 0.5 else self.item_list()
        response = self.go("GET", "/", "page: todo", expect="我的待办")
        if response is None:
            return
        rows = todo_rows(response.text)
        # What this role does, and on which rows of its to-do list (the clerk never touches
        # the drafter's items, the drafter never the clerk's).
        if self.role == "clerk":
            kinds = {"accept": [a["accept"] for _, what, a in rows
                                if what == "待签收" and "accept" in a],
                     "dispatch": [a["dispatch"] for _, what, a in rows
                                  if what == "待指定承办人" and "dispatch" in a],
                     "issue": [a["issue"] for _, _, a in rows if "issue" in a]}
        elif self.role == "signer":
            kinds = {"sign": [a["sign"] for _, _, a in rows if "sign" in a]}
        elif self.role == "drafter":
            kinds = {"save_draft": [a["save_draft"] for _, _, a in rows if "save_draft" in a],
                     "submit_review": [a["submit_review"] for _, _, a in rows
                                       if "submit_review" in a]}
            if random.random() < 0.6:
                kinds.pop("submit_review")  # mostly editing, sometimes sending to review
        else:
            kinds = {"approve": [a["approve"] for _, _, a in rows if "approve" in a]}
        kinds = {kind: paths for kind, paths in kinds.items() if paths}
        if not kinds:
            IDLE[0] += 1  # nothing to do: only the to-do list was opened
            return
        action = random.choice(list(kinds))
        path = random.choice(kinds[action][:10])
        page = self.go("GET", path, f"page: {action} form")
        if page is None:
            return
        form = page_form(page.text, path)
        if form is None:
            events.request.fire(request_type="FORM", name=f"form: {action}", response_time=0,
                                response_length=0, exception=RuntimeError(f"no form on {path}"),
                                context={})
            return
        if action == "save_draft":
            if not form.get("body", "").strip():
                form["body"] = DRAFT
            form["body"] = form["body"].rstrip() + f"\n（{time.strftime('%H:%M:%S')} 修改）"
            form["result_class"] = form.get("result_class") or "B"  # a first version's
            form["note"] = "根据意见修改"
        elif action == "dispatch":
            pass  # the unit's only drafter is preselected (the first option)
        self.go("POST", path, f"post: {action}", data=form, follow="page: item detail",
                expect="已完成")


# What each kind of page runs (LOAD_PAGE in the saturation mode); "mix" is the daily mix:
# to-do 4, item list 3 (plain, filtered or a search), item page 3, the role's work 4.
PAGES = {
    "mix": {TrackerUser.todo: 4, TrackerUser.item_list: 3, TrackerUser.item_detail: 3,
            TrackerUser.work: 4},
    "login_form": [TrackerUser.login_form],
    "floor": [TrackerUser.floor],
    "todo": [TrackerUser.todo],
    "todo_short": [TrackerUser.todo],
    "todo_long": [TrackerUser.todo],
    "list": [lambda user: user.item_list("plain")],
    "filtered": [lambda user: user.item_list("filtered")],
    "search": [lambda user: user.item_list("search")],
    "detail": [TrackerUser.item_detail],
    "dashboard": [TrackerUser.dashboard],
    "actions": [TrackerUser.work],
    "login": [TrackerUser.relogin],
}
if PAGE not in PAGES:
    raise SystemExit(f"LOAD_PAGE={PAGE!r}: one of {', '.join(PAGES)}")
if not ACCOUNTS:
    raise SystemExit(f"no account for LOAD_PAGE={PAGE} (setup_data.py --probes?)")
TrackerUser.tasks = PAGES[PAGE]
IDLE = [0]


DRAFT = """一、基本情况
我单位高度重视该建议的办理工作。
二、主要措施
（一）完善工作机制
明确责任分工，建立定期调度制度。
三、下一步工作
我单位将继续抓好落实。"""


def _header_items(response):
    headers = response.headers
    if hasattr(headers, "items"):
        try:
            return list(headers.items())
        except TypeError:
            pass
    return list(headers)


def _flash(text: str | None) -> str:
    """The flashed messages and field errors of a page shown again."""
    found = re.findall(r'<div class="(?:alert[^"]*|invalid-feedback[^"]*)"[^>]*>(.*?)</div>',
                       text or "", re.DOTALL)
    return " / ".join(html.unescape(TAG.sub("", m)).strip() for m in found)[:200]


def _message(text: str | None) -> str:
    """The Chinese message of an error page, for the failure list."""
    if not text:
        return ""
    match = re.search(r'<p class="mb-3">(.*?)</p>', text, re.DOTALL)
    return html.unescape(match.group(1)).strip()[:120] if match else ""


# -- figures by kind of request --------------------------------------------------------------
# The figures are kept for the whole run and for the steady state (from the moment every
# user is logged in): the ramp-up is dominated by the logins' argon2id hashing. The saturation
# mode keeps them for its measured window instead ("window").
TIMES: dict[str, dict[str, list[float]]] = {
    phase: {"pages": [], "posts": [], "login": [], "every": []}
    for phase in ("all", "steady", "window")}
BY_NAME: dict[str, dict[str, list[float]]] = {"steady": {}, "window": {}}
COUNTS = {phase: {"requests": 0, "errors": 0, "posts": 0, "logins": 0}
          for phase in ("all", "steady", "window")}
STARTED = {"all": 0.0, "steady": 0.0}
PHASES = ["all"]
CPU: dict = {}
WARMUP = float(os.environ.get("LOAD_WARMUP", "3"))
WINDOW = float(os.environ.get("LOAD_WINDOW", "15"))
APP_PIDS = cpu.pids_from_env("LOAD_APP_PIDS")
EXTRA_PIDS = cpu.pids_from_env("LOAD_EXTRA_PIDS")
DATABASE = os.environ.get("LOAD_DATABASE", "tracker_load")


def _kind(name: str) -> str:
    if name.startswith("page:"):
        return "pages"
    if name.startswith("post:"):
        return "posts"
    return "login"


def _snapshot() -> dict | None:
    return cpu.snapshot(APP_PIDS, DATABASE, EXTRA_PIDS) if APP_PIDS else None


@events.test_start.add_listener
def _start(environment, **_):
    STARTED["all"] = time.time()
    if MODE == "saturate":
        gevent.spawn(_measure, environment)


def _measure(environment) -> None:
    """The saturation mode's window: from LOAD_WARMUP seconds after the last login, for
    LOAD_WINDOW seconds; then stop the test."""
    target = environment.parsed_options.num_users
    while LOGGED_IN[0] < target:
        gevent.sleep(0.05)
    gevent.sleep(WARMUP)
    before = _snapshot()
    started = time.monotonic()
    IDLE[0] = 0
    PHASES.append("window")
    gevent.sleep(WINDOW)
    PHASES.remove("window")
    after = _snapshot()
    CPU["window"] = cpu.spent(before, after) if before else None
    CPU["window_seconds"] = time.monotonic() - started
    CPU["idle_work"] = IDLE[0]
    environment.runner.quit()


LOGGED_IN = [0]


def _logged_in(environment) -> None:
    """Count a finished login; the steady state starts when every user is in."""
    LOGGED_IN[0] += 1
    target = getattr(environment.runner, "target_user_count", None) or 0
    if LOGGED_IN[0] >= target and "steady" not in PHASES and MODE != "saturate":
        STARTED["steady"] = time.time()
        CPU["steady_before"] = _snapshot()
        PHASES.append("steady")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **_):
    for phase in PHASES:
        COUNTS[phase]["requests"] += 1
        if exception is not None:
            COUNTS[phase]["errors"] += 1
        if request_type != "FORM":
            TIMES[phase][_kind(name)].append(response_time)
            TIMES[phase]["every"].append(response_time)
            if _kind(name) == "posts":
                COUNTS[phase]["posts"] += 1
            elif _kind(name) == "login":
                COUNTS[phase]["logins"] += 1
            if phase in BY_NAME:
                BY_NAME[phase].setdefault(name, []).append(response_time)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least p % of the values at or below it.
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _figures(values: list[float]) -> dict:
    return {"count": len(values), **{f"p{p}": round(percentile(values, p)) for p in (50, 95, 99)},
            "max": round(max(values)) if values else 0}


def _cpu_per_request(spent: dict | None, requests: int, posts: int) -> dict | None:
    """CPU ms per request of each group over a window (and app+db per POST: the actions'
    window, where each POST comes with its to-do list, form and redirect; or per login)."""
    if not spent:
        return None
    out = {"seconds": round(spent["seconds"], 2), "loadavg": spent["loadavg"]}
    for group in ("app", "db", "pg_all", "extra", "locust"):
        out[f"{group}_s"] = round(spent[group], 3)
        out[f"{group}_ms_per_request"] = (round(1000 * spent[group] / requests, 2)
                                          if requests else None)
    if posts:
        out["app_db_ms_per_post"] = round(1000 * (spent["app"] + spent["db"]) / posts, 1)
    # Cores' worth of CPU each group used on average over the window.
    out["cores"] = {g: round(spent[g] / spent["seconds"], 2)
                    for g in ("app", "db", "pg_all", "extra", "locust") if spent["seconds"]}
    return out


@events.quitting.add_listener
def _report(environment, **_):
    now = time.time()
    summary = {"mode": MODE, "page": PAGE, "users": environment.parsed_options.num_users,
               "hosts": HOSTS}
    phases = ("window",) if MODE == "saturate" else ("all", "steady")
    if MODE != "saturate" and CPU.get("steady_before"):
        CPU["steady"] = cpu.spent(CPU["steady_before"], _snapshot())
    for phase in phases:
        if phase == "window":
            elapsed = CPU.get("window_seconds", 0)
        else:
            elapsed = max(1e-9, now - STARTED[phase]) if STARTED[phase] else 0
        count = COUNTS[phase]
        part = {"seconds": round(elapsed, 1), "requests": count["requests"],
                "errors": count["errors"], "post_count": count["posts"],
                "rps": round(count["requests"] / elapsed, 1) if elapsed else 0}
        for kind, values in TIMES[phase].items():
            part[kind] = _figures(values)
        if phase in BY_NAME:
            part["by_name"] = {name: _figures(values)
                               for name, values in sorted(BY_NAME[phase].items())}
        part["login_count"] = count["logins"]
        part["cpu"] = _cpu_per_request(CPU.get(phase), count["requests"],
                                       count["logins"] if PAGE == "login" else count["posts"])
        summary[phase] = part
    if MODE == "saturate":
        summary["window"]["idle_work"] = CPU.get("idle_work", 0)
    summary["by_name"] = {
        name: {"count": s.num_requests, "failures": s.num_failures,
               "p50": s.get_response_time_percentile(0.5),
               "p95": s.get_response_time_percentile(0.95)}
        for (name, _method), s in sorted(environment.stats.entries.items())}
    summary["requests_total"] = environment.stats.total.num_requests
    summary["errors_total"] = environment.stats.total.num_failures
    # Exceptions raised in this file's tasks (not requests): a broken scenario, also an error.
    summary["exceptions"] = [
        {"error": e["msg"], "count": e["count"]}
        for e in (environment.runner.exceptions.values() if environment.runner else [])]
    summary["failures"] = [
        {"name": f.name, "error": str(f.error), "count": f.occurrences}
        for f in environment.stats.errors.values()]
    out = os.environ.get("LOAD_REPORT")
    if out:
        Path(out).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
