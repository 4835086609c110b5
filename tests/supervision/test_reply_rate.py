"""按时答复率 counts only the replies that were due: answered ones and those past their
deadline. The figures world (tests/support/supervision.py) has every case: answered on time
(H 1, 5, 6), answered late (E 4), overdue unanswered (H 2, R 3, E 6) and not yet due nor
answered (R 7 and 9, left out)."""
from __future__ import annotations

from html import unescape

from tests.supervision.helpers import csv_rows, html_tables, rows_by_first_cell, xlsx_sheet
from tests.support.supervision import E, H, R
from tracker.supervision import stats

# unit -> (按时答复, 应答复)
DUE = {H: (2, 4), R: (0, 1), E: (0, 2)}


def test_the_rate_leaves_out_what_is_not_yet_due(figures):
    with figures.app.test_request_context():
        board = stats.dashboard(stats.Scope())
    by_name = {u.unit_name: u for u in board.units}
    for name, (on_time, due) in DUE.items():
        assert (by_name[name].replied_on_time, by_name[name].due) == (on_time, due), name
    assert by_name[R].main == 3 and by_name[R].replied_rate == 0.0
    assert by_name[E].replied_rate == 0.0 and by_name[H].replied_rate == 0.5
    # Not 2 / 9 (22.2 %): the two items of R not yet due are out of the denominator.
    assert (board.total.replied_on_time, board.total.due) == (2, 7)
    assert board.total.replied_rate == 2 / 7


def test_the_page_and_the_exports_agree_and_name_the_denominator(figures, login):
    client = login("clerk")
    html = client.get("/supervision/").get_data(as_text=True)
    units = html_tables(html)["tbl-units"]
    head = units["head"][0]
    rate_at = head.index("按时答复率")
    assert head[rate_at - 1] == "应答复"
    assert rows_by_first_cell(units["foot"])["合计"][rate_at - 1:rate_at + 1] == ["7", "28.6%"]
    assert rows_by_first_cell(units["body"])[R][rate_at] == "0.0%"
    kpi = unescape(html.split('data-kpi="replied-rate"')[1].split("</div>\n  </div>")[0])
    assert ">28.6%<" in kpi and "2 / 7（应答复" in kpi
    assert "尚未到期且未答复的 2 件不计入" in kpi  # the tooltip
    assert 'title="按时答复 ÷ 应答复（已答复或已过答复期限' in html  # the column's note

    rows, _ = xlsx_sheet(client.get("/supervision/export.xlsx?table=units").data,
                         "办理情况统计表")
    total = {row[0]: row for row in rows[3:]}["合计"]
    assert rows[2][rate_at] == "按时答复率"
    assert total[rate_at - 1:rate_at + 1] == [7, 2 / 7]
    csv = csv_rows(client.get("/supervision/export.csv?table=units").data)
    assert {row[0]: row for row in csv[1:]}["合计"][rate_at] == "28.6%"
