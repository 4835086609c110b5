"""Each person's delivery settings, seen from the outside (a real SMTP server, a real SMS
gateway, the API): the daily digest instead of single e-mails, SMS held through the quiet
hours, a kind's e-mail turned off, and 催办 reaching the urged unit and nobody else.

Each test has its own database (live_app): requests commit, the queue runs when told."""
from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select, update

from tests.support import cycle
from tests.support.api import assignment_of
from tests.support.gateway import configure as configure_sms
from tests.support.jobs import run_jobs
from tests.support.notifications import set_due
from tracker.accounts.models import User
from tracker.core.time import CST, today, utcnow
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.jobs import queue
from tracker.notifications import jobs
from tracker.notifications.digest import write_digests
from tracker.notifications.models import Notification, OutboxMessage
from tracker.notifications.operations import save_settings

NUMBER = "212"


def _configure(app, smtp, gateway, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp.port)
    configure_sms(app, gateway, monkeypatch)


def _assigned(world) -> tuple[int, int, int]:
    """An item registered and assigned to health (lead) and hr (co): (item, lead, co)."""
    api, t, ids = world.api, world.tokens, world.ids
    pid = api.register(t.clerk, ids.meeting, number=NUMBER)["id"]
    item = api.assign(t.clerk, pid, lead=ids.health, co=[ids.hr])
    return pid, assignment_of(item, ids.health)["id"], assignment_of(item, ids.hr)["id"]


def _opinion_in(world, lead: int, co: int) -> None:
    """Both units accept, health passes it to its drafter, hr's clerk sends the opinion and
    hr's leader approves it."""
    api, t, ids = world.api, world.tokens, world.ids
    api.act("assignments", lead, "accept", t.health_clerk, {})
    api.act("assignments", co, "accept", t.hr_clerk, {})
    api.act("assignments", lead, "dispatch", t.health_clerk, {
        "section_id": ids.health_section, "drafter_id": ids.health_drafter})
    api.act("assignments", co, "submit_opinion", t.hr_clerk, {"text": "同意主办单位意见。"})
    api.act("assignments", co, "approve_opinion", t.hr_leader, {})


def _sent(smtp, gateway) -> tuple[int, int]:
    return len(smtp.recorder.messages), len(gateway.requests)


def test_a_digest_reader_gets_one_mail_a_day_listing_everything(
        live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    cycle.save_settings_page(live_app, "health_clerk", digest=True)
    pid, lead, co = _assigned(world)
    _opinion_in(world, lead, co)
    run_jobs(live_app)

    # In-app and SMS as usual; no single e-mail for the digest reader, others get theirs.
    assert cycle.kinds(world, "health_clerk") == ["assigned", "co_opinion"]
    mails = cycle.mails(world, smtp)
    assert "health_clerk" not in mails
    assert mails == {"hr_clerk": [f"新交办：第{NUMBER}号"],
                     "hr_leader": [f"会办意见待审批：第{NUMBER}号"],
                     "health_drafter": [f"请您承办：第{NUMBER}号", f"会办意见已到：第{NUMBER}号"]}
    assert set(cycle.texts(world, gateway)) == {"health_clerk", "hr_clerk"}

    # The morning's digest: one e-mail with both notices and the item's link.
    with live_app.app_context():
        assert write_digests() == 1
        db.session.commit()
        texts = [n.text for n in db.session.scalars(select(Notification).join(User).where(
            User.username == "health_clerk").order_by(Notification.id))]
        db.session.remove()
    run_jobs(live_app)
    [digest] = [m for m in smtp.recorder.messages if m["To"] == world.emails["health_clerk"]]
    assert digest["Subject"] == "【建议提案办理系统】每日通知汇总（2 条）"
    body = digest.get_content()
    assert "以下是您近一日的 2 条通知" in body
    assert "1. 【新交办】" in body and "2. 【会办意见】" in body
    assert all(text in body for text in texts)
    assert f"/proposals/{pid}" in body

    # The next day's job finds nothing new: no second digest.
    before = _sent(smtp, gateway)
    queue.enqueue(jobs.send_digests)
    run_jobs(live_app)
    with live_app.app_context():
        assert write_digests() == 0
        db.session.commit()
        db.session.remove()
    run_jobs(live_app)
    assert _sent(smtp, gateway) == before
    assert cycle.unsent(live_app) == []


def test_an_sms_in_the_quiet_hours_waits_for_their_end(live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    # health's clerk is in quiet hours now (an hour either side of this minute, China time).
    local = utcnow().replace(second=0, microsecond=0, tzinfo=UTC).astimezone(CST)
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "health_clerk"))
        save_settings(user, channels={}, digest=False, quiet_from=start.strftime("%H:%M"),
                      quiet_until=end.strftime("%H:%M"))
        db.session.commit()
        db.session.remove()
    _assigned(world)
    run_jobs(live_app)

    # The e-mail went at once, hr's clerk (no quiet hours) had the SMS, health's waits.
    assert cycle.mails(world, smtp) == {"health_clerk": [f"新交办：第{NUMBER}号"],
                                        "hr_clerk": [f"新交办：第{NUMBER}号"]}
    assert set(cycle.texts(world, gateway)) == {"hr_clerk"}
    [waiting] = cycle.unsent(live_app)
    ends = end.astimezone(UTC).replace(tzinfo=None)
    assert (waiting.channel, waiting.recipient) == ("sms", world.phones["health_clerk"])
    assert waiting.next_attempt_at == ends
    # Before the end nothing goes, whatever runs (the sweep included).
    assert run_jobs(live_app, now=ends - timedelta(minutes=1)) >= 0
    run_jobs(live_app)
    with live_app.app_context():
        assert jobs.sweep_now(timedelta(0)) == 0
        db.session.remove()
    run_jobs(live_app)
    assert set(cycle.texts(world, gateway)) == {"hr_clerk"}

    # Even a retry or a queue that runs it early keeps to the quiet hours: moved into the
    # past by hand, the row is put back to their end when its job runs.
    with live_app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == waiting.id).values(
            next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert jobs.sweep_now(timedelta(0)) == 1
        db.session.remove()
    run_jobs(live_app)
    assert set(cycle.texts(world, gateway)) == {"hr_clerk"}
    [again] = cycle.unsent(live_app)
    assert again.next_attempt_at == ends

    # The hour passes (the quiet hours are over: the row's time and the person's hours moved
    # into the past): it goes, once.
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "health_clerk"))
        save_settings(user, channels={}, digest=False,
                      quiet_from=(start - timedelta(hours=3)).strftime("%H:%M"),
                      quiet_until=(start - timedelta(hours=2)).strftime("%H:%M"))
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == waiting.id).values(
            next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    run_jobs(live_app, now=ends + timedelta(minutes=1))
    texts = cycle.texts(world, gateway)
    assert {name: len(got) for name, got in texts.items()} == {"hr_clerk": 1, "health_clerk": 1}
    assert texts["health_clerk"][0].startswith(f"【建议提案办理】新交办：第{NUMBER}号")
    assert cycle.unsent(live_app) == []
    before = _sent(smtp, gateway)
    run_jobs(live_app, now=ends + timedelta(hours=1))
    assert _sent(smtp, gateway) == before


def test_urging_reaches_the_units_clerk_and_leader_and_nobody_else(
        live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    pid, lead, co = _assigned(world)
    api, t = world.api, world.tokens
    api.act("assignments", lead, "accept", t.health_clerk, {})
    api.act("assignments", co, "accept", t.hr_clerk, {})
    run_jobs(live_app)
    before = cycle.all_kinds(world)
    mails_before = cycle.mails(world, smtp)
    sms_before = cycle.texts(world, gateway)

    # 催办 of health's assignment through the page.
    clerk = live_app.test_client()
    assert clerk.login("clerk").status_code == 302
    response = clerk.post_form(f"/supervision/assignments/{lead}/urge", {"message": "请抓紧办理。"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    run_jobs(live_app)

    def new(found: dict, old: dict) -> dict:
        return {name: got[len(old.get(name, [])):] for name, got in found.items()
                if got[len(old.get(name, [])):]}

    told = ("health_clerk", "health_leader")
    assert new(cycle.all_kinds(world), before) == {name: ["urge"] for name in told}
    assert new(cycle.mails(world, smtp), mails_before) == {
        name: [f"催办：第{NUMBER}号"] for name in told}
    texts = new(cycle.texts(world, gateway), sms_before)
    assert set(texts) == set(told)
    for [text] in texts.values():
        # The SMS names the item by number only, and leaves out the message (which may name
        # it): the message is in the app and the e-mail.
        assert text.startswith(f"【建议提案办理】交办员催办第{NUMBER}号，期限")
        assert "请抓紧办理。" not in text and "关于加强基层卫生人才队伍建设的建议" not in text
    for name in told:
        [notice] = [n for n in cycle.inbox(world, name)["items"] if n["kind"] == "urge"]
        assert notice["kind_label"] == "催办" and notice["assignment_id"] == lead
        assert "请抓紧办理。" in notice["text"]

    # 催办 of all hr's overdue items: hr's clerk (hr has no leader nor signer), not health.
    with live_app.app_context():
        set_due(db.session.get(Assignment, co), today() - timedelta(days=1))
        db.session.commit()
        db.session.remove()
    before, mails_before = cycle.all_kinds(world), cycle.mails(world, smtp)
    sms_before = cycle.texts(world, gateway)
    response = clerk.post_form(f"/supervision/units/{world.ids.hr}/urge", {"message": "请尽快提出会办意见。"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    run_jobs(live_app)
    assert new(cycle.all_kinds(world), before) == {"hr_clerk": ["urge"]}
    assert new(cycle.mails(world, smtp), mails_before) == {"hr_clerk": ["催办：超期未办 1 件"]}
    assert set(new(cycle.texts(world, gateway), sms_before)) == {"hr_clerk"}
    counted = _sent(smtp, gateway)
    run_jobs(live_app)
    assert _sent(smtp, gateway) == counted


def test_a_reviewer_without_review_mails_still_sees_the_notice(
        live_app, smtp, gateway, monkeypatch):
    _configure(live_app, smtp, gateway, monkeypatch)
    world = cycle.build(live_app)
    cycle.save_settings_page(live_app, "health_first", email_off=("to_review",))
    cycle.save_settings_page(live_app, "health_second", sms_on=("to_review",))
    pid, lead, co = _assigned(world)
    _opinion_in(world, lead, co)
    api, t = world.api, world.tokens
    api.act("assignments", lead, "save_draft", t.health_drafter, {
        "base_number": 0, "body": "一、基本情况", "result_class": "A", "reply_form": "written",
        "disclosure": "public", "contact_name": "刘洋", "contact_phone": "0431-88900000"})
    api.act("assignments", lead, "submit_review", t.health_drafter, {})
    run_jobs(live_app)
    assert cycle.kinds(world, "health_first") == ["to_review"]
    assert "health_first" not in cycle.mails(world, smtp)
    assert "health_first" not in cycle.texts(world, gateway)

    # The next reviewer, who asked for review notices by SMS too, gets all three.
    seen = assignment_of(api.get(f"/proposals/{pid}", t.health_first).get_json(),
                         world.ids.health)
    api.act("assignments", lead, "approve", t.health_first,
            {"seen_version_id": seen["draft"]["id"]})
    run_jobs(live_app)
    assert cycle.kinds(world, "health_second") == ["to_review"]
    assert cycle.mails(world, smtp)["health_second"] == [f"待审核：第{NUMBER}号"]
    [text] = cycle.texts(world, gateway)["health_second"]
    assert text.startswith(f"【建议提案办理】第{NUMBER}号请复审答复稿")
    # The first reviewer's notice is in the list, dealt with by their approval (read).
    first = live_app.test_client()
    assert first.login("health_first").status_code == 302
    assert cycle.badge(first) == cycle.inbox(world, "health_first")["unread"] == 0
    [notice] = cycle.inbox(world, "health_first")["items"]
    assert notice["kind"] == "to_review" and notice["read_at"] is not None
    assert cycle.mails(world, smtp).get("health_first") is None
