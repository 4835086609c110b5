"""Driving an item through the whole cycle through the API, each actor finds exactly the
notifications they should: in-app (GET /api/v1/notifications with their own token, and the
count in the navbar), by e-mail (a real local SMTP server) and by SMS (a real local HTTP
gateway); each once, none for people outside the units handling the item.

Each test has its own database (live_app): requests commit, and the outbox's messages leave
only when the queue runs (run_jobs)."""
from __future__ import annotations

from sqlalchemy import select

from tests.support import cycle
from tests.support.api import assignment_of
from tests.support.gateway import configure as configure_sms
from tests.support.jobs import run_jobs
from tracker.extensions import db
from tracker.notifications.models import OutboxMessage

TITLE = "关于加强基层卫生人才队伍建设的建议"
NUMBER = "212"
DRAFT = {"base_number": 0, "body": "一、基本情况\n我委高度重视基层卫生人才队伍建设。",
         "result_class": "A", "reply_form": "written", "disclosure": "public",
         "contact_name": "刘洋", "contact_phone": "0431-88900000",
         "closing": "感谢您对卫生健康工作的关心和支持。"}
# The subjects of the e-mails, by kind (after the system's prefix).
SUBJECTS = {"assigned": "新交办", "dispatched": "请您承办", "co_opinion": "会办意见已到",
            "to_review": "待审核", "draft_returned": "退回修改", "to_sign": "待签发",
            "to_issue": "待发文"}
SMS_KINDS = {"assigned"}  # of these kinds, the only one that goes by SMS by default


def _configure(app, smtp, gateway, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)
    configure_sms(app, gateway, monkeypatch)


class Expect:
    """What everyone should have received so far, grown step by step, checked against what
    the API, the SMTP server and the gateway show."""

    def __init__(self, world, smtp, gateway):
        self.world, self.smtp, self.gateway = world, smtp, gateway
        self.kinds: dict[str, list[str]] = {}
        self.subjects: dict[str, list[str]] = {}

    def add(self, kind: str, *usernames: str, subject: str | None = None) -> None:
        for name in usernames:
            self.kinds.setdefault(name, []).append(kind)
            self.subjects.setdefault(name, []).append(
                f"{subject or SUBJECTS[kind]}：第{NUMBER}号")

    def mails(self) -> dict[str, list[str]]:
        return self.subjects

    def sms(self) -> dict[str, int]:
        counts = {name: sum(1 for k in got if k in SMS_KINDS) for name, got in self.kinds.items()}
        return {name: n for name, n in counts.items() if n}

    def check(self, step: str) -> None:
        app = self.world.app
        run_jobs(app)
        assert cycle.all_kinds(self.world) == self.kinds, step
        assert cycle.mails(self.world, self.smtp) == self.mails(), step
        texts = cycle.texts(self.world, self.gateway)
        assert {name: len(got) for name, got in texts.items()} == self.sms(), step
        assert cycle.unsent(app) == [], step
        # Again: nothing new anywhere.
        before = (len(self.smtp.recorder.messages), len(self.gateway.requests))
        run_jobs(app)
        assert (len(self.smtp.recorder.messages), len(self.gateway.requests)) == before, step


def test_each_actor_is_told_once_of_their_turn_through_the_whole_cycle(
        live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    api, t, ids = world.api, world.tokens, world.ids
    expect = Expect(world, smtp, gateway)

    # 登记 and 交办: the clerks of health (lead) and hr (co) are told, by every channel.
    item = api.register(t.clerk, ids.meeting, number=NUMBER)
    pid = item["id"]
    expect.check("registered")
    item = api.assign(t.clerk, pid, lead=ids.health, co=[ids.hr])
    lead, co = assignment_of(item, ids.health)["id"], assignment_of(item, ids.hr)["id"]
    expect.add("assigned", "health_clerk", "hr_clerk")
    expect.check("assigned")

    # 签收 by both units tells nobody; 指定承办人 tells each drafter.
    api.act("assignments", lead, "accept", t.health_clerk, {})
    api.act("assignments", co, "accept", t.hr_clerk, {})
    expect.check("accepted")
    api.act("assignments", lead, "dispatch", t.health_clerk, {
        "section_id": ids.health_section, "drafter_id": ids.health_drafter})
    api.act("assignments", co, "dispatch", t.hr_clerk, {
        "section_id": ids.hr_section, "drafter_id": ids.hr_drafter})
    expect.add("dispatched", "health_drafter")
    expect.add("dispatched", "hr_drafter")
    expect.check("dispatched")

    # hr's drafter submits the co-handling opinion: hr's leader is asked to approve it; he
    # returns it once (the drafter hears why), approves the revision, and only then health's
    # drafter and clerk hear of it.
    api.act("assignments", co, "submit_opinion", t.hr_drafter,
            {"text": "建议将基层卫生人才纳入职称评审倾斜政策。"})
    expect.add("co_opinion", "hr_leader", subject="会办意见待审批")
    expect.check("opinion submitted")
    api.act("assignments", co, "return_opinion", t.hr_leader, {"comment": "请写明政策依据"})
    expect.add("draft_returned", "hr_drafter", subject="会办意见退回修改")
    expect.check("opinion returned")
    api.act("assignments", co, "submit_opinion", t.hr_drafter,
            {"text": "建议按照职称评审有关规定将基层卫生人才纳入倾斜政策。"})
    expect.add("co_opinion", "hr_leader", subject="会办意见待审批")
    expect.check("opinion submitted again")
    api.act("assignments", co, "approve_opinion", t.hr_leader, {})
    expect.add("co_opinion", "health_clerk", "health_drafter")
    expect.check("opinion in")

    # The draft goes to 初审, comes back once with a comment, and goes again.
    api.act("assignments", lead, "save_draft", t.health_drafter, DRAFT)
    expect.check("draft saved")
    api.act("assignments", lead, "submit_review", t.health_drafter, {})
    expect.add("to_review", "health_first")
    expect.check("sent for review")
    seen = _lead(api, t.health_first, pid, ids)
    api.act("assignments", lead, "return_draft", t.health_first, {
        "seen_version_id": seen["draft"]["id"], "comment": "请补充具体数据。"})
    expect.add("draft_returned", "health_drafter")
    expect.check("returned")
    api.act("assignments", lead, "save_draft", t.health_drafter,
            dict(DRAFT, base_number=1, body=DRAFT["body"] + "\n二、2026年招收定向医学生500名。"))
    api.act("assignments", lead, "submit_review", t.health_drafter, {})
    expect.add("to_review", "health_first")
    expect.check("sent for review again")

    # 初审, 复审, 终审: each approval tells the next reviewer, the last one the signers.
    for reviewer, told, kind in (("health_first", ("health_second",), "to_review"),
                                 ("health_second", ("health_final",), "to_review"),
                                 ("health_final", ("health_leader",), "to_sign")):
        token = getattr(t, reviewer)
        seen = _lead(api, token, pid, ids)
        api.act("assignments", lead, "approve", token,
                {"seen_version_id": seen["draft"]["id"], "comment": "同意"})
        expect.add(kind, *told)
        expect.check(f"approved by {reviewer}")

    # A key item is signed by the unit's principal leader (the other signer is not told);
    # 签发 tells the clerk who issues; 发文 tells no one of the staff (the authors get links).
    seen = _lead(api, t.health_leader, pid, ids)
    api.act("assignments", lead, "sign", t.health_leader, {"seen_version_id": seen["draft"]["id"]})
    expect.add("to_issue", "health_clerk")
    expect.check("signed")

    # The navbar's unread count is the API's, for each person. Whoever acted has dealt with
    # their notices about it: only the clerk, who last acted at 指定承办人, has two waiting (the
    # co-handling opinion, and 发文). Reading one lowers both counts.
    waiting = {"health_clerk": 2}
    for name in cycle.USERS:
        client = live_app.test_client()
        assert client.login(name).status_code == 302
        unread = cycle.inbox(world, name)["unread"]
        assert cycle.badge(client) == unread == waiting.get(name, 0), name
    first = cycle.inbox(world, "health_clerk")["items"][0]
    assert first["kind"] == "to_issue" and first["kind_label"] == "待发文"
    assert first["proposal_id"] == pid and first["assignment_id"] == lead
    assert first["url"].endswith(f"/proposals/{pid}") and first["read_at"] is None
    api.post(f"/notifications/{first['id']}/read", t.health_clerk, expect=200)
    client = live_app.test_client()
    client.login("health_clerk")
    assert cycle.badge(client) == cycle.inbox(world, "health_clerk")["unread"] == 1
    assert [n["kind"] for n in cycle.inbox(world, "health_clerk", unread=True)["items"]] == [
        "co_opinion"]

    item = api.act("assignments", lead, "issue", t.health_clerk, {}).get_json()
    assert item["state"] == "replied"
    expect.check("issued")

    # Who got what, in the end: nobody of edu, hr nothing after its part, the supervisor
    # (who made every 交办 move) nothing, and every message went once.
    assert expect.kinds == {
        "health_clerk": ["assigned", "co_opinion", "to_issue"],
        "hr_clerk": ["assigned"],
        "health_drafter": ["dispatched", "co_opinion", "draft_returned"],
        "hr_drafter": ["dispatched", "draft_returned"],
        "hr_leader": ["co_opinion", "co_opinion"],
        "health_first": ["to_review", "to_review"],
        "health_second": ["to_review"],
        "health_final": ["to_review"],
        "health_leader": ["to_sign"],
    }
    # The rating links went to the authors, and only there besides the staff's notices.
    authors = [m["To"] for m in smtp.recorder.messages if m["To"] not in world.emails.values()]
    assert authors == ["lihua@example.cn"]
    # SMS: to the two clerks, once each, the gateway's format, no title of the item.
    requests = gateway.requests
    assert len(requests) == 2
    assert all(r.method == "POST" and r.path == "/sms/send"
               and r.headers["content-type"].startswith("application/json")
               and r.headers["x-api-key"] == "test-key" for r in requests)
    texts = cycle.texts(world, gateway)
    assert set(texts) == {"health_clerk", "hr_clerk"}
    for [text] in texts.values():
        assert text.startswith("【建议提案办理】新交办：第212号") and TITLE not in text
        assert "请登录系统签收" in text
    with live_app.app_context():
        serials = {m.id for m in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.channel == "sms"))}
        db.session.remove()
    assert {int(r.json["serial"]) for r in requests} == serials
    # The e-mails carry the item's title and link (the SMS does not).
    for message in smtp.recorder.messages:
        if message["To"] in world.emails.values():
            body = message.get_content()
            assert TITLE in body and f"/proposals/{pid}" in body

    # Everyone has dealt with their turn: each notice was marked read by its person's own
    # move (or by the turn passing), in the navbar and in the API alike.
    for name in cycle.USERS:
        client = live_app.test_client()
        assert client.login(name).status_code == 302
        assert cycle.badge(client) == cycle.inbox(world, name)["unread"] == 0, name


def _lead(api, token, pid, ids) -> dict:
    return assignment_of(api.get(f"/proposals/{pid}", token, expect=200).get_json(), ids.health)


def test_a_return_request_and_its_answers_reach_the_right_people(
        live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    api, t, ids = world.api, world.tokens, world.ids
    expect = Expect(world, smtp, gateway)
    pid = api.register(t.clerk, ids.meeting, number=NUMBER)["id"]
    item = api.assign(t.clerk, pid, lead=ids.health, co=[ids.hr])
    lead, co = assignment_of(item, ids.health)["id"], assignment_of(item, ids.hr)["id"]
    expect.add("assigned", "health_clerk", "hr_clerk")
    expect.check("assigned")

    # Both units ask to return it: the supervising clerk is told of each.
    api.act("assignments", lead, "request_return", t.health_clerk, {"reason": "不属于本单位职责"})
    api.act("assignments", co, "request_return", t.hr_clerk, {"reason": "与本单位无关"})
    expect.add("return_request", "clerk", "clerk", subject="退回申请待审核")
    expect.check("return requested")

    # hr's request is refused: hr's clerk hears it and must now accept.
    api.act("assignments", co, "reject_return", t.clerk, {"reason": "涉及职称评审政策"})
    expect.add("return_decided", "hr_clerk", subject="不同意退回")
    expect.check("return rejected")

    # health's is granted and the item goes to edu: health hears it, edu's clerk gets it.
    api.act("assignments", lead, "approve_return", t.clerk, {"reassign_unit_id": ids.edu})
    expect.add("return_decided", "health_clerk", subject="同意退回")
    expect.add("assigned", "edu_clerk")
    expect.check("return approved")
    # health can no longer open the item: its notice says so without a link to it.
    api.get(f"/proposals/{pid}", t.health_clerk, expect=404)
    granted = cycle.inbox(world, "health_clerk")["items"][0]
    assert granted["kind"] == "return_decided" and "已同意退回" in granted["text"]
    assert (granted["proposal_id"], granted["assignment_id"], granted["url"]) == (None, None, None)
    [mail] = [m for m in smtp.recorder.messages
              if m["To"] == world.emails["health_clerk"] and "同意退回" in m["Subject"]]
    assert "/notifications" in mail.get_content() and f"/proposals/{pid}" not in mail.get_content()
    # hr's clerk, told to handle it after all, opens it from the notice.
    refused = cycle.inbox(world, "hr_clerk")["items"][0]
    assert "不同意退回" in refused["text"] and refused["url"].endswith(f"/proposals/{pid}")
