"""Real letters end to end: item numbers as registered (0040, T901, 12-3) through review,
sign-off and 发文 on the pages and the API; every letter field's limit enforced when the draft
is saved, never after the reviews; a signed letter sent back for correction; the letter's
files through the API with the pages' permissions."""
from __future__ import annotations

import io
import threading
from types import SimpleNamespace

import docx
import pdfplumber
import pytest
from sqlalchemy import func, select

from tests import factories
from tests.replies.test_letter_issue import _bring
from tests.support.handling import _model_for, bring_to, latest_id, write_draft
from tracker.core.errors import ValidationFailed
from tracker.extensions import db
from tracker.letters import fields
from tracker.letters.inputs import LetterInputError
from tracker.proposals.models import Disclosure
from tracker.replies import operations as replies
from tracker.replies.models import DraftVersion, Reply, ReplyForm

# A reply body as pasted from a real document: half-width punctuation between Chinese
# characters, decimals, times and a URL.
PASTED = ("一、关于基层医疗卫生机构建设\n"
          "截至2020年末,全市医疗卫生机构达到426所,其中市直医疗机构10所;每千人口拥有医疗卫生"
          "机构床位数6.82张、执业(助理)医师3.34人.\n"
          "群众可登录https://wsjkw.jl.gov.cn/查询,或在工作日8:30至17:00拨打12320热线咨询.")


def pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return "".join((page.extract_text() or "") for page in doc.pages).replace("\n", "")


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    return "".join(p.text for p in document.paragraphs)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("number", ["T901", "12-3", "0007"])
def test_numbers_with_letters_and_zeros_are_issued_from_the_pages(app, world, make_client,
                                                                  number):
    with app.test_request_context():
        w = SimpleNamespace(**{k: db.session.get(_model_for(k), v)
                               for k, v in vars(world).items()})
        proposal = factories.make_proposal(w.clerk, w.meeting, number=number)
        (target,) = factories.assign(proposal, w.clerk, lead=w.health)
        from tracker.handling import operations

        operations.accept_assignment(target, w.health_clerk)
        operations.dispatch_assignment(target, w.health_clerk, section_id=w.health_section.id,
                                       drafter_id=w.health_drafter.id)
        write_draft(target, w.health_drafter)
        replies.submit_review(target, w.health_drafter)
        for reviewer in (w.health_first, w.health_second, w.health_final):
            replies.approve_draft(target, reviewer, seen_version_id=latest_id(target))
        replies.sign_reply(target, w.health_signer, seen_version_id=latest_id(target))
        db.session.commit()
        aid = target.id
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/assignments/{aid}/actions/issue")
    version = page.get_data(as_text=True).split('name="version"')[1].split('value="')[1]
    response = clerk.post_form(f"/assignments/{aid}/actions/issue",
                               {"version": version.split('"')[0]})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    letter = clerk.get(f"/assignments/{aid}/letter.pdf")
    assert f"第{number}号代表建议的答复" in pdf_text(letter.data)
    word = clerk.get(f"/assignments/{aid}/letter.docx")
    assert word.status_code == 200 and f"第{number}号" in docx_text(word.data)


@pytest.mark.parametrize("number, ok", [("0040", True), ("T901", True), ("12-3", True),
                                        ("-12", False), ("12--3", False), ("第40号", False),
                                        ("４０", False), ("1" * 21, False)])
def test_one_number_rule_for_the_form_and_the_renderer(number, ok):
    assert (fields.item_number_problem(number) is None) is ok
    from tracker.letters.inputs import parse
    from tracker.letters.samples import sample_letter

    if ok:
        assert parse(sample_letter(1, number=number)).title.endswith(f"第{number}号代表建议的答复")
    else:
        with pytest.raises(LetterInputError) as caught:
            parse(sample_letter(1, number=number))
        assert caught.value.field == "number"


# --- every letter field's limit, at save ------------------------------------------------------

def _save(target, drafter, **changes):
    values = dict(body="一、基本情况\n我委高度重视。", result_class="A",
                  reply_form=ReplyForm.written, disclosure=Disclosure.public,
                  contact_name="刘洋", contact_phone="0431-88900000", cc="省政府办公厅",
                  closing="感谢您的关心和支持。", salutation="", opening="")
    values.update(changes)
    latest = replies.queries.latest_draft(target)
    return replies.save_draft(target, drafter, base_number=latest.number if latest else None,
                              **values)


LIMITS = [
    ("contact_name", "刘" * (fields.CONTACT_NAME_MAX + 1), "联系人"),
    ("contact_phone", "0431-8890abcd", "电话"),
    ("opening", "您" * (fields.OPENING_MAX + 1), "开头语"),
    ("closing", "谢" * (fields.CLOSING_MAX + 1), "结束语"),
    ("salutation", "李" * (fields.SALUTATION_MAX + 1), "称呼"),
    ("cc", "省" * (fields.CC_NAME_MAX + 1), "抄送"),
    ("cc", "\n".join(f"单位{i}" for i in range(fields.CC_LINES_MAX + 1)), "抄送"),
    ("body", "我" * (fields.BODY_MAX + 1), "正文"),
]


@pytest.mark.parametrize("name, value, label", LIMITS, ids=[f"{n}-{i}" for i, (n, _, _)
                                                             in enumerate(LIMITS)])
def test_every_letter_field_limit_is_enforced_when_the_draft_is_saved(w, name, value, label):
    target = bring_to(w, "drafting")
    before = db.session.scalar(select(func.count(DraftVersion.id)))
    with pytest.raises(ValidationFailed) as caught:
        _save(target, w.health_drafter, **{name: value})
    assert name in caught.value.errors, caught.value.errors
    message = caught.value.message + "".join(caught.value.errors[name])
    assert label in message or "不超过" in message or "最多" in message, message
    assert db.session.scalar(select(func.count(DraftVersion.id))) == before


def test_the_longest_values_a_form_accepts_render(w, app):
    """At the limit, every field saves and the letter renders (preview and .docx)."""
    from tracker.replies import documents

    target = bring_to(w, "drafting")
    version = _save(target, w.health_drafter,
                    contact_name="刘" * fields.CONTACT_NAME_MAX,
                    opening="您" * fields.OPENING_MAX, closing="谢" * fields.CLOSING_MAX,
                    salutation="李" * (fields.SALUTATION_MAX - 1) + "：",
                    cc="\n".join("省" * fields.CC_NAME_MAX for _ in range(3)))
    pdf = documents.draft_pdf(target, version).content
    text = pdf_text(pdf).replace(" ", "").replace("草", "").replace("稿", "")  # watermark
    assert "联系人：" + "刘" * fields.CONTACT_NAME_MAX in text
    assert text.count("您") == fields.OPENING_MAX and text.count("谢") == fields.CLOSING_MAX
    assert documents.draft_docx(target, version).content[:2] == b"PK"


def test_the_page_shows_the_reason_next_to_the_field_and_saves_nothing(app, world,
                                                                       make_client):
    aid = _bring(app, world, "drafting")
    drafter = make_client()
    drafter.login("health_drafter")
    response = drafter.post_form(f"/assignments/{aid}/actions/save_draft", {
        "base_number": "0", "body": "我委高度重视。", "result_class": "A",
        "reply_form": "written", "disclosure": "public",
        "contact_name": "刘" * 31, "contact_phone": "0431-88900000"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html.split('name="contact_name"')[1][:1500]
    assert "30" in field and "invalid-feedback" in field, field
    with app.app_context():
        assert db.session.scalar(select(func.count(DraftVersion.id)).where(
            DraftVersion.assignment_id == aid)) == 0


def test_saving_shows_the_punctuation_changes(app, world, make_client):
    aid = _bring(app, world, "drafting")
    drafter = make_client()
    drafter.login("health_drafter")
    response = drafter.post_form(f"/assignments/{aid}/actions/save_draft", {
        "base_number": "0", "body": PASTED, "result_class": "A", "reply_form": "written",
        "disclosure": "public"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已按标点符号用法（GB/T 15834）将" in html
    assert "正文第2行第9字：“,” 改为 “，”（截至2020年末，全市医疗卫生机构）" in html
    with app.app_context():
        body = db.session.scalar(select(DraftVersion.body).where(
            DraftVersion.assignment_id == aid))
    assert "426所，其中市直医疗机构10所；每千人口" in body
    assert "执业（助理）医师3.34人。" in body and "8:30至17:00" in body


# --- failures after sign-off ------------------------------------------------------------------

def test_render_worker_errors_keep_their_field_and_chinese_reason():
    """A render in another thread goes to the worker process; its error comes back whole."""
    from tracker.letters.render import render_with_limit
    from tracker.letters.samples import sample_letter

    caught = []

    def run():
        try:
            render_with_limit(sample_letter(1, number="第12号"))
        except Exception as exc:  # noqa: BLE001 - inspected below
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    [error] = caught
    assert isinstance(error, LetterInputError)
    assert error.field == "number" and "编号「第12号」不符合规则" in error.reason


def test_a_signed_letter_can_be_sent_back_for_correction_and_issued(w):
    target = bring_to(w, "signed")
    first = replies.queries.current_reply(target)
    assert first.issued_at is None
    replies.return_draft(target, w.health_clerk, seen_version_id=latest_id(target),
                         comment="联系电话有误，请更正后重新送审。")
    assert target.state == "drafting"
    assert db.session.get(Reply, first.id) is None
    _save(target, w.health_drafter, contact_phone="0431-88900001")
    replies.submit_review(target, w.health_drafter)
    for reviewer in (w.health_first, w.health_second, w.health_final):
        replies.approve_draft(target, reviewer, seen_version_id=latest_id(target))
    replies.sign_reply(target, w.health_signer, seen_version_id=latest_id(target))
    reply = replies.issue_reply(target, w.health_clerk)
    assert reply.doc_number.endswith("〕1号") and target.state == "replied"
    assert reply.draft_version.contact_phone == "0431-88900001"


def test_the_issued_letters_word_file_is_what_was_issued(app, world, make_client):
    """Its .docx comes from the data kept at issue: a later change of the unit's style (or
    of the item) does not rewrite what was sent."""
    from tracker.handling.models import Assignment
    from tracker.replies.styles import apply_letter_style_preset

    aid = _bring(app, world, "signed")
    clerk = make_client()
    clerk.login("health_clerk")
    page = clerk.get(f"/assignments/{aid}/actions/issue").get_data(as_text=True)
    version = page.split('name="version"')[1].split('value="')[1].split('"')[0]
    assert clerk.post_form(f"/assignments/{aid}/actions/issue",
                           {"version": version}).status_code == 302
    with app.app_context():
        reply = db.session.scalar(select(Reply).where(Reply.assignment_id == aid))
        number = reply.doc_number
        assert f'"doc_number": "{number}"' in reply.letter_data
        assignment = db.session.get(Assignment, aid)
        apply_letter_style_preset(None, assignment.unit, assignment.proposal.kind, "city_cppcc")
        assignment.proposal.title = "关于另一件事的建议"
        db.session.commit()
    words = docx_text(clerk.get(f"/assignments/{aid}/letter.docx").data)
    assert number in words and "签发人" not in words and "另一件事" not in words
    assert number in pdf_text(clerk.get(f"/assignments/{aid}/letter.pdf").data)
