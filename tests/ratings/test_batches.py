"""The 征询意见表 in bulk: a job renders one page per author still to answer, for a meeting
(and a unit); whoever asked is told and downloads it; nothing is rendered in the request."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.ratings.test_form_pdf import TITLE, pdf_text
from tests.ratings.test_public_rating import ANSWERS, CO, LEAD, anonymous, make_issued
from tests.support.jobs import queued, run_jobs
from tracker.extensions import db
from tracker.notifications.models import Notification
from tracker.ratings.models import PrintBatch, RatingRequest

BATCH_JOB = "tracker.ratings.batch.render_batch"


def _login(make_client, username: str):
    client = make_client()
    client.login(username)
    return client


def _links(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RatingRequest))


def test_a_batch_is_made_by_a_job_and_downloaded_by_whoever_asked(app, world, make_client):
    item = make_issued(app, world)
    other = make_issued(app, world, authors=(LEAD,), title="关于完善乡村医生养老保障的建议")
    # One author of the first item has answered already: no form for her.
    visitor = anonymous(make_client, item.tokens[1])
    assert "感谢您的评价" in visitor.post_form(f"/rate/{item.tokens[1]}", ANSWERS).get_data(
        as_text=True)
    links_before = _links(app)

    clerk = _login(make_client, "clerk")
    page = clerk.get("/ratings/forms/batches")
    assert page.status_code == 200 and "批量打印征询意见表" in page.get_data(as_text=True)
    response = clerk.post_form("/ratings/forms/batches", {
        "meeting_id": world.meeting, "unit_id": 0})
    assert response.status_code == 302
    with app.app_context():
        [batch] = db.session.scalars(select(PrintBatch)).all()
        assert (batch.status.value, batch.forms, batch.file_name) == ("queued", 2, None)
        batch_id = batch.id
        db.session.remove()
    assert queued() == [(BATCH_JOB, (batch_id,))]  # the request rendered nothing
    listing = clerk.get("/ratings/forms/batches").get_data(as_text=True)
    assert "排队中" in listing and "下载 PDF" not in listing

    assert run_jobs(app) == 1
    listing = clerk.get("/ratings/forms/batches").get_data(as_text=True)
    assert "已完成" in listing and f"/ratings/forms/batches/{batch_id}.pdf" in listing
    pdf = clerk.get(f"/ratings/forms/batches/{batch_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, pages = pdf_text(pdf.data)
    assert pages == 2 and text.count(TITLE) == 2
    assert LEAD["name"] in text and CO["name"] not in text  # she has answered
    assert f"第{other.number}号" in text and "评价链接由督办单位另行发送" in text
    assert _links(app) == links_before  # a batch makes no links
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(
            Notification.kind == "print_ready")).all()
        assert notice.user.username == "clerk" and "共 2 份" in notice.text
        db.session.remove()
    # The file is the asker's: another clerk, a unit's clerk, nobody else gets it.
    assert _login(make_client, "health_clerk").get(f"/ratings/forms/batches/{batch_id}.pdf"
                                           ).status_code == 404
    # Running the queue again renders nothing twice.
    assert run_jobs(app) == 0


def test_a_units_clerk_prints_only_the_units_forms(app, world, make_client):
    make_issued(app, world)
    health = _login(make_client, "health_clerk")
    page = health.get("/ratings/forms/batches").get_data(as_text=True)
    assert "全部承办单位" not in page and "省教育厅" not in page
    # Another unit's forms are not a choice for a unit's clerk.
    refused = health.post_form("/ratings/forms/batches", {
        "meeting_id": world.meeting, "unit_id": world.edu})
    assert refused.status_code == 200 and queued() == []
    assert "不是有效的选择" in refused.get_data(as_text=True)
    assert health.post_form("/ratings/forms/batches", {
        "meeting_id": world.meeting, "unit_id": world.health}).status_code == 302
    with app.app_context():
        [batch] = db.session.scalars(select(PrintBatch)).all()
        assert batch.unit_id == world.health and batch.forms == 2
        db.session.remove()
    # Someone who may not print gets 403, and nothing is asked.
    assert _login(make_client, "health_drafter").get("/ratings/forms/batches").status_code == 403


def test_nothing_to_print_is_said_next_to_the_meeting_and_nothing_is_queued(
        app, world, make_client):
    clerk = _login(make_client, "clerk")
    response = clerk.post_form("/ratings/forms/batches", {
        "meeting_id": world.meeting, "unit_id": 0})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "没有待评价的答复" in page
    assert page.index("没有待评价的答复") > page.index('name="meeting_id"')
    assert queued() == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PrintBatch)) == 0
        db.session.remove()
