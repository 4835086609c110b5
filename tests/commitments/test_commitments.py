"""Commitments (承诺事项) as the units and the supervising office meet them: listed on an
issued B or C reply (A and unissued replies refused beside the field), kept by the unit only,
progress with files, closed as 已落实 or an explained 未落实, 办成率 on the dashboard, the
annual 回头看 and its workbook, the daily overdue warning, the authors told by e-mail."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tests.commitments.conftest import issue
from tests.support.handling import bring_to, latest_id, write_draft
from tracker.audit.models import AuditEvent
from tracker.commitments import jobs, operations, queries
from tracker.commitments.choices import CommitmentStatus
from tracker.commitments.models import Commitment, CommitmentFile, CommitmentReport
from tracker.core.errors import Conflict
from tracker.core.time import today
from tracker.extensions import db
from tracker.notifications.models import Notification, OutboxMessage
from tracker.replies import operations as replies

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _field_error(html: str, text: str) -> bool:
    return bool(re.search(r'invalid-feedback[^>]*>[^<]*' + re.escape(text), html))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _add(w, reply, what="2027年底前为全省乡镇卫生院各配备1名全科医生。", due=None):
    return operations.add_commitment(reply, w.health_clerk, what=what,
                                     due_on=due or today() + timedelta(days=200),
                                     section_id=w.health_section.id)


def _make_overdue(commitment, days=5):
    db.session.execute(update(Commitment).where(Commitment.id == commitment.id)
                       .values(due_on=today() - timedelta(days=days)))
    db.session.expire(commitment)


def test_a_clerk_lists_a_commitment_of_a_b_reply_and_the_item_page_shows_it(app, rows, login):
    ids = rows(lambda w: (lambda a, r: {"item": a.proposal_id, "reply": r.id,
                                        "section": w.health_section.id})(*issue(w, "B")))
    clerk = login("health_clerk")
    page = clerk.get(f"/proposals/{ids['item']}").get_data(as_text=True)
    card = page.split('id="commitments"', 1)[1].split("与提出人联系情况", 1)[0]
    assert "未登记承诺事项" in card and "登记承诺事项" in card
    form = clerk.get(f"/proposals/{ids['item']}/commitments/new?reply={ids['reply']}")
    assert form.status_code == 200 and "B类" in form.get_data(as_text=True)
    due = (today() + timedelta(days=300)).isoformat()
    response = clerk.post(f"/proposals/{ids['item']}/commitments/new", data={
        "csrf_token": clerk.token, "reply_id": ids["reply"], "section_id": ids["section"],
        "what": "明年在全省推广家庭医生签约服务。", "due_on": due})
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.scalar(select(Commitment))
        assert (commitment.what, commitment.due_on.isoformat(), commitment.status) == (
            "明年在全省推广家庭医生签约服务。", due, CommitmentStatus.open)
        assert commitment.section.name == "基层卫生健康处"
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "commitment_added"))
        assert event.object_id == commitment.id and event.proposal_id == ids["item"]
    page = clerk.get(f"/proposals/{ids['item']}").get_data(as_text=True)
    card = page.split('id="commitments"', 1)[1].split("与提出人联系情况", 1)[0]
    assert "明年在全省推广家庭医生签约服务。" in card and due in card and "落实中" in card
    assert "登记承诺事项" in page.split("办理过程", 1)[1]  # on the item's timeline


def test_an_a_reply_and_an_unissued_reply_are_refused_beside_the_field(app, rows, login):
    def build(w):
        a_assignment, a_reply = issue(w, "A")
        signed = bring_to(w, "drafting")
        write_draft(signed, w.health_drafter, result_class="B")
        replies.submit_review(signed, w.health_drafter)
        for reviewer in (w.health_first, w.health_second, w.health_final):
            replies.approve_draft(signed, reviewer, seen_version_id=latest_id(signed))
        replies.sign_reply(signed, w.health_signer, seen_version_id=latest_id(signed))
        from tracker.replies.queries import current_reply

        return {"a_item": a_assignment.proposal_id, "a_reply": a_reply.id,
                "s_item": signed.proposal_id, "s_reply": current_reply(signed).id}
    ids = rows(build)
    clerk = login("health_clerk")
    form = clerk.get(f"/proposals/{ids['a_item']}/commitments/new").get_data(as_text=True)
    assert "尚无已发文的 B 类或 C 类答复" in form
    for item, reply, message in ((ids["a_item"], ids["a_reply"], "只有 B 类、C 类答复"),
                                 (ids["s_item"], ids["s_reply"], "尚未发文")):
        response = clerk.post(f"/proposals/{item}/commitments/new", data={
            "csrf_token": clerk.token, "reply_id": reply, "section_id": 0,
            "what": "承诺做某事。", "due_on": (today() + timedelta(days=30)).isoformat()})
        assert response.status_code == 422
        assert _field_error(response.get_data(as_text=True), message)
    with app.app_context():
        assert _count(Commitment) == 0
        assert not db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("commitment%")))
    # The item page of an A reply has no commitments card at all.
    assert 'id="commitments"' not in clerk.get(f"/proposals/{ids['a_item']}").get_data(as_text=True)


def test_only_the_unit_keeps_them_the_office_reads_them_other_units_see_nothing(
        app, rows, login):
    def build(w):
        assignment, reply = issue(w, "B", co=[w.hr])
        commitment = _add(w, reply, what="HEALTHPROMISE 建设基层医疗服务网络。")
        return {"item": assignment.proposal_id, "c": commitment.id}
    ids = rows(build)
    urls = [f"/commitments/{ids['c']}/{verb}" for verb in ("edit", "report", "close")]
    for user in ("edu_clerk", "hr_clerk"):  # hr co-handles the item and sees its page
        client = login(user)
        for url in urls + [f"/proposals/{ids['item']}/commitments/new"]:
            assert client.get(url).status_code in (403, 404), (user, url)
            assert client.post(url, data={"csrf_token": client.token, "text": "越权",
                                          "outcome": "done"}).status_code in (403, 404)
    assert "HEALTHPROMISE" not in login("hr_clerk").get(f"/proposals/{ids['item']}").get_data(
        as_text=True)
    office = login("clerk")
    assert "HEALTHPROMISE" in office.get(f"/proposals/{ids['item']}").get_data(as_text=True)
    assert all(office.get(url).status_code == 403 for url in urls)  # reads, does not write
    other_drafter = login("health_drafter2")  # health's, but not this item's drafter
    assert other_drafter.get(urls[1]).status_code == 403
    assert login("health_drafter").get(urls[1]).status_code == 200
    with app.app_context():
        assert _count(CommitmentReport) == 0
        assert db.session.scalar(select(Commitment.status)) == CommitmentStatus.open


def test_progress_with_a_file_is_shown_and_its_file_kept_within_the_unit(app, rows, login):
    def build(w):
        assignment, reply = issue(w, "B", co=[w.hr])
        return {"item": assignment.proposal_id, "c": _add(w, reply).id}
    ids = rows(build)
    drafter = login("health_drafter")
    response = drafter.post(f"/commitments/{ids['c']}/report", data={
        "csrf_token": drafter.token, "text": "已完成招聘方案，正在组织考试。",
        "reported_on": today().isoformat(),
        "files": [(io.BytesIO(PDF), "招聘方案.pdf"), (io.BytesIO(PDF), "考试通知.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(CommitmentReport))
        assert report.text == "已完成招聘方案，正在组织考试。"
        files = db.session.scalars(select(CommitmentFile)).all()
        assert {f.attachment.original_name for f in files} == {"考试通知.pdf", "招聘方案.pdf"}
        attachment_id = files[0].attachment_id
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "commitment_progress")) == "commitment_progress"
    page = drafter.get(f"/proposals/{ids['item']}").get_data(as_text=True)
    assert "已完成招聘方案，正在组织考试。" in page and "附件：招聘方案.pdf" in page
    assert login("health_clerk").get(f"/attachments/{attachment_id}").data == PDF
    assert login("clerk").get(f"/attachments/{attachment_id}").status_code == 200
    assert login("hr_clerk").get(f"/attachments/{attachment_id}").status_code == 404
    # A file of a refused type is refused beside the field, and nothing is saved.
    response = drafter.post(f"/commitments/{ids['c']}/report", data={
        "csrf_token": drafter.token, "text": "第二次进展。", "reported_on": today().isoformat(),
        "files": [(io.BytesIO(b"MZ\x90\x00"), "病毒.exe")]}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'invalid-feedback' in response.get_data(as_text=True)
    with app.app_context():
        assert _count(CommitmentReport) == 1 and _count(CommitmentFile) == 2


def test_not_done_needs_an_explanation_and_nothing_is_half_saved(app, rows, login):
    ids = rows(lambda w: {"c": _add(w, issue(w, "C")[1]).id})
    clerk = login("health_clerk")
    url = f"/commitments/{ids['c']}/close"
    response = clerk.post(url, data={"csrf_token": clerk.token, "outcome": "not_done",
                                     "note": "   "})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "请填写未落实的原因说明")
    assert response.get_data(as_text=True).count("提交的内容有误，请按提示修改。") == 1
    with app.app_context():
        commitment = db.session.scalar(select(Commitment))
        assert commitment.status == CommitmentStatus.open and commitment.closed_at is None
        assert not db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "commitment_closed"))
    response = clerk.post(url, data={"csrf_token": clerk.token, "outcome": "not_done",
                                     "note": "受财力所限，列入下一年度计划。"})
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.scalar(select(Commitment))
        assert commitment.status == CommitmentStatus.not_done
        assert commitment.closing_note == "受财力所限，列入下一年度计划。"
    # Closed: no more changes (the page refuses, the operation answers 409).
    assert clerk.get(url).status_code == 403
    with app.test_request_context():
        commitment = db.session.scalar(select(Commitment))
        from tracker.accounts.models import User

        user = db.session.scalar(select(User).where(User.username == "health_clerk"))
        with pytest.raises(Conflict):
            operations.close_commitment(commitment, user, outcome="done", done_on=today())


def test_the_database_refuses_a_not_done_without_reason_and_a_done_without_date(app, rows):
    ids = rows(lambda w: {"c": _add(w, issue(w, "B")[1]).id})
    for values in ({"status": "not_done", "closing_note": "", "closed_at": today()},
                   {"status": "done", "done_on": None, "closed_at": today()},
                   {"status": "done", "done_on": today(), "closed_at": None}):
        with app.app_context():
            with pytest.raises(IntegrityError):
                with db.session.begin_nested():
                    db.session.execute(update(Commitment).where(Commitment.id == ids["c"])
                                       .values(**values))
            db.session.rollback()


def _known_set(w):
    """health: 2 done, 1 not done, 1 overdue, 1 still in time; its meeting's id."""
    _, reply = issue(w, "B")
    _, other = issue(w, "C")
    made = [_add(w, reply, what=f"承诺{n}") for n in range(4)] + [_add(w, other, what="承诺4")]
    for commitment in made[:2]:
        operations.close_commitment(commitment, w.health_clerk, outcome="done", done_on=today())
    operations.close_commitment(made[2], w.health_clerk, outcome="not_done", note="条件不具备。")
    _make_overdue(made[3])
    issue(w, "B")  # a B reply with no commitment: it does not change the rate
    return {"health": w.health.id, "meeting": w.meeting.id}


def test_done_rates_in_sql_and_on_the_dashboard(app, rows, login):
    ids = rows(_known_set)
    with app.app_context():
        by_unit = queries.done_rates(by="unit")
        assert set(by_unit) == {ids["health"]}
        rate = by_unit[ids["health"]]
        assert (rate.total, rate.done, rate.not_done, rate.overdue, rate.due) == (5, 2, 1, 1, 4)
        assert rate.rate == 0.5
        by_meeting = queries.done_rates(ids["meeting"], by="meeting")
        assert by_meeting[ids["meeting"]].rate == 0.5
        assert queries.done_rates(ids["meeting"] + 999) == {}
        with pytest.raises(ValueError):
            queries.done_rates(by="section")
    html = login("clerk").get("/supervision/").get_data(as_text=True)
    assert re.search(r'data-kpi="done-rate">50\.0%<', html)
    assert re.search(r'data-kpi="overdue-commitments">1<', html)
    table = html.split('id="tbl-commitments"', 1)[1].split("</table>", 1)[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", table)]
    assert cells[:7] == ["省卫生健康委员会", "5", "2", "1", "2", "1", "50.0%"]
    # A unit's own users see their figures; another unit has none.
    assert re.search(r'data-kpi="done-rate">50\.0%<',
                     login("health_clerk").get("/supervision/").get_data(as_text=True))
    assert re.search(r'data-kpi="done-rate">—<',
                     login("edu_clerk").get("/supervision/").get_data(as_text=True))


def test_the_annual_review_lists_every_b_and_c_reply_and_exports_it(app, rows, login):
    def build(w):
        _, listed = issue(w, "B")
        _add(w, listed, what="建成县域医共体。")
        bare, _ = issue(w, "C")
        issue(w, "A")
        return {"bare": bare.proposal_id, "year": w.meeting.year, "edu": w.edu.id,
                "health": w.health.id}
    ids = rows(build)
    office = login("clerk")
    html = office.get(f"/commitments/review?year={ids['year']}").get_data(as_text=True)
    assert html.count('class="review-row') == 2  # the A reply is not listed
    assert "建成县域医共体。" in html and "落实中" in html
    flagged = html.split(f'/proposals/{ids["bare"]}', 1)[1].split("</tr>", 1)[0]
    assert "未登记承诺事项" in flagged
    assert 'data-kpi="none-listed">1<' in html
    assert 'class="review-row' not in office.get(
        f"/commitments/review?year={ids['year']}&unit={ids['edu']}").get_data(as_text=True)
    assert 'class="review-row' not in office.get(
        f"/commitments/review?year={ids['year'] - 1}").get_data(as_text=True)
    response = office.get(f"/supervision/commitments/review.xlsx?year={ids['year']}"
                          f"&unit={ids['health']}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c for c in row] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert sheet["A1"].value == f"{ids['year']}年度承诺事项回头看"
    assert len(values) == 2
    assert any(r[6] == "建成县域医共体。" and r[9] == "落实中" for r in values)
    assert any(r[6] == "未登记承诺事项" and r[12] == "未登记承诺事项" for r in values)
    for user in ("health_clerk", "edu_clerk"):
        client = login(user)
        assert client.get(f"/commitments/review?year={ids['year']}").status_code == 403
        assert client.get("/supervision/commitments/review.xlsx").status_code == 403


def test_the_daily_job_warns_the_units_clerks_once_per_due_date(app, rows):
    from tracker.jobs import queue

    ids = rows(lambda w: (lambda c: (_make_overdue(c), {"c": c.id})[1])(
        _add(w, issue(w, "B")[1])))
    queue.bind(app)
    assert jobs.warn_overdue_commitments.call_local() == 1
    assert jobs.warn_overdue_commitments.call_local() == 0
    with app.app_context():
        told = db.session.execute(
            select(Notification.kind, Notification.text, Notification.user_id)
            .where(Notification.kind == "commitment_overdue")).all()
        assert len(told) == 1 and "已逾期 5 天" in told[0].text
        from tracker.accounts.models import User

        assert db.session.get(User, told[0].user_id).username == "health_clerk"
    # A new due date (changed, then past again) is warned of anew.
    with app.test_request_context():
        commitment = db.session.get(Commitment, ids["c"])
        _make_overdue(commitment, days=1)
        assert operations.warn_overdue() == 1
        db.session.commit()


def test_authors_are_told_by_email_when_a_commitment_is_done(app, rows, login, monkeypatch):
    authors = [{"name": "李华", "phone": "13900000000", "email": "lihua@example.cn"},
               {"name": "王芳", "phone": "0431-8888888", "email": ""}]
    ids = rows(lambda w: {"c": _add(w, issue(w, "B", authors=authors)[1]).id})
    monkeypatch.setitem(app.config, "SMS_GATEWAY_URL", "http://127.0.0.1:9/sms?to=$phone")
    clerk = login("health_clerk")
    with app.app_context():
        before = _count(OutboxMessage)
    response = clerk.post(f"/commitments/{ids['c']}/close", data={
        "csrf_token": clerk.token, "outcome": "done", "done_on": today().isoformat(),
        "note": "已为全部乡镇卫生院配备全科医生。", "tell_authors": "y"})
    assert response.status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, ids["c"])
        assert commitment.status == CommitmentStatus.done and commitment.authors_told_at
        sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > 0)
                                  .order_by(OutboxMessage.id)).all()[before:]
        assert [(m.kind, m.channel.value, m.recipient) for m in sent] == [
            ("notice", "email", "lihua@example.cn"), ("notice", "sms", "13900000000")]
        assert "李华：" in sent[0].body and "已经落实" in sent[0].body
        assert "2027年底前为全省乡镇卫生院各配备1名全科医生。" in sent[0].body
        assert "《" not in sent[1].body  # no title through the SMS gateway
    page = clerk.get(f"/proposals/{commitment.proposal_id}").get_data(as_text=True)
    assert "已告知提出人" in page


def test_telling_the_authors_of_a_commitment_not_done_is_refused(app, rows, login):
    ids = rows(lambda w: {"c": _add(w, issue(w, "B")[1]).id})
    clerk = login("health_clerk")
    response = clerk.post(f"/commitments/{ids['c']}/close", data={
        "csrf_token": clerk.token, "outcome": "not_done", "note": "条件不具备。",
        "tell_authors": "y"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Commitment.status)) == CommitmentStatus.open


def test_editing_a_commitment_and_a_due_date_before_the_reply(app, rows, login):
    ids = rows(lambda w: {"c": _add(w, issue(w, "B")[1]).id})
    clerk = login("health_clerk")
    url = f"/commitments/{ids['c']}/edit"
    response = clerk.post(url, data={"csrf_token": clerk.token, "what": "改后的承诺。",
                                     "due_on": "2001-01-01", "section_id": 0})
    assert response.status_code == 422
    assert _field_error(response.get_data(as_text=True), "承诺完成时限不能早于答复发文日期")
    due = (today() + timedelta(days=10)).isoformat()
    assert clerk.post(url, data={"csrf_token": clerk.token, "what": "改后的承诺。",
                                 "due_on": due, "section_id": 0}).status_code == 302
    with app.app_context():
        commitment = db.session.get(Commitment, ids["c"])
        assert (commitment.what, commitment.due_on.isoformat(), commitment.section_id) == (
            "改后的承诺。", due, None)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "commitment_changed"))
        assert event is not None


def test_an_overdue_commitment_is_red_on_the_item_page(app, rows, login):
    ids = rows(lambda w: (lambda a, r: (lambda c: (_make_overdue(c), {
        "item": a.proposal_id, "c": c.id})[1])(_add(w, r)))(*issue(w, "B")))
    html = login("clerk").get(f"/proposals/{ids['item']}").get_data(as_text=True)
    row = html.split(f'id="commitment-{ids["c"]}"', 1)[1].split("</tr>", 1)[0]
    assert "已逾期" in row and "text-danger" in row
    assert f'id="commitment-{ids["c"]}" class="commitment commitment-open is-overdue"' in html
