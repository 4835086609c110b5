"""The handling flow through the pages, as the clerks and drafters click it."""
from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from tests.factories import past
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.handling.models import Assignment, Contact, CoOpinion
from tracker.proposals.models import Proposal

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _register(client, world, number="212", title="关于加强基层卫生人才队伍建设的建议", **extra):
    data = {
        "meeting_id": world.meeting, "number": number, "title": title,
        "body": "一、现状\n二、建议", "category": "医疗卫生", "disclosure": "public",
        "received_on": past(2).isoformat(),
        "authors-0-name": "李华", "authors-0-phone": "13900000000",
        "authors-1-name": "王芳", "authors-1-organisation": "吉林代表团",
    }
    data.update(extra)
    return client.post_form("/proposals/new", data)


def _proposal_id(response) -> int:
    return int(re.search(r"/proposals/(\d+)", response.headers["Location"]).group(1))


def test_the_whole_handling_flow_through_the_pages(app, make_client, world):
    clerk = make_client()
    clerk.login("clerk")
    response = _register(clerk, world)
    assert response.status_code == 302
    pid = _proposal_id(response)

    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "关于加强基层卫生人才队伍建设的建议" in page and "已登记" in page

    form = clerk.get(f"/proposals/{pid}/actions/assign").get_data(as_text=True)
    assert "省卫生健康委员会" in form and "省政府办公厅" not in form.split("主办单位")[1][:400]
    response = clerk.post_form(f"/proposals/{pid}/actions/assign", {
        "lead_unit_id": world.health, "co_unit_ids": [world.hr], "note": "请按时办理",
    })
    assert response.status_code == 302
    with app.app_context():
        lead = db.session.scalar(select(Assignment).where(
            Assignment.proposal_id == pid, Assignment.unit_id == world.health))
        co = db.session.scalar(select(Assignment).where(
            Assignment.proposal_id == pid, Assignment.unit_id == world.hr))
        lead_id, co_id = lead.id, co.id
        assert lead.role.value == "lead" and co.role.value == "co"
        assert lead.due_on > co.due_on > lead.assigned_on
        assert "3 个月" in lead.due_basis and "1 个月" in co.due_basis

    health = make_client()
    health.login("health_clerk")
    todo = health.get("/").get_data(as_text=True)
    assert "关于加强基层卫生人才队伍建设的建议" in todo and "待签收" in todo
    assert health.post_form(f"/assignments/{lead_id}/actions/accept").status_code == 302

    hr = make_client()
    hr.login("hr_clerk")
    assert hr.post_form(f"/assignments/{co_id}/actions/accept").status_code == 302

    dispatch_form = health.get(f"/assignments/{lead_id}/actions/dispatch").get_data(as_text=True)
    assert "刘承办" in dispatch_form and "马承办" not in dispatch_form
    assert health.post_form(f"/assignments/{lead_id}/actions/dispatch", {
        "section_id": world.health_section, "drafter_id": world.health_drafter,
    }).status_code == 302

    drafter = make_client()
    drafter.login("health_drafter")
    assert "关于加强基层卫生人才队伍建设的建议" in drafter.get("/").get_data(as_text=True)
    assert drafter.post_form(f"/assignments/{lead_id}/actions/record_contact", {
        "stage": "before", "method": "face", "contacted_on": past(0).isoformat(),
        "summary": "到代表所在单位当面听取意见",
    }).status_code == 302

    response = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "同意主办单位意见，我厅将配合落实职称评审倾斜政策。",
        "attachment": (io.BytesIO(PDF), "会办意见.pdf"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302
    # It waits for hr's leader: outside hr nobody reads it yet.
    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "会办意见待审批" in page and "我厅将配合落实职称评审倾斜政策" not in page
    leader = make_client()
    leader.login("hr_leader")
    form = leader.get(f"/assignments/{co_id}/actions/approve_opinion").get_data(as_text=True)
    assert "我厅将配合落实职称评审倾斜政策" in form  # the approver reads the pending text
    assert leader.post_form(f"/assignments/{co_id}/actions/approve_opinion",
                            {"note": "同意"}).status_code == 302

    page = clerk.get(f"/proposals/{pid}").get_data(as_text=True)
    for text in ("办理中", "已提交会办意见", "到代表所在单位当面听取意见",
                 "我厅将配合落实职称评审倾斜政策", "会办意见.pdf", f"吉人社会字〔{past(0).year}〕1号",
                 "会办意见函（PDF）"):
        assert text in page, text
    timeline = page.split("办理过程")[1]
    steps = ["登记", "交办", "签收", "指定承办人", "登记联系情况", "提交会办意见", "批准会办意见"]
    positions = [timeline.index(f"<strong>{s}</strong>") for s in steps]
    assert positions == sorted(positions)

    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.proposal_id == pid).order_by(AuditEvent.seq)).all()
        assert actions == ["register", "assign", "accept", "accept", "dispatch",
                           "record_contact", "submit_opinion", "approve_opinion"]
        opinion = db.session.scalar(select(CoOpinion).where(CoOpinion.assignment_id == co_id))
        attachment = db.session.get(Attachment, opinion.attachment_id)
        assert attachment.original_name == "会办意见.pdf"
        assert re.fullmatch(r"[0-9a-f]{32}\.pdf", attachment.stored_name)

    # The lead unit can read the opinion and download its attachment; edu cannot see the item.
    assert health.get(f"/attachments/{attachment.id}").data == PDF
    edu = make_client()
    edu.login("edu_clerk")
    assert edu.get(f"/proposals/{pid}").status_code == 404
    assert edu.get(f"/attachments/{attachment.id}").status_code == 404


def test_duplicate_number_in_a_meeting_is_refused_with_nothing_saved(app, client, world):
    client.login("clerk")
    assert _register(client, world, number="88").status_code == 302
    response = _register(client, world, number="88", title="另一件")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已有第88号代表建议，编号不能重复" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.number == "88")) == 1


def test_registration_errors_name_the_fields(client, world, app):
    client.login("clerk")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Proposal))
    response = _register(client, world, number="", title="", **{
        "authors-0-name": "", "authors-1-name": "", "received_on": "2026年3月1日x",
        "authors-0-email": "not-an-email"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count("此项必须填写。") >= 2
    assert "不是有效的日期值" in page
    assert "电子邮箱格式不正确" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Proposal)) == before


def test_missing_authors_are_refused(client, world):
    client.login("clerk")
    response = _register(client, world, **{"authors-0-name": "", "authors-1-name": ""})
    assert response.status_code == 422
    assert "至少填写一位代表（领衔人）" in response.get_data(as_text=True)


def _registered(app, world, number):
    from tests import factories
    from tracker.accounts.models import User

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        from tracker.proposals.models import Meeting

        proposal = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting),
                                           number=number)
        db.session.commit()
        return proposal.id


def test_deadline_before_assignment_is_refused(app, client, world):
    pid = _registered(app, world, "501")
    client.login("clerk")
    response = client.post_form(f"/proposals/{pid}/actions/assign", {
        "lead_unit_id": world.health, "due_on": past(1).isoformat()})
    assert response.status_code == 422
    assert "办理期限不能早于交办日期" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.proposal_id == pid)) == 0
        assert db.session.get(Proposal, pid).state == "registered"


def test_two_leads_or_co_without_lead_are_refused(app, client, world):
    pid = _registered(app, world, "502")
    client.login("clerk")
    response = client.post_form(f"/proposals/{pid}/actions/assign", {
        "co_unit_ids": [world.hr]})
    assert response.status_code == 422
    assert "有会办单位时必须指定主办单位" in response.get_data(as_text=True)


def _assigned(app, world, number, **kw):
    from tests import factories
    from tracker.accounts.models import Unit, User
    from tracker.proposals.models import Meeting

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        proposal = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting),
                                           number=number)
        assignments = factories.assign(proposal, clerk, lead=db.session.get(Unit, world.health),
                                       co=[db.session.get(Unit, world.hr)], **kw)
        db.session.commit()
        return proposal.id, [a.id for a in assignments]


def test_stale_form_gets_a_conflict(app, make_client, world):
    _, (lead_id, _) = _assigned(app, world, "601")
    one, two = make_client(), make_client()
    one.login("health_clerk")
    two.login("health_clerk")
    # Both open the 签收 form; the hidden version is the same.
    form_one = one.get(f"/assignments/{lead_id}/actions/accept").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form_one).group(1)
    assert one.post_form(f"/assignments/{lead_id}/actions/accept",
                         {"version": version}).status_code == 302
    response = two.post_form(f"/assignments/{lead_id}/actions/accept", {"version": version})
    assert response.status_code == 409
    assert "已被他人处理" in response.get_data(as_text=True)


def test_unit_cannot_act_on_another_units_assignment(app, client, world):
    _, (lead_id, _) = _assigned(app, world, "602")
    client.login("edu_clerk")
    assert client.post_form(f"/assignments/{lead_id}/actions/accept").status_code == 404
    assert client.get(f"/assignments/{lead_id}/actions/accept").status_code == 404
    with app.app_context():
        assert db.session.get(Assignment, lead_id).state == "assigned"


def test_co_unit_sees_the_item_but_cannot_dispatch_the_lead(app, client, world):
    pid, (lead_id, _) = _assigned(app, world, "603")
    client.login("hr_clerk")
    assert client.get(f"/proposals/{pid}").status_code == 200
    assert client.post_form(f"/assignments/{lead_id}/actions/accept").status_code == 403


def test_return_request_approved_and_reassigned(app, make_client, world):
    pid, (lead_id, co_id) = _assigned(app, world, "604")
    hr = make_client()
    hr.login("hr_clerk")
    response = hr.post_form(f"/assignments/{co_id}/actions/request_return", {"reason": ""})
    assert response.status_code == 422 and "此项必须填写" in response.get_data(as_text=True)
    assert hr.post_form(f"/assignments/{co_id}/actions/request_return",
                        {"reason": "不属于本厅职责"}).status_code == 302
    clerk = make_client()
    clerk.login("clerk")
    assert "申请退回" in clerk.get("/").get_data(as_text=True)
    assert clerk.post_form(f"/assignments/{co_id}/actions/approve_return", {
        "reassign_unit_id": world.edu, "note": "改由教育厅会办"}).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Assignment).where(
            Assignment.proposal_id == pid).order_by(Assignment.id)).all()
        assert [(r.unit_id, r.role.value, r.state) for r in rows] == [
            (world.health, "lead", "assigned"), (world.hr, "co", "returned"),
            (world.edu, "co", "assigned")]
        assert rows[2].replaces_id == co_id
    # hr no longer sees the item; edu does.
    assert hr.get(f"/proposals/{pid}").status_code == 404
    edu = make_client()
    edu.login("edu_clerk")
    assert edu.get(f"/proposals/{pid}").status_code == 200


def test_return_request_after_seven_working_days_is_refused(app, client, world):
    from datetime import timedelta

    from sqlalchemy import update

    from tracker.core.time import today

    _, (lead_id, _) = _assigned(app, world, "605")
    with app.app_context():
        db.session.execute(update(Assignment).where(Assignment.id == lead_id).values(
            assigned_on=today() - timedelta(days=20), return_due_on=today() - timedelta(days=8)))
        db.session.commit()
    client.login("health_clerk")
    response = client.post_form(f"/assignments/{lead_id}/actions/request_return",
                                {"reason": "职责不符"})
    assert response.status_code == 409
    assert "7 个工作日内" in response.get_data(as_text=True)


def test_wrong_file_type_and_oversize_uploads(app, make_client, world):
    _, (lead_id, co_id) = _assigned(app, world, "606")
    hr = make_client()
    hr.login("hr_clerk")
    hr.post_form(f"/assignments/{co_id}/actions/accept")
    fake = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "意见", "attachment": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "意见.pdf"),
    }, content_type="multipart/form-data")
    assert fake.status_code == 422 and "不是有效的 PDF 文件" in fake.get_data(as_text=True)
    exe = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "意见", "attachment": (io.BytesIO(b"MZ\x90\x00"), "tool.exe"),
    }, content_type="multipart/form-data")
    assert exe.status_code == 422 and "只接受以下类型的文件" in exe.get_data(as_text=True)
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "意见", "attachment": (io.BytesIO(b"%PDF-" + b"0" * limit), "大文件.pdf"),
    }, content_type="multipart/form-data")
    assert big.status_code == 413 and "上传的文件过大" in big.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assignment, co_id).state == "accepted"
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert db.session.scalar(select(func.count()).select_from(CoOpinion)) == 0


def test_overdue_items_are_marked_in_lists_and_detail(app, client, make_client, world):
    from datetime import timedelta

    from sqlalchemy import update

    from tracker.core.time import today

    pid, (lead_id, _) = _assigned(app, world, "607")
    _assigned(app, world, "608")
    with app.app_context():
        db.session.execute(update(Assignment).where(Assignment.id == lead_id).values(
            assigned_on=today() - timedelta(days=100), due_on=today() - timedelta(days=5),
            return_due_on=today() - timedelta(days=90)))
        db.session.commit()
    client.login("clerk")
    listing = client.get("/proposals?overdue=1").get_data(as_text=True)
    assert "第607" not in listing  # numbers are shown bare
    assert ">607<" in listing and ">608<" not in listing
    assert "逾期" in listing
    detail = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "已逾期 5 天" in detail
    health = make_client()
    health.login("health_clerk")
    assert "已逾期 5 天" in health.get("/").get_data(as_text=True)


def test_contacts_are_recorded_with_checked_dates(app, client, world):
    from datetime import timedelta

    from tracker.core.time import today

    _, (lead_id, _) = _assigned(app, world, "609")
    client.login("health_clerk")
    client.post_form(f"/assignments/{lead_id}/actions/accept")
    future = client.post_form(f"/assignments/{lead_id}/actions/record_contact", {
        "stage": "during", "method": "phone",
        "contacted_on": (today() + timedelta(days=3)).isoformat(), "summary": "电话沟通"})
    assert future.status_code == 422 and "联系日期不能晚于今天" in future.get_data(as_text=True)
    bad_method = client.post_form(f"/assignments/{lead_id}/actions/record_contact", {
        "stage": "during", "method": "telepathy", "contacted_on": today().isoformat(),
        "summary": "x"})
    assert bad_method.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


def test_co_units_do_not_read_each_others_opinions(app, make_client, world):
    from tests import factories
    from tracker.accounts.models import Unit, User
    from tracker.handling import operations
    from tracker.proposals.models import Meeting

    with app.test_request_context():
        clerk = db.session.get(User, world.clerk)
        proposal = factories.make_proposal(clerk, db.session.get(Meeting, world.meeting),
                                           number="610")
        lead, hr_co, edu_co = factories.assign(
            proposal, clerk, lead=db.session.get(Unit, world.health),
            co=[db.session.get(Unit, world.hr), db.session.get(Unit, world.edu)])
        operations.accept_assignment(hr_co, db.session.get(User, world.hr_clerk))
        operations.submit_opinion(hr_co, db.session.get(User, world.hr_clerk),
                                  text="人社厅的保密会办意见")
        operations.approve_opinion(hr_co, db.session.get(User, world.hr_leader))
        db.session.commit()
        pid = proposal.id
    edu = make_client()
    edu.login("edu_clerk")
    page = edu.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "提交会办意见" in page  # the step is visible...
    assert "人社厅的保密会办意见" not in page  # ...its text is not
    health = make_client()
    health.login("health_clerk")
    assert "人社厅的保密会办意见" in health.get(f"/proposals/{pid}").get_data(as_text=True)


def test_looking_at_another_units_item_is_logged_as_a_denial(app, client, world):
    pid, _ = _assigned(app, world, "611")
    client.login("edu_clerk")
    assert client.get(f"/proposals/{pid}").status_code == 404
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "access_denied").order_by(AuditEvent.seq.desc())).first()
        assert event is not None and event.outcome == "denied"
        assert event.actor_name == "林联络" and f"/proposals/{pid}" in event.details
