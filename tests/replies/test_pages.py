"""Drafting, 会签, three-level review, sign-off and issue through the pages."""
from __future__ import annotations

import html as htmllib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories
from tests.support.base import load
from tracker.accounts.models import Unit, User
from tracker.audit.models import AuditEvent
from tracker.core.time import today, utcnow
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.proposals.models import Disclosure, Meeting
from tracker.replies import operations as replies
from tracker.replies.models import DraftVersion, ReplyForm, ReviewDecision
from tracker.replies.queries import latest_draft

BODY_1 = "一、基本情况\n我委高度重视基层卫生人才队伍建设。"
BODY_2 = "一、基本情况\n我委高度重视基层卫生人才队伍建设。\n二、下一步工作\n（一）扩大定向培养规模"
BODY_3 = ("一、基本情况\n我委高度重视基层卫生人才队伍建设，2025年定向培养医学生1200名。\n"
          "二、下一步工作\n（一）扩大定向培养规模")


# -- helpers ----------------------------------------------------------------------------------


def _rows(world) -> dict:
    names = vars(world)
    return {k: db.session.get(Unit if k in {"office", "health", "hr", "edu"} else
                              Meeting if k in {"meeting", "cppcc"} else User, v)
            for k, v in names.items() if not k.endswith("_section")}


def _drafting(app, world, *, co: bool = False, is_key: bool = False,
              separate: bool = False) -> int:
    """A new item whose health assignment is being drafted by health_drafter; its id.

    separate: health and edu each answer their own part (分办) instead of health leading.
    """
    with app.test_request_context():
        w = _rows(world)
        proposal = factories.make_proposal(w["clerk"], w["meeting"], is_key=is_key)
        if separate:
            assigned = factories.assign(proposal, w["clerk"], separate=[w["health"], w["edu"]])
        else:
            assigned = factories.assign(proposal, w["clerk"], lead=w["health"],
                                        co=[w["hr"]] if co else [])
        lead = assigned[0]
        handling.accept_assignment(lead, w["health_clerk"])
        handling.dispatch_assignment(lead, w["health_clerk"], section_id=world.health_section,
                                     drafter_id=world.health_drafter)
        for other in assigned[1:]:
            clerk = w["hr_clerk"] if other.unit_id == world.hr else w["edu_clerk"]
            handling.accept_assignment(other, clerk)
        db.session.commit()
        return lead.id


def _write(app, assignment_id: int, username: str, body: str, **kw) -> int:
    """Save a version through the operations; its number."""
    with app.test_request_context():
        assignment = db.session.get(Assignment, assignment_id)
        actor = db.session.scalar(select(User).where(User.username == username))
        latest = latest_draft(assignment)
        fields = dict(body=body, result_class="A", reply_form=ReplyForm.written,
                      disclosure=Disclosure.public, base_number=latest.number if latest else None)
        fields.update(kw)
        version = replies.save_draft(assignment, actor, **fields)
        db.session.commit()
        return version.number


def _run(app, assignment_id: int, username: str, what: str, **kw) -> None:
    """Take one review step through the operations (setting up, not under test)."""
    with app.test_request_context():
        assignment = db.session.get(Assignment, assignment_id)
        actor = db.session.scalar(select(User).where(User.username == username))
        seen = latest_draft(assignment).id
        if what == "submit":
            replies.submit_review(assignment, actor)
        elif what == "approve":
            replies.approve_draft(assignment, actor, seen_version_id=seen)
        elif what == "return":
            replies.return_draft(assignment, actor, seen_version_id=seen,
                                 comment=kw.get("comment", "请修改"))
        elif what == "sign":
            replies.sign_reply(assignment, actor, seen_version_id=seen)
        db.session.commit()


def _to_state(app, world, state: str, **kw) -> int:
    assignment_id = _drafting(app, world, **kw)
    _write(app, assignment_id, "health_drafter", BODY_1)
    _run(app, assignment_id, "health_drafter", "submit")
    steps = ["first_review", "second_review", "final_review", "awaiting_signature"]
    for step, reviewer in zip(steps, ["health_first", "health_second", "health_final"]):
        if step == state:
            return assignment_id
        _run(app, assignment_id, reviewer, "approve")
    assert state == "awaiting_signature"
    return assignment_id


def _draft_form(body: str, base: int, **extra) -> dict:
    data = {"base_number": str(base), "body": body, "result_class": "A",
            "reply_form": "written", "disclosure": "public", "contact_name": "刘承办",
            "contact_phone": "0431-88900000", "cc": "省人大人代选委\n省政府办公厅",
            "closing": "感谢您对卫生健康工作的关心和支持。", "salutation": "", "opening": "",
            "note": ""}
    data.update(extra)
    return data


def _hidden(page: str, name: str) -> str:
    match = re.search(r'name="' + re.escape(name) + r'"[^>]*value="([^"]*)"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def _state(app, assignment_id: int) -> str:
    with app.app_context():
        return load(Assignment, assignment_id).state


def _proposal_of(app, assignment_id: int) -> int:
    with app.app_context():
        return load(Assignment, assignment_id).proposal_id


def _versions(app, assignment_id: int) -> list[DraftVersion]:
    with app.app_context():
        db.session.expire_all()
        return list(db.session.scalars(select(DraftVersion).where(
            DraftVersion.assignment_id == assignment_id).order_by(DraftVersion.number)))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _plain(page: str) -> str:
    """The page's text without tags (diffs split words with <ins>/<del>)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", page))


# -- the whole flow ---------------------------------------------------------------------------


def test_draft_cosign_review_sign_and_issue_through_the_pages(app, make_client, world):
    lead_id = _drafting(app, world, co=True)
    with app.app_context():
        co_id = db.session.scalar(select(Assignment.id).where(
            Assignment.proposal_id == load(Assignment, lead_id).proposal_id,
            Assignment.unit_id == world.hr))
        pid = load(Assignment, lead_id).proposal_id
    editor = f"/assignments/{lead_id}/actions/save_draft"

    drafter = make_client()
    drafter.login("health_drafter")
    page = _text(drafter.get(editor))
    assert "撰写答复" in page and "（一）" in page  # the heading-marker hint
    assert "尚未收到：省人力资源和社会保障厅" in page
    assert _hidden(page, "base_number") == "0"
    assert drafter.post_form(editor, _draft_form(BODY_1, 0)).status_code == 302

    page = _text(drafter.get(editor))
    assert _hidden(page, "base_number") == "1" and "我委高度重视基层卫生人才队伍建设。" in page
    response = drafter.post_form(editor, _draft_form(BODY_2, 1, note="增加下一步工作"))
    assert response.status_code == 302
    assert [v.number for v in _versions(app, lead_id)] == [1, 2]

    # 会签: no review before the co-handling opinion is in.
    refused = drafter.get(f"/assignments/{lead_id}/actions/submit_review")
    assert refused.status_code == 409 and "会办单位意见尚未全部收到" in _text(refused)

    hr = make_client()
    hr.login("hr_clerk")
    assert hr.post_form(f"/assignments/{co_id}/actions/submit_opinion", {
        "text": "同意主办单位意见，我厅将配合落实职称评审倾斜政策。",
    }).status_code == 302
    # The co-handling unit reads the lead's draft.
    assert "扩大定向培养规模" in _text(hr.get(f"/assignments/{lead_id}/drafts"))
    # Until hr's leader approves it, the opinion is not in.
    page = _text(drafter.get(editor))
    assert "我厅将配合落实职称评审倾斜政策" not in page and "尚未收到：省人力资源和社会保障厅" in page
    leader = make_client()
    leader.login("hr_leader")
    assert leader.post_form(f"/assignments/{co_id}/actions/approve_opinion",
                            {}).status_code == 302

    page = _text(drafter.get(editor))
    assert "我厅将配合落实职称评审倾斜政策" in page and "会办意见已全部收到" in page
    submit = _text(drafter.get(f"/assignments/{lead_id}/actions/submit_review"))
    assert "答复稿（第 2 稿）" in submit and "扩大定向培养规模" in submit
    assert "经商省人力资源和社会保障厅" in submit  # the generated opening sentence
    assert drafter.post_form(f"/assignments/{lead_id}/actions/submit_review", {
        "version": _hidden(submit, "version"), "note": "请审核",
    }).status_code == 302
    assert _state(app, lead_id) == "first_review"

    # 初审 returns it with a comment.
    first = make_client()
    first.login("health_first")
    assert "待初审" in _text(first.get("/"))
    review = _text(first.get(f"/assignments/{lead_id}/actions/approve"))
    assert '<p class="reply-p reply-h1">一、基本情况</p>' in review
    assert '<p class="reply-p reply-h2">（一）扩大定向培养规模</p>' in review
    assert "自您上次审核以来的修改" not in review
    seen = _hidden(review, "seen_version_id")
    assert first.post_form(f"/assignments/{lead_id}/actions/return_draft", {
        "seen_version_id": seen, "comment": "请补充定向培养的具体人数。",
    }).status_code == 302
    assert _state(app, lead_id) == "drafting"

    # The drafter sees the comment, fixes the draft and sends it again.
    todo = _text(drafter.get("/"))
    assert "初审退回修改" in todo
    page = _text(drafter.get(editor))
    assert "请补充定向培养的具体人数。" in page and _hidden(page, "base_number") == "2"
    assert drafter.post_form(editor, _draft_form(BODY_3, 2, note="补充人数")).status_code == 302
    submit = _text(drafter.get(f"/assignments/{lead_id}/actions/submit_review"))
    assert drafter.post_form(f"/assignments/{lead_id}/actions/submit_review", {
        "version": _hidden(submit, "version")}).status_code == 302
    assert _state(app, lead_id) == "first_review"

    # The returning reviewer sees what changed since the version they decided on.
    review = _text(first.get(f"/assignments/{lead_id}/actions/approve"))
    assert "自您上次审核以来的修改" in review and "您上次审核的第 2 稿" in review
    assert "<ins>，2025年定向培养医学生1200名</ins>" in review
    assert "请补充定向培养的具体人数。" in review  # the comments so far
    assert first.post_form(f"/assignments/{lead_id}/actions/approve", {
        "seen_version_id": _hidden(review, "seen_version_id"), "comment": "同意。",
    }).status_code == 302

    for username, state, label in (("health_second", "second_review", "复审"),
                                   ("health_final", "final_review", "终审")):
        assert _state(app, lead_id) == state
        reviewer = make_client()
        reviewer.login(username)
        assert f"待{label}" in _text(reviewer.get("/"))
        review = _text(reviewer.get(f"/assignments/{lead_id}/actions/approve"))
        assert "2025年定向培养医学生1200名" in review and "初审" in review
        assert "自您上次审核以来的修改" not in review
        assert reviewer.post_form(f"/assignments/{lead_id}/actions/approve", {
            "seen_version_id": _hidden(review, "seen_version_id")}).status_code == 302

    assert _state(app, lead_id) == "awaiting_signature"
    signer = make_client()
    signer.login("health_signer")
    assert "待签发" in _text(signer.get("/"))
    page = _text(signer.get(f"/assignments/{lead_id}/actions/sign"))
    assert signer.post_form(f"/assignments/{lead_id}/actions/sign", {
        "seen_version_id": _hidden(page, "seen_version_id")}).status_code == 302
    assert _state(app, lead_id) == "signed"

    clerk = make_client()
    clerk.login("health_clerk")
    assert "待发文" in _text(clerk.get("/"))
    page = _text(clerk.get(f"/assignments/{lead_id}/actions/issue"))
    assert f"下一个发文字号<strong>吉卫复议字〔{today().year}〕1号</strong>" in page
    assert clerk.post_form(f"/assignments/{lead_id}/actions/issue", {
        "version": _hidden(page, "version")}).status_code == 302
    assert _state(app, lead_id) == "replied"

    number = f"吉卫复议字〔{today().year}〕1号"
    for viewer in (clerk, drafter):
        detail = _text(viewer.get(f"/proposals/{pid}"))
        assert number in detail
        for name in ("初审：陈初审", "复审：周复审", "终审：吴终审", "签发：郑签发"):
            assert name in detail, name
        assert "请补充定向培养的具体人数。" in detail
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.proposal_id == pid, AuditEvent.object_id == lead_id,
            AuditEvent.object_type == "assignment").order_by(AuditEvent.seq)).all()
        assert actions[-11:] == ["save_draft", "save_draft", "submit_review", "return_draft",
                                 "save_draft", "submit_review", "approve", "approve",
                                 "approve", "sign", "issue"]


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   \n\u3000 \n\t"])
def test_an_empty_draft_is_refused_and_nothing_saved(app, client, world, body):
    lead_id = _drafting(app, world)
    client.login("health_drafter")
    response = client.post_form(f"/assignments/{lead_id}/actions/save_draft",
                                _draft_form(body, 0))
    assert response.status_code == 422
    assert "答复正文不能为空。" in _text(response)
    assert _versions(app, lead_id) == []


def test_a_file_that_is_not_a_docx_is_refused_in_chinese(app, client, world):
    lead_id = _drafting(app, world)
    client.login("health_drafter")
    data = _draft_form("", 0)
    data["docx"] = (io.BytesIO(b"PK\x03\x04 this is not a word file"), "答复稿.docx")
    response = client.post_form(f"/assignments/{lead_id}/actions/save_draft", data,
                                content_type="multipart/form-data")
    assert response.status_code == 422
    assert "该文件不是有效的 Word（.docx）文件。" in _text(response)
    data = _draft_form("", 0)
    data["docx"] = (io.BytesIO(b"{\\rtf1 old word}"), "答复稿.doc")
    response = client.post_form(f"/assignments/{lead_id}/actions/save_draft", data,
                                content_type="multipart/form-data")
    assert response.status_code == 422 and "另存为 .docx" in _text(response)
    assert _versions(app, lead_id) == []


def test_uploading_a_docx_fills_the_body_from_its_paragraphs(app, client, world):
    import docx

    document = docx.Document()
    for line in ("一、基本情况", "", "我委高度重视。", "（一）人才培养", "1.扩大定向培养"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    lead_id = _drafting(app, world)
    client.login("health_drafter")
    data = _draft_form("", 0)
    data["docx"] = (buffer, "答复稿.docx")
    response = client.post_form(f"/assignments/{lead_id}/actions/save_draft", data,
                                content_type="multipart/form-data")
    assert response.status_code == 302
    (version,) = _versions(app, lead_id)
    assert version.body == "一、基本情况\n我委高度重视。\n（一）人才培养\n1.扩大定向培养"
    assert version.source == "docx"
    listing = _text(client.get(f"/assignments/{lead_id}/drafts"))
    assert "Word 上传" in listing and '<p class="reply-p reply-h3">1.扩大定向培养</p>' in listing


def test_two_drafters_saving_from_the_same_base_second_gets_409(app, make_client, world):
    lead_id = _drafting(app, world)
    _write(app, lead_id, "health_drafter", BODY_1)
    editor = f"/assignments/{lead_id}/actions/save_draft"
    one, two = make_client(), make_client()
    one.login("health_drafter")
    two.login("health_clerk")
    assert _hidden(_text(one.get(editor)), "base_number") == "1"
    assert _hidden(_text(two.get(editor)), "base_number") == "1"

    assert one.post_form(editor, _draft_form(BODY_2, 1)).status_code == 302
    mine = BODY_1 + "\n联络员补充的一段话。"
    response = two.post_form(editor, _draft_form(mine, 1))
    assert response.status_code == 409
    page = _text(response)
    assert "您的修改没有保存" in page and "刘承办保存的第 2 稿" in page
    diff = page.split("draft-conflict")[1].split("</table>")[0]
    assert "二、下一步工作" in diff and 'class="added"' in diff  # the other's changes
    assert "联络员补充的一段话。" in page  # the user's text is kept in the editor
    assert [v.body for v in _versions(app, lead_id)] == [BODY_1, BODY_2]

    # Having seen the other's changes, the second drafter saves on top of them.
    assert _hidden(page, "base_number") == "2"
    merged = BODY_2 + "\n联络员补充的一段话。"
    assert two.post_form(editor, _draft_form(merged, 2)).status_code == 302
    assert [v.number for v in _versions(app, lead_id)] == [1, 2, 3]


def test_approving_a_draft_that_changed_after_it_was_opened_is_refused(app, client, world):
    lead_id = _to_state(app, world, "first_review")
    client.login("health_first")
    page = _text(client.get(f"/assignments/{lead_id}/actions/approve"))
    stale = _hidden(page, "seen_version_id")
    # Meanwhile it goes back to the drafter, is changed and sent again.
    _run(app, lead_id, "health_first", "return", comment="请补充数据")
    _write(app, lead_id, "health_drafter", BODY_2)
    _run(app, lead_id, "health_drafter", "submit")
    with app.app_context():
        decisions = db.session.scalar(select(func.count(ReviewDecision.id)).where(
            ReviewDecision.assignment_id == lead_id))
    response = client.post_form(f"/assignments/{lead_id}/actions/approve",
                                {"seen_version_id": stale, "comment": "同意"})
    assert response.status_code == 409
    assert "送审稿在您打开之后已被修改" in _text(response)
    assert _state(app, lead_id) == "first_review"
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewDecision.id)).where(
            ReviewDecision.assignment_id == lead_id)) == decisions


def test_a_reviewer_without_that_level_is_refused(app, client, world):
    lead_id = _to_state(app, world, "first_review")
    client.login("health_second")
    assert "待初审" not in _text(client.get("/"))
    page = client.get(f"/assignments/{lead_id}/actions/approve")
    assert page.status_code == 403 and "只有本单位初审人" in _text(page)
    with app.app_context():
        seen = latest_draft(load(Assignment, lead_id)).id
    response = client.post_form(f"/assignments/{lead_id}/actions/approve",
                                {"seen_version_id": seen})
    assert response.status_code == 403
    assert _state(app, lead_id) == "first_review"


def test_a_key_item_is_signed_only_by_the_principal_leader(app, make_client, world):
    lead_id = _to_state(app, world, "awaiting_signature", is_key=True)
    with app.app_context():
        seen = latest_draft(load(Assignment, lead_id)).id
    signer = make_client()
    signer.login("health_signer")
    assert "待签发" not in _text(signer.get("/"))
    response = signer.post_form(f"/assignments/{lead_id}/actions/sign",
                                {"seen_version_id": seen})
    assert response.status_code == 403 and "主要负责人" in _text(response)
    assert _state(app, lead_id) == "awaiting_signature"

    leader = make_client()
    leader.login("health_leader")
    assert "待签发" in _text(leader.get("/"))
    page = _text(leader.get(f"/assignments/{lead_id}/actions/sign"))
    assert "由本单位主要负责人签发" in page
    assert leader.post_form(f"/assignments/{lead_id}/actions/sign",
                            {"seen_version_id": seen}).status_code == 302
    assert _state(app, lead_id) == "signed"


def test_returning_needs_a_comment(app, client, world):
    lead_id = _to_state(app, world, "first_review")
    client.login("health_first")
    page = _text(client.get(f"/assignments/{lead_id}/actions/return_draft"))
    response = client.post_form(f"/assignments/{lead_id}/actions/return_draft", {
        "seen_version_id": _hidden(page, "seen_version_id"), "comment": "  "})
    assert response.status_code == 422
    assert _state(app, lead_id) == "first_review"


# -- versions and comparison ------------------------------------------------------------------


def test_compare_page_marks_changes_and_escapes_html(app, client, world):
    lead_id = _drafting(app, world)
    _write(app, lead_id, "health_drafter", "一、情况\n<script>alert(1)</script>")
    _write(app, lead_id, "health_drafter", "一、情况\n<b onclick=\"x()\">加粗</b>",
           result_class="B")
    client.login("health_drafter")
    response = client.get(f"/assignments/{lead_id}/drafts/compare?a=1&b=2")
    assert response.status_code == 200
    page = _text(response)
    assert "<script>alert(1)" not in page and "<b onclick" not in page
    diff = page[page.index('<table class="table table-sm diff">'):]
    diff = diff[:diff.index("</table>")]
    # The drafts' markup is shown as text: escaped in the HTML, intact once unescaped.
    assert "<script" not in diff and "<b " not in diff
    assert "<script>alert(1)</script>" in _plain(diff)
    assert '<b onclick="x()">加粗</b>' in _plain(diff)
    # Unlike lines are shown as removed and added whole (inline marks are for similar ones).
    assert 'class="changed"' in diff and 'class="removed"' in diff and 'class="added"' in diff
    assert "办理结果类别" in page and "B类" in page  # other fields that changed
    listing = client.get(f"/assignments/{lead_id}/drafts?v=1")
    assert listing.status_code == 200
    assert "<script>alert(1)" not in _text(listing) and "&lt;script&gt;" in _text(listing)
    # Any two versions, in either order; unknown ones are 404.
    assert client.get(f"/assignments/{lead_id}/drafts/compare?a=2&b=1").status_code == 200
    assert client.get(f"/assignments/{lead_id}/drafts/compare?a=9&b=1").status_code == 404
    assert client.get(f"/assignments/{lead_id}/drafts/compare?a=x").status_code == 404


def test_drafts_are_read_only_by_the_units_of_the_item(app, make_client, world):
    lead_id = _drafting(app, world, co=True)
    _write(app, lead_id, "health_drafter", BODY_1)
    hr = make_client()
    hr.login("hr_clerk")  # co-handling: reads the lead's draft
    assert hr.get(f"/assignments/{lead_id}/drafts").status_code == 200
    assert hr.get(f"/assignments/{lead_id}/drafts/compare").status_code == 200
    edu_client = make_client()
    edu_client.login("edu_clerk")  # not a unit of the item
    assert edu_client.get(f"/assignments/{lead_id}/drafts").status_code == 404
    assert make_client().get(f"/assignments/{lead_id}/drafts").status_code == 302

    # 分办: each unit's draft is its own (and the supervisors').
    health_id = _drafting(app, world, separate=True)
    with app.app_context():
        edu_id = db.session.scalar(select(Assignment.id).where(
            Assignment.proposal_id == load(Assignment, health_id).proposal_id,
            Assignment.unit_id == world.edu))
    with app.test_request_context():
        handling.dispatch_assignment(db.session.get(Assignment, edu_id),
                                     db.session.get(User, world.edu_clerk),
                                     section_id=world.edu_section, drafter_id=world.edu_drafter)
        db.session.commit()
    _write(app, edu_id, "edu_drafter", "教育厅的分办答复。")
    _write(app, health_id, "health_drafter", "卫健委的分办答复。")
    assert edu_client.get(f"/assignments/{edu_id}/drafts").status_code == 200
    assert edu_client.get(f"/assignments/{health_id}/drafts").status_code == 403
    health = make_client()
    health.login("health_clerk")
    assert health.get(f"/assignments/{edu_id}/drafts/compare").status_code == 403
    detail = _text(health.get(f"/proposals/{_proposal_of(app, health_id)}"))
    assert f"/assignments/{health_id}/drafts" in detail
    assert f"/assignments/{edu_id}/drafts" not in detail
    supervisor = make_client()
    supervisor.login("clerk")
    assert supervisor.get(f"/assignments/{edu_id}/drafts").status_code == 200
    assert "教育厅的分办答复" in _text(supervisor.get(f"/assignments/{edu_id}/drafts"))


def test_item_page_shows_the_reply_section_and_waiting_time(app, client, world):
    lead_id = _to_state(app, world, "second_review")
    with app.test_request_context():
        db.session.execute(update(Assignment).where(Assignment.id == lead_id).values(
            state_since=utcnow() - timedelta(days=4, hours=1)))
        db.session.commit()
    client.login("health_second")
    page = _text(client.get(f"/proposals/{_proposal_of(app, lead_id)}"))
    assert "答复" in page and "最新稿：第 1 稿" in page and "已等待 4 天" in page
    assert f'/assignments/{lead_id}/actions/approve' in page
    assert f'/assignments/{lead_id}/drafts' in page
    todo = _text(client.get("/"))
    assert "待复审" in todo and "已等待 4 天" in todo


def test_two_reviewers_of_one_level_the_second_is_told_someone_acted_first(app, make_client,
                                                                            world):
    lead_id = _to_state(app, world, "first_review")
    with app.test_request_context():
        factories.make_user("health_first2", db.session.get(Unit, world.health),
                            *db.session.get(User, world.health_first).roles,
                            full_name="陈二审")
        db.session.commit()
    one, two = make_client(), make_client()
    one.login("health_first")
    two.login("health_first2")
    page_one = _text(one.get(f"/assignments/{lead_id}/actions/approve"))
    page_two = _text(two.get(f"/assignments/{lead_id}/actions/approve"))
    assert one.post_form(f"/assignments/{lead_id}/actions/approve", {
        "seen_version_id": _hidden(page_one, "seen_version_id"),
        "version": _hidden(page_one, "version")}).status_code == 302
    response = two.post_form(f"/assignments/{lead_id}/actions/approve", {
        "seen_version_id": _hidden(page_two, "seen_version_id"),
        "version": _hidden(page_two, "version")})
    assert response.status_code == 409
    assert "已被他人处理" in _text(response) and "复审中" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReviewDecision.id)).where(
            ReviewDecision.assignment_id == lead_id)) == 1
