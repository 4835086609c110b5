"""承诺事项 in the supervision pages: the dashboard's 办成率 per unit, and the 回头看 list as a
spreadsheet (the dashboard's Table and workbook writer, so they look like the other tables)."""
from __future__ import annotations

from dataclasses import dataclass

from tracker.commitments import queries
from tracker.supervision.stats import Scope
from tracker.supervision.tables import Column, Table

UNIT_COLUMNS = [Column("承办单位", "text", 24), Column("承诺事项"), Column("已落实"),
                Column("未落实"), Column("落实中"), Column("逾期"),
                Column("办成率", "pct", 10, queries.DEFINITION)]


@dataclass
class CommitmentBoard:
    table: Table
    total: queries.Rate


def dashboard(scope: Scope) -> CommitmentBoard:
    """办成率 of the units in scope (those with commitments), with the 合计 row."""
    rows, total = queries.unit_rates(scope.meeting_id, kind=scope.kind, unit_id=scope.unit_id)

    def cells(name: str, rate: queries.Rate) -> list:
        return [name, rate.total, rate.done, rate.not_done, rate.open, rate.overdue, rate.rate]

    table = Table("commitments", "承诺事项办成率", UNIT_COLUMNS,
                  [cells(r.unit_name, r.rate) for r in rows],
                  footer=[cells("合计", total)] if rows else [])
    return CommitmentBoard(table, total)


REVIEW_COLUMNS = [Column("会议", "text", 26), Column("编号", "text", 8),
                  Column("案由", "text", 40), Column("承办单位", "text", 22),
                  Column("类别", "text", 6), Column("发文字号", "text", 22),
                  Column("承诺事项", "text", 40), Column("完成时限", "date", 12),
                  Column("责任处室", "text", 14), Column("状态", "text", 10),
                  Column("落实日期", "date", 12), Column("说明", "text", 30),
                  Column("该答复落实情况", "text", 16)]


def review_table(year: int, unit_id: int | None = None) -> Table:
    """The 回头看 as rows: one per commitment, one flagged row per reply without any."""
    rows = []
    for row in queries.review(year, unit_id):
        head = [row.meeting, row.number, row.title, row.unit, row.result_class,
                row.reply.doc_number]
        if not row.commitments:
            rows.append(head + [queries.NONE_LISTED, None, "", "", None, "", row.state])
        for c in row.commitments:
            status = "已逾期" if c.is_overdue() else c.status.label
            rows.append(head + [c.what, c.due_on, c.section.name if c.section else "", status,
                                c.done_on, c.closing_note, row.state])
    return Table("回头看", f"{year}年度承诺事项回头看", REVIEW_COLUMNS, rows)
