"""The staff's side of the ratings: the panel on the item page, a clerk's entry of a paper
征询意见表 on an author's behalf (with its scan), and the administrator's aggregation rule."""
from __future__ import annotations

import io
import json
import os
import re
from types import SimpleNamespace

from sqlalchemy import func, select

from tests import factories
from tests.support.handling import _model_for, latest_id, write_draft
from tracker.audit.models import AuditEvent
from tracker.core.models import Setting
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.notifications.models import OutboxMessage
from tracker.ratings import operations as ratings
from tracker.ratings.models import Rating, RatingRequest
from tracker.ratings.queries import issued_reply
from tracker.replies import operations as replies
from tracker.replies.models import Reply

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LEAD = {"name": "李华", "phone": "13912345678", "email": "lihua@example.cn",
        "organisation": "长春代表团"}
CO = {"name": "王芳", "phone": "13887654321", "email": "", "organisation": "吉林代表团"}
PAPER = {"handling": "satisfied", "handling_score": "95", "result": "basic",
         "result_score": "80", "contacted": "yes", "contact_method": "face",
         "comments": "答复认真，希望尽快落实。"}


def world_rows(world) -> SimpleNamespace:
    return SimpleNamespace(**{k: db.session.get(_model_for(k), v) for k, v in vars(world).items()})


def issue_item(w, authors, *, co_unit=None, number=None, letter=False):
    """An item with these authors, handled by health (lead) up to an issued reply (with its
    stored, signed letter when asked: slower)."""
    proposal = factories.make_proposal(w.clerk, w.meeting, authors=authors, number=number)
    assigned = factories.assign(proposal, w.clerk, lead=w.health,
                                co=[co_unit] if co_unit is not None else [])
    assignment = assigned[0]
    handling.accept_assignment(assignment, w.health_clerk)
    for other in assigned[1:]:
        handling.accept_assignment(other, w.hr_clerk)
        handling.submit_opinion(other, w.hr_clerk, text="同意主办单位意见。")
        handling.approve_opinion(other, w.hr_leader)
    handling.dispatch_assignment(assignment, w.health_clerk, section_id=w.health_section.id,
                                 drafter_id=w.health_drafter.id)
    write_draft(assignment, w.health_drafter)
    replies.submit_review(assignment, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))
    replies.sign_reply(assignment, w.health_signer, seen_version_id=latest_id(assignment))
    if letter:
        from tracker.replies.letter import issue_with_letter

        issue_with_letter(assignment, w.health_clerk, release_locks=False)
    else:
        replies.issue_reply(assignment, w.health_clerk)
    assert assignment.state == "replied"
    return assignment


def make_issued(app, world, authors=(LEAD, CO), *, links: bool = False, **kw):
    """Commit an issued item (health leads); its ids, and a link per author if asked."""
    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, [dict(a) for a in authors], **kw)
        reply = issued_reply(assignment)
        proposal = assignment.proposal
        tokens = [ratings.new_link(reply, a, actor=w.clerk) for a in proposal.authors] \
            if links else []
        db.session.commit()
        return SimpleNamespace(
            assignment_id=assignment.id, reply_id=reply.id, proposal_id=proposal.id,
            author_ids=[a.id for a in proposal.authors], tokens=tokens,
            doc_number=reply.doc_number)


def paper_form(client, reply_id: int, author_id: int, *, scan=None, **changes):
    data = {**PAPER, "author_id": str(author_id), **changes}
    if scan is not None:
        data["scan"] = scan
    return client.post_form(f"/replies/{reply_id}/ratings/new", data,
                            content_type="multipart/form-data")


def uploads(app) -> set[str]:
    folder = app.config["UPLOAD_DIR"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# -- the panel --------------------------------------------------------------------------------


def test_panel_shows_each_authors_state_links_and_emails_but_never_a_token(
        app, world, client):
    item = make_issued(app, world, links=True)
    client.login("clerk")
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    panel = page.split('id="ratings"')[1].split('<div class="card mb-3"><div class="card-body">')[0]
    assert "满意度测评" in page and "第一轮答复" in panel and item.doc_number in panel
    assert "汇总规则：从严：任一提出人不满意即为不满意" in panel
    assert "征询中" in panel and "已收到 0/2 位提出人的评价" in panel
    assert panel.count("未评价") == 2
    assert panel.count("已生成评价链接 1 个") == 2  # counted, the link itself is not shown
    for token in item.tokens:
        assert token not in page
    # 李华 has an e-mail address: the message queued at issue waits (no SMTP configured).
    assert "邮件 lihua@example.cn：" in panel and "待发送" in panel
    assert "未登记电子邮箱，不发送邮件" in panel  # 王芳 has none
    # The supervising clerk may print the 征询意见表 (a POST with the CSRF token) and enter
    # a paper form.
    forms = re.findall(r'<form method="post" class="d-inline print-form" action="([^"]+)">'
                       r'\s*<input type="hidden" name="csrf_token" value="[^"]+">', panel)
    assert forms == [f"/replies/{item.reply_id}/authors/{a}/rating-form.pdf"
                     for a in item.author_ids]
    assert f'href="/replies/{item.reply_id}/ratings/new"' in panel


def test_panel_is_for_the_supervising_office_and_the_unit_itself(app, world, make_client):
    with app.test_request_context():
        w = world_rows(world)
        assignment = issue_item(w, [LEAD, CO], co_unit=w.hr)
        reply = issued_reply(assignment)
        ratings.submit_rating(reply, assignment.proposal.authors[0], PAPER,
                              channel=ratings.RatingChannel.paper, actor=w.clerk)
        db.session.commit()
        proposal_id, reply_id = assignment.proposal_id, reply.id
    unit = make_client()
    unit.login("health_clerk")
    page = unit.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "满意度测评" in page and "答复认真，希望尽快落实。" in page
    assert "打印征询意见表" in page  # the unit's clerk prints forms too
    assert f"/replies/{reply_id}/ratings/new" not in page  # entering is the clerk's
    drafter = make_client()
    drafter.login("health_drafter")
    page = drafter.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "满意度测评" in page and "打印征询意见表" not in page
    # The co-handling unit sees the item, not the authors' ratings of health's reply.
    co = make_client()
    co.login("hr_clerk")
    page = co.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "满意度测评" not in page and "答复认真，希望尽快落实。" not in page
    assert "纸质征询意见表（代录入）：" not in page  # nor in the timeline
    other = make_client()
    other.login("edu_clerk")
    assert other.get(f"/proposals/{proposal_id}").status_code == 404


# -- entering a paper form --------------------------------------------------------------------


def test_clerk_enters_a_paper_form_with_its_scan(app, world, client):
    item = make_issued(app, world)
    client.login("clerk")
    page = client.get(f"/replies/{item.reply_id}/ratings/new")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "录入纸质征询意见表" in text and item.doc_number in text
    assert "李华（领衔）" in text and "王芳（联名/附议）" in text
    before = uploads(app)
    response = paper_form(client, item.reply_id, item.author_ids[0],
                          scan=(io.BytesIO(PDF), "征询意见表-李华.pdf"),
                          channel="online", entered_by_id=str(world.health_clerk))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"].endswith(
        f"/proposals/{item.proposal_id}#ratings-{item.assignment_id}")
    with app.app_context():
        rating = db.session.scalars(select(Rating)).one()
        assert (rating.author_id, rating.reply_id) == (item.author_ids[0], item.reply_id)
        # Recorded as entered from paper, by whom, whatever else was posted.
        assert rating.channel.value == "paper" and rating.entered_by_id == world.clerk
        assert rating.request_id is None
        assert (rating.handling.value, rating.handling_score, rating.result.value,
                rating.result_score, rating.contacted, rating.contact_method, rating.comments) \
            == ("satisfied", 95, "basic", 80, True, "face", "答复认真，希望尽快落实。")
        scan = db.session.get(Attachment, rating.scan_id)
        assert scan.original_name == "征询意见表-李华.pdf" and scan.size == len(PDF)
        assert scan.proposal_id == item.proposal_id and scan.uploaded_by_id == world.clerk
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "rating_submitted")).one()
        assert event.actor_id == world.clerk and event.proposal_id == item.proposal_id
        assert json.loads(event.details)["channel"] == "paper"
        assert db.session.get(Assignment, item.assignment_id).state == "replied"
    assert uploads(app) - before == {scan.stored_name}
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert "纸质征询意见表（代录入）" in page and "赵交办 录入" in page
    assert "扫描件：征询意见表-李华.pdf" in page and "已收到 1/2" in page
    download = client.get(f"/attachments/{rating.scan_id}")
    assert download.status_code == 200 and download.data == PDF
    # The form now offers only the author still to answer.
    text = client.get(f"/replies/{item.reply_id}/ratings/new").get_data(as_text=True)
    assert ">李华（领衔）</option>" not in text and ">王芳（联名/附议）</option>" in text


def test_an_author_of_another_item_is_refused_and_nothing_is_kept(app, world, client):
    item = make_issued(app, world)
    other = make_issued(app, world, authors=[{"name": "张伟", "phone": "13800000000"}])
    client.login("clerk")
    before = uploads(app)
    response = paper_form(client, item.reply_id, other.author_ids[0],
                          scan=(io.BytesIO(PDF), "扫描件.pdf"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "该提出人不是本件建议提案的提出人" in text
    assert count(app, Rating) == 0 and count(app, Attachment) == 0
    assert uploads(app) == before  # the scan was not written
    # An author id that does not exist, or is not a number: the same, nothing saved.
    for bad in ("999999", "abc", ""):
        response = paper_form(client, item.reply_id, bad)
        assert response.status_code == 422, bad
    assert count(app, Rating) == 0


def test_bad_answers_and_a_bad_scan_save_nothing(app, world, client):
    item = make_issued(app, world)
    client.login("clerk")
    response = paper_form(client, item.reply_id, item.author_ids[0], handling_score="40")
    assert response.status_code == 422
    assert "40 分与“满意”不符" in response.get_data(as_text=True)
    response = paper_form(client, item.reply_id, item.author_ids[0], contact_method="")
    assert response.status_code == 422 and "请选择联系方式" in response.get_data(as_text=True)
    before = uploads(app)
    response = paper_form(client, item.reply_id, item.author_ids[0],
                          scan=(io.BytesIO(b"MZ\x90\x00not a pdf"), "扫描件.pdf"))
    assert response.status_code == 422
    assert "文件内容不是有效的 PDF 文件" in response.get_data(as_text=True)
    assert count(app, Rating) == 0 and count(app, Attachment) == 0
    assert uploads(app) == before
    with app.app_context():
        assert db.session.get(Assignment, item.assignment_id).state == "replied"


def test_only_the_supervising_clerk_enters_paper_forms(app, world, make_client):
    item = make_issued(app, world)
    for username, status in (("health_clerk", 403), ("health_signer", 403), ("admin", 404),
                             ("edu_clerk", 404)):
        client = make_client()
        client.login(username)
        assert client.get(f"/replies/{item.reply_id}/ratings/new").status_code == status
        assert paper_form(client, item.reply_id, item.author_ids[0]).status_code == status
    assert count(app, Rating) == 0


def test_twice_for_the_same_author_and_after_the_round_is_refused(app, world, client):
    item = make_issued(app, world)
    client.login("clerk")
    assert paper_form(client, item.reply_id, item.author_ids[0]).status_code == 302
    response = paper_form(client, item.reply_id, item.author_ids[0])
    assert response.status_code == 422 and "李华已提交过评价" in response.get_data(as_text=True)
    # The last answer, 不满意: the item goes back for a second reply.
    response = paper_form(client, item.reply_id, item.author_ids[1], handling="unsatisfied",
                          handling_score="", result="unsatisfied", result_score="30",
                          contacted="no", contact_method="")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "评价结果为不满意，已退回承办单位重新办理" in page
    with app.app_context():
        assignment = db.session.get(Assignment, item.assignment_id)
        assert (assignment.state, assignment.round) == ("drafting", 2)
        assert db.session.get(Reply, item.reply_id).rating == "unsatisfied"
    text = client.get(f"/replies/{item.reply_id}/ratings/new").get_data(as_text=True)
    assert "该答复不在征询评价阶段" in text and "录入评价</button>" not in text
    response = paper_form(client, item.reply_id, item.author_ids[0])
    assert response.status_code == 409
    assert "不在征询评价阶段" in response.get_data(as_text=True)
    assert count(app, Rating) == 2


# -- the aggregation rule ---------------------------------------------------------------------


def test_administrator_sets_the_aggregation_rule(app, world, make_client):
    admin = make_client()
    admin.login("admin")
    page = admin.get("/admin/rating-rule")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "当前规则：<strong class=\"current-rule\">从严" in text and "评价汇总规则" in text
    assert admin.post_form("/admin/rating-rule", {"rule": "nonsense"}).status_code == 422
    assert admin.post_form("/admin/rating-rule", {}).status_code == 422
    response = admin.post_form("/admin/rating-rule", {"rule": "majority"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Setting, "rating_rule").value == "majority"
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "rating_rule_set")).one()
        assert event.actor_id == world.admin and "majority" in event.details
    for username in ("clerk", "health_clerk"):
        other = make_client()
        other.login(username)
        assert other.get("/admin/rating-rule").status_code == 403
        assert other.post_form("/admin/rating-rule", {"rule": "worst"}).status_code == 403
    with app.app_context():
        assert db.session.get(Setting, "rating_rule").value == "majority"


def test_the_rule_decides_the_items_rating_and_is_shown_with_the_answers(app, world, client):
    item = make_issued(app, world, authors=[LEAD, CO, {"name": "赵敏", "phone": "1"}])
    with app.test_request_context():
        ratings.set_rating_rule(db.session.get(_model_for("admin"), world.admin), "majority")
        db.session.commit()
    client.login("clerk")
    for author_id, verdict in zip(item.author_ids, ("satisfied", "unsatisfied", "satisfied")):
        response = paper_form(client, item.reply_id, author_id, handling=verdict,
                              result=verdict, handling_score="", result_score="")
        assert response.status_code == 302
    with app.app_context():
        # By the majority rule the item is 满意 (by the default rule it would be 不满意).
        assert db.session.get(Reply, item.reply_id).rating == "satisfied"
        assert db.session.get(Assignment, item.assignment_id).state == "rated"
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    panel = page.split('id="ratings"')[1]
    assert "汇总规则：多数：以多数提出人的评价为准" in panel
    assert re.search(r"评价结果：<span class=\"badge verdict verdict-satisfied", panel)
    assert panel.count("verdict-unsatisfied") == 1  # 王芳's own answer is still shown


def test_panel_reports_email_failures(app, world, client):
    item = make_issued(app, world)
    with app.app_context():
        message = db.session.scalars(select(OutboxMessage)).one()
        message.attempts, message.last_error = 2, "ConnectionRefusedError: [Errno 111]"
        db.session.commit()
    client.login("clerk")
    page = client.get(f"/proposals/{item.proposal_id}").get_data(as_text=True)
    assert "发送失败 2 次（ConnectionRefusedError: [Errno 111]）" in page and "将于" in page
    assert "尚未生成评价链接" in page  # a failed send leaves no link behind
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RatingRequest)) == 0
