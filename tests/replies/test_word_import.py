"""A whole reply typed in Word, imported on the draft page: previewed before saving, saved,
reviewed and issued, with nothing printed twice; the same through the API."""
from __future__ import annotations

import io
import re
import zipfile

import docx
import pdfplumber
from docx.enum.text import WD_ALIGN_PARAGRAPH
from sqlalchemy import func, select

from tests.replies.test_letter_issue import _bring
from tracker.extensions import db
from tracker.replies.models import DraftVersion

TITLE = "对省十四届人大三次会议第{number}号代表建议的答复"


def office_letter(number: str) -> bytes:
    """A provincial department's reply as its office types it in Word: class mark, 文号,
    two-line title, salutation, opening, headings, half-width punctuation, closing, unit,
    date, 附注, 抄送 and the review lines."""
    document = docx.Document()

    def para(text, align=None, bold=False, size=None):
        p = document.add_paragraph()
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = docx.shared.Pt(size)
        if align is not None:
            p.alignment = align
        return p

    para("A", WD_ALIGN_PARAGRAPH.RIGHT)
    para("吉卫复议字〔2026〕12号", WD_ALIGN_PARAGRAPH.CENTER)
    para("对省十四届人大三次会议", WD_ALIGN_PARAGRAPH.CENTER, size=22)
    para(f"第{number}号代表建议的答复", WD_ALIGN_PARAGRAPH.CENTER, size=22)
    para("李华代表：")
    para("您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。"
         "现答复如下：")
    para("一、关于基层卫生人才引进")
    para("截至2020年末,全市医疗卫生机构达到426所,其中市直医疗机构10所;卫生人员2503名.")
    para("（一）实施定向培养")
    para("2023年共招聘156人,占计划的97.5%.群众可在工作日8:30至17:00咨询.")
    para("感谢您对卫生健康工作的关心和支持。")
    para("吉林省卫生健康委员会", WD_ALIGN_PARAGRAPH.RIGHT)
    para("2026年6月18日", WD_ALIGN_PARAGRAPH.RIGHT)
    para("（联系人：刘洋　电话：0431-88900000）")
    para("抄送：省人大常委会人代选委，省政府办公厅。")
    para("初审：刘洋　复审：陈静　终审：周涛")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_html).group(1)


def form_values(html: str) -> dict:
    """The draft form's values as the page shows them (inputs and textareas)."""
    form = html.split('class="card draft-form"')[1]
    values = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form):
        values[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                  re.S):
        values[name] = value.strip("\r\n")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|'
                             r'<option[^>]*value="([^"]*)"[^>]*selected', body)
        if selected:
            values[name] = next(v for v in selected.groups() if v is not None)
    import html as htmllib

    return {k: htmllib.unescape(v) for k, v in values.items()}


def test_a_word_letter_is_previewed_saved_and_printed_once(app, world, make_client):
    aid = _bring(app, world, "drafting")
    with app.app_context():
        from tracker.handling.models import Assignment

        number = db.session.get(Assignment, aid).proposal.number
    drafter = make_client()
    drafter.login("health_drafter")
    page = drafter.get(f"/assignments/{aid}/actions/save_draft").get_data(as_text=True)
    preview = drafter.post(f"/assignments/{aid}/drafts/word", data={
        "csrf_token": csrf(page),
        "docx": (io.BytesIO(office_letter(number)), "答复.docx")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Word 稿导入预览：尚未保存" in html
    table = html.split('class="table table-sm small mb-2 word-placements"')[1].split("</table>")[0]
    for label in ("称谓", "开头语", "正文", "结束语", "联系人", "联系电话", "抄送"):
        assert f">{label}<" in table, label
    # Nothing is saved by the preview.
    with app.app_context():
        assert db.session.scalar(select(func.count(DraftVersion.id)).where(
            DraftVersion.assignment_id == aid)) == 0
    values = form_values(html)
    assert values["source"] == "docx"
    assert values["body"].startswith("一、关于基层卫生人才引进")
    assert "李华代表" not in values["body"] and "的答复" not in values["body"]
    assert "感谢您" not in values["body"] and "吉林省卫生健康委员会" not in values["body"]
    assert values["salutation"] == "李华代表："
    assert values["closing"] == "感谢您对卫生健康工作的关心和支持。"
    assert (values["contact_name"], values["contact_phone"]) == ("刘洋", "0431-88900000")
    assert values["cc"].splitlines() == ["省人大常委会人代选委", "省政府办公厅"]

    values["csrf_token"] = csrf(html)
    values.setdefault("result_class", "A")
    saved = drafter.post(f"/assignments/{aid}/actions/save_draft", data=values,
                         follow_redirects=True)
    assert saved.status_code == 200
    assert "已按标点符号用法" in saved.get_data(as_text=True)
    with app.app_context():
        version = db.session.scalar(select(DraftVersion).where(
            DraftVersion.assignment_id == aid))
        assert version.source == "docx"
        assert "426所，其中市直医疗机构10所；卫生人员2503名。" in version.body
        assert "97.5%。群众可在工作日8:30至17:00咨询。" in version.body
    pdf = drafter.get(f"/assignments/{aid}/letter-preview.pdf")
    with pdfplumber.open(io.BytesIO(pdf.data)) as doc:
        text = "".join(p.extract_text() for p in doc.pages).replace("\n", "")
    text = text.replace("草", "").replace("稿", "")  # the watermark
    assert text.count("李华代表：") == 1
    assert text.count("号代表建议的答复") == 1
    assert text.count("感谢您对卫生健康工作的关心和支持。") == 1


def test_a_zip_bomb_is_refused_next_to_the_file_field(app, world, make_client):
    aid = _bring(app, world, "drafting")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + "a" * 50_000_000)
    assert len(bomb.getvalue()) < 200_000
    drafter = make_client()
    drafter.login("health_drafter")
    page = drafter.get(f"/assignments/{aid}/actions/save_draft").get_data(as_text=True)
    response = drafter.post(f"/assignments/{aid}/drafts/word", data={
        "csrf_token": csrf(page), "docx": (io.BytesIO(bomb.getvalue()), "答复.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    field = response.get_data(as_text=True).split('name="docx"')[1][:800]
    assert "invalid-feedback" in field and "MB" in field or "过大" in field, field


def test_another_unit_cannot_import_into_the_draft(app, world, make_client):
    aid = _bring(app, world, "drafting")
    other = make_client()
    other.login("edu_clerk")
    token = csrf(other.get("/").get_data(as_text=True))
    response = other.post(f"/assignments/{aid}/drafts/word", data={
        "csrf_token": token, "docx": (io.BytesIO(office_letter("1")), "答复.docx")},
        content_type="multipart/form-data")
    assert response.status_code == 404
