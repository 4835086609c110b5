"""Spreadsheets: the dashboard's tables and the 办理台账 of a filtered list, opened again with
openpyxl and the csv module: Chinese headers, widths, the same numbers as the pages."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.supervision.helpers import csv_rows, pct, xlsx_sheet
from tests.support.supervision import EXPECTED, TOTAL, E, H, R

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_HEADERS = ["承办单位", "收到件数", "主办（分办）", "会办", "按时签收", "按时签收率", "已答复",
                "按时答复", "应答复", "按时答复率", "超期未办", "已联系", "联系率", "已面商", "见面率",
                "已测评", "满意", "基本满意", "不满意", "满意率", "A类", "B类", "C类",
                "重新办理", "会办意见按时", "催办次数"]
LEDGER_HEADERS = ["会议", "编号", "类型", "标题（案由）", "分类", "提出人", "主办（分办）单位",
                  "承办人", "会办单位", "交办日期", "答复期限", "状态", "是否逾期", "答复日期",
                  "答复文号", "答复形式", "答复类别", "评价结果", "办结评定"]


def _rate(part, whole):
    return part / whole if whole else None


def xlsx_unit_row(name: str, f: dict) -> list:
    return [name, f["received"], f["main"], f["co"], f["accepted_on_time"],
            _rate(f["accepted_on_time"], f["received"]), f["replied"], f["replied_on_time"],
            f["due"], _rate(f["replied_on_time"], f["due"]), f["overdue"], f["contacted"],
            _rate(f["contacted"], f["main"]), f["face"], _rate(f["face"], f["main"]),
            f["rated"], f["satisfied"], f["basic"], f["unsatisfied"],
            _rate(f["satisfied"] + f["basic"], f["rated"]), f["class_a"], f["class_b"],
            f["class_c"], f["rehandled"], f["co_on_time"], f["urged"]]


def _filename(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1))


def test_unit_table_as_xlsx(figures, login):
    response = login("clerk").get("/supervision/export.xlsx?table=units")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert _filename(response).startswith("办理情况统计表-")
    rows, sheet = xlsx_sheet(response.data, "办理情况统计表")
    assert rows[0][0] == "办理情况统计表"
    assert "统计范围：会议：全部会议；类别：全部类别；承办单位：全部承办单位" in rows[1][0]
    assert rows[2] == UNIT_HEADERS
    body = {row[0]: row for row in rows[3:]}
    for name in (H, R, E):
        assert body[name] == xlsx_unit_row(name, EXPECTED[name]), name
    assert body["合计"] == xlsx_unit_row("合计", TOTAL)
    # Rates are numbers shown as percentages; the columns have widths for their headers.
    assert sheet["F4"].number_format == "0.0%"
    assert sheet.column_dimensions["A"].width >= 20
    assert all(sheet.column_dimensions[c].width >= 8 for c in "BCDEFGHIJ")
    assert sheet.freeze_panes == "B4"


def test_every_table_in_one_workbook(figures, login):
    response = login("clerk").get("/supervision/export.xlsx?table=all")
    from io import BytesIO

    from openpyxl import load_workbook

    workbook = load_workbook(BytesIO(response.data))
    assert workbook.sheetnames == ["办理情况统计表", "办理进度", "满意度测评", "答复类别", "答复进度"]
    states = {row[0]: row[1] for row in workbook["办理进度"].iter_rows(min_row=4, values_only=True)}
    assert states == {"已登记": 1, "已交办": 2, "办理中": 3, "已评价": 2, "重新办理": 1, "合计": 9}
    ratings = {r[0]: r[1] for r in workbook["满意度测评"].iter_rows(min_row=4, values_only=True)}
    assert ratings == {"满意": 1, "基本满意": 1, "不满意": 1, "已答复未测评": 1, "已答复合计": 4}
    weeks = list(workbook["答复进度"].iter_rows(min_row=4, values_only=True))
    assert sum(w[2] for w in weeks) == 4 and weeks[-1][4] == 4


def test_unit_table_as_csv(figures, login):
    response = login("clerk").get("/supervision/export.csv?table=units")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert _filename(response).endswith(".csv")
    rows = csv_rows(response.data)
    assert rows[0] == UNIT_HEADERS
    body = {row[0]: row for row in rows[1:]}
    health = EXPECTED[H]
    assert body[H][:6] == [H, "5", "4", "1", "3", pct(3, 5)]
    assert body[H][19] == pct(health["satisfied"] + health["basic"], health["rated"])
    assert body["合计"][1] == str(TOTAL["received"])
    assert body[R][12] == "0.0%"  # no contact in 3 main assignments
    assert body[R][19] == "—"  # nothing rated: no rate at all


def test_filtered_exports_follow_the_filters(figures, login):
    client = login("clerk")
    rows, _ = xlsx_sheet(client.get("/supervision/export.xlsx?table=units&kind=proposal").data,
                         "办理情况统计表")
    assert "类别：委员提案" in rows[1][0]
    assert {r[0]: r[1] for r in rows[3:]} == {H: 1, R: 0, E: 1, "合计": 2}
    # A unit's own export holds only its own row.
    rows = csv_rows(login("hr_clerk").get("/supervision/export.csv?table=units").data)
    assert [r[0] for r in rows[1:]] == [R]


def test_unknown_tables_are_not_found(figures, login):
    client = login("clerk")
    assert client.get("/supervision/export.xlsx?table=users").status_code == 404
    assert client.get("/supervision/export.csv?table=all").status_code == 404


def _list_numbers(client, query: str) -> list[str]:
    html = client.get(f"/proposals?{query}").get_data(as_text=True)
    return re.findall(r"<tr[^>]*>\s*<td class=\"pick\">[^\n]*</td>\s*<td class=\"small\">[^<]*</td>"
                      r"\s*<td>([^<]+)</td>", html)


@pytest.mark.parametrize("query", ["", "kind=suggestion", "unit={hr}", "state=drafting",
                                   "overdue=1", "q=%E7%AC%AC5%E4%BB%B6"])
def test_ledger_has_the_items_of_the_list(figures, login, query):
    client = login("clerk")
    query = query.format(hr=figures.ids.hr)
    numbers = _list_numbers(client, query)
    assert numbers, "the list shows no items for " + query
    response = client.get(f"/proposals/export.xlsx?{query}")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert _filename(response).startswith("办理台账-")
    rows, sheet = xlsx_sheet(response.data, "办理台账")
    assert rows[0][0] == "建议提案办理台账" and rows[1][0].startswith("筛选条件：")
    assert rows[2] == LEDGER_HEADERS
    assert [r[1] for r in rows[3:]] == numbers  # same items, same order
    assert sheet.column_dimensions["D"].width >= 40
    lines = csv_rows(client.get(f"/proposals/export.csv?{query}").data)
    assert lines[0] == LEDGER_HEADERS
    assert [r[1] for r in lines[1:]] == numbers


def test_ledger_rows_carry_the_handling_facts(figures, login):
    from datetime import date

    client = login("clerk")
    rows, _ = xlsx_sheet(client.get("/proposals/export.xlsx").data, "办理台账")
    by_number = {r[1]: dict(zip(LEDGER_HEADERS, r)) for r in rows[3:]}
    first = by_number["901"]
    assert first["类型"] == "代表建议" and first["提出人"] == "李华"
    assert first["主办（分办）单位"] == H and first["会办单位"] == R
    assert first["状态"] == "已评价" and first["是否逾期"] == "否"
    assert re.fullmatch(r"吉卫复议字〔\d{4}〕\d+号", first["答复文号"])
    assert first["答复类别"] == "A" and first["评价结果"] == "满意"
    assert isinstance(first["交办日期"], date) and isinstance(first["答复日期"], date)
    # Re-handled: the first reply's number and class, and its 不满意 until round 2 is rated.
    fifth = by_number["905"]
    assert fifth["状态"] == "重新办理" and fifth["答复类别"] == "A" and fifth["评价结果"] == "不满意"
    sixth = by_number["0906"]
    assert sixth["主办（分办）单位"] == f"{H}（分办）；{E}（分办）"
    assert sixth["类型"] == "委员提案" and sixth["是否逾期"] == "是"
    assert sixth["答复类别"] == "C" and sixth["评价结果"] in (None, "")
    assert by_number["904"]["评价结果"] == "基本满意" and by_number["904"]["答复类别"] == "B"
    assert by_number["908"]["状态"] == "已登记" and by_number["908"]["主办（分办）单位"] in (None, "")


def test_a_unit_exports_only_its_items(figures, login):
    client = login("edu_clerk")
    rows, _ = xlsx_sheet(client.get("/proposals/export.xlsx").data, "办理台账")
    assert sorted(r[1] for r in rows[3:]) == ["0906", "904"]
    # Naming another unit in the filters widens nothing.
    lines = csv_rows(client.get(f"/proposals/export.csv?unit={figures.ids.health}").data)
    assert [r[1] for r in lines[1:]] == ["0906"]


def test_spreadsheet_formulas_are_not_exported(figures, login):
    """A title that starts like a formula stays text (CSV/formula injection)."""
    from sqlalchemy import update

    from tracker.extensions import db
    from tracker.proposals.models import Proposal

    with figures.app.test_request_context():
        db.session.execute(update(Proposal).where(Proposal.id == figures.ids.p2)
                           .values(title='=HYPERLINK("http://x.example","点击")'))
        db.session.commit()
    client = login("clerk")
    rows, sheet = xlsx_sheet(client.get("/proposals/export.xlsx").data, "办理台账")
    row = next(r for r in rows[3:] if r[1] == "902")
    assert row[3].startswith("=HYPERLINK")
    cell = next(c for c in sheet["D"] if c.value == row[3])
    assert cell.data_type == "s"
    lines = csv_rows(client.get("/proposals/export.csv").data)
    assert next(r for r in lines[1:] if r[1] == "902")[3].startswith("'=HYPERLINK")
