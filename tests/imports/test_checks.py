"""The whole file is checked before anything is written: every problem with its row and
column, and a clear message for files that are not a usable 交办清单."""
from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime

import pytest

from tests.support.imports import HEADERS, MEETING, item, later, with_cached_value, xlsx
from tracker.core.errors import PermissionDenied
from tracker.core.time import today
from tracker.imports import operations
from tracker.imports.parse import MAX_ROWS, ImportRejected
from tracker.letters import fields


def check(w, content: bytes, name: str = "交办清单.xlsx"):
    return operations.check_workbook(w.clerk, content, name)


def refused(w, content: bytes, name: str = "交办清单.xlsx") -> list[tuple]:
    with pytest.raises(ImportRejected) as err:
        check(w, content, name)
    return [(p.row, p.column, p.message) for p in err.value.problems]


def only_message(w, content: bytes, name: str = "交办清单.xlsx") -> str:
    problems = refused(w, content, name)
    assert len(problems) == 1, problems
    return problems[0][2]


# -- the file ---------------------------------------------------------------------------------

def test_a_valid_file_gives_one_plan_per_row(w):
    plans = check(w, xlsx([item(1), item(2, co="省人力资源和社会保障厅")]))
    assert [(p.row, p.number, [u.name for u, _ in p.units]) for p in plans] == [
        (2, "1", ["省卫生健康委员会"]), (3, "2", ["省卫生健康委员会", "省人力资源和社会保障厅"])]


@pytest.mark.parametrize("name,content,expected", [
    ("清单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 Excel（.xls）"),
    ("清单.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "加密的工作簿"),
    ("清单.csv", "会议,编号\n省十四届人大三次会议,1\n".encode(), "只接受 Excel 工作簿（.xlsx）"),
    ("清单.pdf", b"%PDF-1.4\n%%EOF\n", "只接受 Excel 工作簿（.xlsx），上传的是「清单.pdf」"),
    ("清单.xlsx", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "可能是改了扩展名的其他文件"),
    ("清单.xlsx", b"", "上传的文件是空的"),
    ("清单.xlsx", b"PK\x03\x04 this is not a zip", "文件已损坏"),
])
def test_files_that_are_not_xlsx_get_a_clear_message(w, name, content, expected):
    assert expected in only_message(w, content, name)


def test_a_renamed_word_document_is_not_a_workbook(w):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert "可能是 Word 文档" in only_message(w, out.getvalue())


def test_a_zip_bomb_is_refused_before_it_is_unpacked(w):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024  # small on the wire
    started = time.perf_counter()
    assert "解压后过大" in only_message(w, out.getvalue())
    assert time.perf_counter() - started < 2


def test_a_file_over_the_upload_limit_is_refused(w, app):
    limit = app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    assert "文件过大" in only_message(w, b"PK\x03\x04" + b"\0" * limit)


def test_only_the_supervising_clerk_may_import(w):
    with pytest.raises(PermissionDenied):
        operations.check_workbook(w.health_clerk, xlsx([item(1)]), "a.xlsx")


# -- the sheet --------------------------------------------------------------------------------

def test_an_empty_sheet(w):
    assert "工作表是空的" in only_message(w, xlsx([], headers=[""]))


def test_only_headers(w):
    assert "只有表头，没有数据行" in only_message(w, xlsx([]))


def test_empty_rows_between_items_are_skipped(w):
    plans = check(w, xlsx([item(1), {}, item(2)]))
    assert [p.row for p in plans] == [2, 4]


def test_missing_columns_are_named(w):
    headers = [h for h in HEADERS if h not in ("主办单位", "办理期限")]
    problems = refused(w, xlsx([item(1)], headers=headers))
    assert problems == [(1, "", "缺少以下列：「主办单位」「办理期限」（请使用下载的模板）。")]


def test_extra_columns_are_refused_and_named(w):
    """Decision: a column the template does not have is an error (its content would be
    lost silently otherwise); only 序号 is accepted and ignored."""
    headers = ["序号"] + HEADERS + ["备注", "联系人"]
    problems = refused(w, xlsx([dict(item(1), 序号=1, 备注="急")], headers=headers))
    assert problems == [(1, "", "有模板中没有的列：「备注」「联系人」。"
                                "请删除这些列（或把内容移到模板的列中）后再上传。")]


def test_the_sequence_column_is_ignored(w):
    plans = check(w, xlsx([dict(item(5), 序号=1)], headers=["序号"] + HEADERS))
    assert [p.number for p in plans] == ["5"]


def test_optional_columns_may_be_left_out(w):
    headers = [h for h in HEADERS if h not in ("提出人电话", "分类", "分办单位", "收到日期", "是否重点")]
    (plan,) = check(w, xlsx([item(1)], headers=headers))
    assert (plan.received_on, plan.is_key, plan.category) == (today(), False, "")


def test_data_without_a_header_is_refused(w):
    content = xlsx([], raw_rows=[[item(1)[c] for c in (
        "meeting", "number", "kind", "title", "authors", "phones", "category", "lead", "co",
        "separate", "due_on", "received_on", "is_key")] + [None, "多出来的"]])
    problems = refused(w, content)
    assert problems == [(2, "", "第 O 列有数据但没有表头：请删除该列的数据或补上模板中的表头。")]


def test_a_title_row_above_the_headers(w):
    problems = refused(w, xlsx([item(1)], title_row="省十四届人大三次会议代表建议交办清单"))
    assert problems == [(1, "", "表头应在第 1 行：请删除表头上方的标题行后再上传。")]


def test_merged_cells_are_refused_with_their_range(w):
    content = xlsx([item(1), item(2), item(3)], merge="H2:H4")
    assert "表格中有合并单元格（H2:H4）" in only_message(w, content)


def test_too_many_rows_stop_early_with_a_message(w):
    """50,000 rows: refused with the limit named, without reading them all."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("交办清单")
    sheet.append(HEADERS)
    for n in range(50_000):
        sheet.append([MEETING, n, "代表建议", "关于建议", "李华", None, None, "省教育厅"])
    out = io.BytesIO()
    book.save(out)
    started = time.perf_counter()
    message = only_message(w, out.getvalue())
    assert message == (f"数据超过 {MAX_ROWS} 行：每次最多导入 {MAX_ROWS} 行，"
                       "请分成几个文件分别导入。")
    assert time.perf_counter() - started < 15


def test_a_formula_without_a_saved_result_is_named(w):
    content = xlsx([item(1, title='="关于"&"加强基层卫生人才队伍建设的建议"')])
    assert refused(w, content) == [(2, "标题", "单元格是公式但没有保存计算结果：请在 Excel 中打开并"
                                               "保存后再上传，或把公式「粘贴为数值」。")]


def test_a_formula_with_its_saved_result_is_imported_as_that_value(w):
    content = xlsx([item(1, title='="关于"&"加强基层卫生人才队伍建设的建议"')])
    content = with_cached_value(content, "D2", "关于加强基层卫生人才队伍建设的建议")
    (plan,) = check(w, content)
    assert plan.title == "关于加强基层卫生人才队伍建设的建议"


def test_error_values_are_named(w):
    assert refused(w, xlsx([item(1, lead="#N/A")])) == [
        (2, "主办单位", "单元格是错误值「#N/A」（公式计算出错）。")]


# -- the rows ---------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["2025-3-1", "2025.3.1", "2025/3/1", "2025年3月1日",
                                   "2025 年 3 月 1 日", "2025-03-01"])
def test_dates_typed_as_text(w, typed):
    (plan,) = check(w, xlsx([item(1, received_on=typed)]))
    assert plan.received_on == date(2025, 3, 1)


def test_real_excel_dates(w):
    due = later(40)
    (plan,) = check(w, xlsx([item(1, received_on=datetime(2025, 3, 1), due_on=due)]))
    assert (plan.received_on, plan.due_on) == (date(2025, 3, 1), due)


@pytest.mark.parametrize("typed,message", [
    ("3/1/2025", "「3/1/2025」不是可识别的日期，请写成 2026-3-1、2026/3/1、2026.3.1 或 2026年3月1日。"),
    ("2025-2-30", "「2025-2-30」不是有效的日期（没有这一天）。"),
    ("2025.3/1", "「2025.3/1」不是可识别的日期，请写成 2026-3-1、2026/3/1、2026.3.1 或 2026年3月1日。"),
    (45000, "「45000」是数字而不是日期，请填写日期，如 2026-3-1、2026/3/1、2026.3.1 或 2026年3月1日。"),
])
def test_bad_dates_name_the_column(w, typed, message):
    assert refused(w, xlsx([item(1, received_on=typed)])) == [(2, "收到日期", message)]


def test_dates_against_today(w):
    problems = refused(w, xlsx([item(1, due_on=later(-1), received_on=later(1))]))
    assert problems == [
        (2, "办理期限", f"办理期限不能早于交办日期（{today().isoformat()}）。"),
        (2, "收到日期", "收到日期不能晚于今天。"),
    ]


def test_every_problem_is_listed_with_its_row_and_column(w, ctx):
    from tests import factories

    factories.make_proposal(w.clerk, w.meeting, number="300")
    rows = [
        item(1),
        item(2, lead="省卫健委员会"),               # row 3: unknown unit
        item(1),                                   # row 4: duplicate within the file
        item(300),                                 # row 5: already registered
        item(6, title=""),                         # row 6: missing title
        item(7, meeting="省十四届人大九次会议"),       # row 7: unknown meeting
        item(8, kind="委员提案"),                    # row 8: wrong kind for the meeting
        item(9, lead="省卫生健康委员会、省教育厅"),     # row 9: two lead units
        item(10, lead="", co="省教育厅"),             # row 10: co without lead
        item(11, lead="", separate=""),             # row 11: no unit at all
        item(12, separate="省教育厅"),               # row 12: lead and 分办
        item(13, co="省卫生健康委员会"),              # row 13: same unit twice
        item(14, lead="省政府办公厅"),               # row 14: the supervising office
        item(15, authors=""),                       # row 15: no author
        item(16, number="16号A!"),                  # row 16: bad number
        item(17, category="卫生"),                  # row 17: unknown category
        item(18, is_key="也许"),                    # row 18: flag
        item(19, phones="1390000、1380000、1370000"),  # row 19: more phones than authors
    ]
    problems = refused(w, xlsx(rows))
    assert problems == [
        (3, "主办单位", "找不到单位「省卫健委员会」（是否为「省卫生健康委员会」？）。"),
        (4, "编号", "编号 1 与第 2 行重复（同一会议内编号不能重复）。"),
        (5, "编号", "「省十四届人大三次会议」已有第300号代表建议，编号不能重复。"),
        (6, "标题", "必须填写标题（案由）。"),
        (7, "会议", "找不到会议「省十四届人大九次会议」。现有会议：「省十四届人大三次会议」"
                    "「省政协十三届三次会议」。"),
        (8, "类型", "「省十四届人大三次会议」只能登记代表建议。"),
        (9, "主办单位", "主办单位只能填写一个（其他单位请填在「会办单位」或「分办单位」）。"),
        (10, "主办单位", "有会办单位时必须指定主办单位。"),
        (11, "主办单位", "请填写主办单位（只按分办交办时填写「分办单位」）。"),
        (12, "分办单位", "主办和分办不能同时使用：请选一个主办单位，或全部按分办交办。"),
        (13, "会办单位", "单位「省卫生健康委员会」重复出现：一个单位在同一事项中只能承担一种角色。"),
        (14, "主办单位", "「省政府办公厅」是交办单位，不能承办。"),
        (15, "提出人", "至少填写一位代表（领衔人）。"),
        (16, "编号", f"编号「16号A!」不符合规则：{fields.ITEM_NUMBER_HELP}"),
        (17, "分类", "分类「卫生」不在列表中，可选：经济发展、农业农村、城乡建设、交通运输、生态环境、"
                     "教育科技、医疗卫生、社会保障、文化旅游、政法综治、政府建设、其他。"),
        (18, "是否重点", "「也许」无法识别，请填写「是」或「否」。"),
        (19, "提出人电话", "电话比提出人多：请按提出人的顺序填写，用顿号分隔。"),
    ]


def test_inactive_units_and_short_names(w, ctx):
    w.edu.is_active = False
    w.hr.short_name = "省人社厅"
    ctx.flush()
    problems = refused(w, xlsx([item(1, lead="省人社厅"), item(2, lead="省教育厅")]))
    assert problems == [(3, "主办单位", "「省教育厅」已停用，不能交办。")]


def test_kinds_numbers_and_lists_in_their_usual_spellings(w):
    (a, b, c) = check(w, xlsx([
        item("第212号", kind="建议", authors="李华，王芳;陈明", phones="13900000001、0431-8890"),
        item(213, number=213.0, kind="", is_key="是"),
        {**item("0040", kind="提案", meeting="省政协十三届三次会议"),
         "lead": "省教育厅", "co": "省卫生健康委员会、省人力资源和社会保障厅"},
    ]))
    assert (a.number, [x["name"] for x in a.authors], [x["phone"] for x in a.authors]) == (
        "212", ["李华", "王芳", "陈明"], ["13900000001", "0431-8890", ""])
    assert (b.number, b.is_key) == ("213", True)
    assert (c.number, c.meeting.name, [(u.name, r.value) for u, r in c.units]) == (
        "0040", "省政协十三届三次会议",
        [("省教育厅", "lead"), ("省卫生健康委员会", "co"), ("省人力资源和社会保障厅", "co")])


def test_a_title_broken_over_lines_in_excel_is_joined(w):
    (plan,) = check(w, xlsx([item(1, title="关于加强基层卫生\n人才队伍建设的建议")]))
    assert plan.title == "关于加强基层卫生人才队伍建设的建议"


def test_a_received_date_far_from_the_meetings_year_is_refused(w):
    year = w.meeting.year
    problems = refused(w, xlsx([item(1, received_on="1901-01-01")]))
    assert problems == [(2, "收到日期", f"收到日期应在{MEETING}（{year}年）前后一年内，"
                                       f"即 {year - 1} 年至 {year + 1} 年之间。")]


def test_a_lead_deadline_before_the_co_units_deadline_is_refused(w):
    from tracker.handling.models import UnitRole
    from tracker.handling.operations import meeting_deadline
    from tracker.workdays.calendar import WorkCalendar

    co_due = meeting_deadline(WorkCalendar.load(), w.meeting, UnitRole.co, today()).due_on
    row = item(1, co="省人力资源和社会保障厅", due_on=later(10))
    (problem,) = refused(w, xlsx([row]))
    assert problem[:2] == (2, "办理期限")
    assert f"早于按会议规定计算的会办期限（{co_due.isoformat()}）" in problem[2]
    # Without co units, or with a lead deadline after theirs, the row is fine.
    assert check(w, xlsx([item(1, due_on=later(10))]))
    assert check(w, xlsx([item(1, co="省人力资源和社会保障厅", due_on=later(60))]))
