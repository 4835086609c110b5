"""The import pages: the template, the problem list, the import, who may use them."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.support.imports import HEADERS, item, later, post_file, problems_of, xlsx
from tracker.audit.log import verify_chain
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Proposal


@pytest.fixture
def clerk(client, world):
    client.login("clerk")
    return client


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        result = tuple(db.session.scalar(select(func.count()).select_from(m))
                       for m in (Proposal, Assignment, AuditEvent))
        db.session.remove()
    return result


def test_the_template_has_the_columns_and_the_rules(clerk):
    response = clerk.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument"
                                 ".spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["交办清单", "说明"]
    sheet = book["交办清单"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["B"].width
    assert sheet["B2"].number_format == "@"  # 0040 keeps its zeros
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["C2:C1001"] == '"代表建议,委员提案"'
    notes = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    for text in ("省十四届人大三次会议", "省政协十三届三次会议", "省卫生健康委员会", "省教育厅",
                 "每次最多导入", "2026年3月1日"):
        assert text in notes
    assert "省政府办公厅" not in notes  # the supervising office handles nothing


def test_the_filled_template_imports_cleanly(clerk, app):
    book = load_workbook(io.BytesIO(clerk.get("/imports/template.xlsx").data))
    sheet = book["交办清单"]
    for r, row in enumerate([item(1), item("0040", co="省教育厅", due_on=later(45))], start=2):
        for c, value in enumerate(row.values(), start=1):
            sheet.cell(row=r, column=c, value=value)
    out = io.BytesIO()
    book.save(out)
    before = counts(app)
    response = post_file(clerk, out.getvalue())
    assert response.status_code == 302, problems_of(response.get_data(as_text=True))
    assert counts(app)[0] == before[0] + 2
    with app.app_context():
        numbers = db.session.scalars(select(Proposal.number).order_by(Proposal.id)).all()
        db.session.remove()
    assert numbers[-2:] == ["1", "0040"]


def test_the_demo_clerk_fixes_the_one_bad_row_and_imports_all_200(clerk, app, world):
    rows = [item(n, co="省人力资源和社会保障厅" if n % 4 == 0 else "",
                 due_on=later(60) if n % 5 == 0 else None) for n in range(1, 201)]
    rows[115]["lead"] = "省卫健委员会"  # Excel row 117: a misspelt unit
    before = counts(app)

    response = post_file(clerk, xlsx(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "未导入：发现 1 个问题（涉及 1 行）" in page
    assert problems_of(page) == [
        ("117", "主办单位", "找不到单位「省卫健委员会」（是否为「省卫生健康委员会」？）。")]
    assert counts(app) == before

    rows[115]["lead"] = "省卫生健康委员会"
    response = post_file(clerk, xlsx(rows))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/proposals?meeting={world.meeting}")
    listing = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "已导入 200 件建议提案并全部交办（省十四届人大三次会议 200 件）" in listing
    assert "关于第200项基层卫生服务的建议" in listing
    with app.app_context():
        states = db.session.execute(select(Proposal.state, func.count()).where(
            Proposal.meeting_id == world.meeting).group_by(Proposal.state)).all()
        co = db.session.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.role == "co"))
        assert verify_chain().ok
        db.session.remove()
    assert dict(states) == {"assigned": 200}
    assert co == 50
    assert counts(app)[:2] == (before[0] + 200, before[1] + 250)
    assert counts(app)[2] >= before[2] + 401


def test_a_file_that_is_not_xlsx_is_explained_on_the_page(clerk, app):
    before = counts(app)
    response = post_file(clerk, b"%PDF-1.4\n%%EOF\n", name="清单.pdf")
    assert response.status_code == 422
    assert problems_of(response.get_data(as_text=True)) == [
        ("—", "—", "只接受 Excel 工作簿（.xlsx），上传的是「清单.pdf」。")]
    assert counts(app) == before


def test_no_file_chosen(clerk):
    response = clerk.post("/imports", data={"csrf_token": clerk.token},
                          content_type="multipart/form-data")
    assert response.status_code == 422
    assert "请选择要导入的 .xlsx 文件。" in response.get_data(as_text=True)


def test_text_from_the_file_is_escaped(clerk):
    response = post_file(clerk, xlsx([item(1, lead="<script>alert(1)</script>")]))
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("method,path", [("GET", "/imports"), ("GET", "/imports/template.xlsx"),
                                         ("POST", "/imports")])
def test_unit_clerks_may_not_import(make_client, world, app, method, path):
    client = make_client()
    client.login("health_clerk")
    before = counts(app)
    if method == "POST":
        response = post_file(client, xlsx([item(1)]))
    else:
        response = client.get(path)
    assert response.status_code == 403
    assert counts(app)[:2] == before[:2]


def test_anonymous_users_are_sent_to_login(client, world):
    for path in ("/imports", "/imports/template.xlsx"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_upload_needs_the_csrf_token(clerk, app):
    before = counts(app)
    response = clerk.post("/imports", data={"file": (io.BytesIO(xlsx([item(1)])), "a.xlsx")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert "页面已过期或请求来源无法验证" in response.get_data(as_text=True)
    assert counts(app) == before


def test_the_page_links_the_template(clerk):
    page = clerk.get("/imports").get_data(as_text=True)
    assert 'href="/imports/template.xlsx"' in page
    assert 'enctype="multipart/form-data"' in page


def test_an_upload_over_the_size_limit_is_refused_unread(clerk, app):
    before = counts(app)
    big = b"PK\x03\x04" + b"\0" * (app.config["MAX_UPLOAD_MB"] * 1024 * 1024 + 128 * 1024)
    response = post_file(clerk, big)
    assert response.status_code == 413
    assert f"上传的文件过大（不能超过 {app.config['MAX_UPLOAD_MB']} MB）" in \
        response.get_data(as_text=True)
    assert counts(app) == before


def _with_sheet(content: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet's XML replaced."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, sheet_xml if info.filename == "xl/worksheets/sheet1.xml"
                            else data)
    return out.getvalue()


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;")
                                                  * 10) for i in range(1, 10))
          + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
          b'</sheetData></worksheet>')


@pytest.mark.parametrize("sheet_xml", [
    # Truncated in the middle of the sheet data.
    lambda good: good[:len(good) * 2 // 3],
    # An external entity (XXE) and an undefined one.
    lambda good: (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                  + good.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&e;", 1)),
    lambda good: good.replace(b"<sheetData>", b"<sheetData>&undefined;", 1),
    # Billion laughs.
    lambda good: LAUGHS,
], ids=["truncated", "external-entity", "undefined-entity", "billion-laughs"])
def test_a_malformed_sheet_is_a_clear_422(clerk, app, sheet_xml):
    import zipfile

    good_file = xlsx([item(1), item(2)])
    good = zipfile.ZipFile(io.BytesIO(good_file)).read("xl/worksheets/sheet1.xml")
    before = counts(app)
    response = post_file(clerk, _with_sheet(good_file, sheet_xml(good)))
    assert response.status_code == 422
    [(row, column, message)] = problems_of(response.get_data(as_text=True))
    assert "无法读取" in message and "重新保存为 .xlsx" in message, message
    assert "root:" not in response.get_data(as_text=True)
    assert counts(app) == before
