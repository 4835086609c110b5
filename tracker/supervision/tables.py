"""The dashboard's tables: one definition each, used by the page, the charts and the exports
(so the three always show the same numbers)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import url_for
from markupsafe import Markup, escape

from tracker.supervision.stats import Dashboard, UnitFigures


@dataclass(frozen=True)
class Column:
    header: str
    # "int", "pct" (a fraction shown as a percentage), "text" or "date"
    kind: str = "int"
    # Width in a spreadsheet, in characters (CJK characters count about two).
    width: float = 10
    # How the figure is counted: the header's tooltip on the page.
    note: str = ""


@dataclass
class Table:
    name: str  # used in URLs: ?table=<name>
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    # Rows shown in bold under the others (合计).
    footer: list[list[Any]] = field(default_factory=list)
    # Per row (same order as rows): a link for the first cell, or None.
    links: list[str | None] = field(default_factory=list)

    @property
    def all_rows(self) -> list[list[Any]]:
        return self.rows + self.footer

    def body_html(self) -> Markup:
        """The rows' cells as HTML (every value escaped): the dashboard's tables have
        hundreds of cells, each one a few string operations here instead of a template
        loop's dozen."""
        classes = ["text-end" if c.kind in ("int", "pct") else "text-nowrap"
                   for c in self.columns]
        out: list[str] = []
        for i, row in enumerate(self.rows):
            link = self.links[i] if self.links else None
            cells = []
            for j, value in enumerate(row):
                text = escape(format_cell(value, self.columns[j].kind))
                if j == 0 and link:
                    text = f'<a href="{escape(link)}">{text}</a>'
                cells.append(f'<td class="{classes[j]}">{text}</td>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        return Markup("\n".join(out))


def format_cell(value: Any, kind: str) -> str:
    """A cell as text (the page and the CSV file): rates as 85.3%, no rate as —."""
    if value is None:
        return "—" if kind == "pct" else ""
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


DUE_NOTE = "已答复或已过答复期限的主办（分办）件；尚未到期且未答复的不计入"

UNIT_COLUMNS: list[tuple[Column, Callable[[UnitFigures], Any]]] = [
    (Column("承办单位", "text", 24), lambda f: f.unit_name),
    (Column("收到件数"), lambda f: f.received),
    (Column("主办（分办）", width=12), lambda f: f.main),
    (Column("会办"), lambda f: f.co),
    (Column("按时签收"), lambda f: f.accepted_on_time),
    (Column("按时签收率", "pct", 11), lambda f: f.accepted_rate),
    (Column("已答复"), lambda f: f.replied),
    (Column("按时答复"), lambda f: f.replied_on_time),
    (Column("应答复", width=9, note=DUE_NOTE), lambda f: f.due),
    (Column("按时答复率", "pct", 11, note="按时答复 ÷ 应答复（" + DUE_NOTE + "）"),
     lambda f: f.replied_rate),
    (Column("超期未办"), lambda f: f.overdue),
    (Column("已联系"), lambda f: f.contacted),
    (Column("联系率", "pct"), lambda f: f.contact_rate),
    (Column("已面商"), lambda f: f.face),
    (Column("见面率", "pct"), lambda f: f.face_rate),
    (Column("已测评"), lambda f: f.rated),
    (Column("满意"), lambda f: f.satisfied),
    (Column("基本满意"), lambda f: f.basic),
    (Column("不满意"), lambda f: f.unsatisfied),
    (Column("满意率", "pct"), lambda f: f.satisfaction_rate),
    (Column("A类"), lambda f: f.class_a),
    (Column("B类"), lambda f: f.class_b),
    (Column("C类"), lambda f: f.class_c),
    (Column("重新办理"), lambda f: f.rehandled),
    (Column("会办意见按时", width=13), lambda f: f.co_on_time),
    (Column("催办次数"), lambda f: f.urged),
]


def unit_table(board: Dashboard, list_args: dict) -> Table:
    """办理情况统计表: one row per unit and the total."""
    columns = [c for c, _ in UNIT_COLUMNS]
    rows = [[get(f) for _, get in UNIT_COLUMNS] for f in board.units]
    links = [url_for("proposals.index", **{**list_args, "unit": f.unit_id}) for f in board.units]
    footer = [[get(board.total) for _, get in UNIT_COLUMNS]] if len(board.units) > 1 else []
    return Table("units", "办理情况统计表", columns, rows, footer, links)


def state_table(board: Dashboard, list_args: dict) -> Table:
    """Items by state: the counts the item list shows with the same filters."""
    rows, links = [], []
    for state, n in board.states:
        if n:
            rows.append([state.label, n, n / board.items if board.items else None])
            links.append(url_for("proposals.index", **{**list_args, "state": state.value}))
    return Table("states", "办理进度（按事项状态）",
                 [Column("状态", "text", 14), Column("件数"), Column("占比", "pct")],
                 rows, [["合计", board.items, 1.0 if board.items else None]], links)


def rating_table(board: Dashboard) -> Table:
    total = board.total
    waiting = total.replied - total.rated
    values = [("满意", total.satisfied), ("基本满意", total.basic),
              ("不满意", total.unsatisfied), ("已答复未测评", waiting)]
    whole = total.replied
    rows = [[label, n, n / whole if whole else None] for label, n in values]
    return Table("ratings", "满意度测评（主办、分办件）",
                 [Column("评价结果", "text", 14), Column("件数"), Column("占已答复比例", "pct", 13)],
                 rows, [["已答复合计", whole, 1.0 if whole else None]])


def class_table(board: Dashboard) -> Table:
    total = board.total
    whole = total.classified
    rows = [[label, n, n / whole if whole else None] for label, n in (
        ("A类（已解决或基本解决）", total.class_a), ("B类（正在解决或列入计划）", total.class_b),
        ("C类（暂不能解决或留作参考）", total.class_c))]
    return Table("classes", "答复类别（A/B/C）",
                 [Column("类别", "text", 28), Column("件数"), Column("占比", "pct")],
                 rows, [["合计", whole, 1.0 if whole else None]])


def timeline_table(board: Dashboard) -> Table:
    rows = [[w.start, w.end, w.first, w.again, w.first_total, w.progress] for w in board.weeks]
    return Table("timeline", "答复进度（按周）", [
        Column("周起", "date", 12), Column("周止", "date", 12), Column("首次答复", width=10),
        Column("重新办理答复", width=13), Column("累计首次答复", width=13),
        Column("累计答复率", "pct", 11)], rows)


def build(board: Dashboard, list_args: dict) -> list[Table]:
    return [unit_table(board, list_args), state_table(board, list_args), rating_table(board),
            class_table(board), timeline_table(board)]


SINGLE_UNIT_BARS: list[tuple[str, Callable[[UnitFigures], int]]] = [
    ("收到件数", lambda f: f.received), ("按时签收", lambda f: f.accepted_on_time),
    ("已答复", lambda f: f.replied), ("按时答复", lambda f: f.replied_on_time),
    ("超期未办", lambda f: f.overdue), ("已联系", lambda f: f.contacted),
    ("已面商", lambda f: f.face), ("重新办理", lambda f: f.rehandled),
]


def charts(board: Dashboard) -> dict[str, dict]:
    """Chart.js data for static/js/dashboard.js (numbers taken from the same figures)."""
    units = board.units
    if len(units) == 1:
        # One unit (a unit's own view, or a chosen one): its figures side by side.
        unit = units[0]
        by_unit = {"type": "bar", "labels": [label for label, _ in SINGLE_UNIT_BARS],
                   "datasets": [{"label": unit.unit_name,
                                 "data": [get(unit) for _, get in SINGLE_UNIT_BARS]}]}
    else:
        by_unit = {
            "type": "bar",
            "labels": [u.unit_name for u in units],
            "datasets": [
                {"label": "收到件数", "data": [u.received for u in units]},
                {"label": "按时答复", "data": [u.replied_on_time for u in units]},
                {"label": "超期未办", "data": [u.overdue for u in units]},
            ],
        }
    return {
        "units": by_unit,
        "timeline": {
            "type": "timeline",
            "labels": [w.start.isoformat() for w in board.weeks],
            "datasets": [
                {"label": "首次答复（件/周）", "data": [w.first for w in board.weeks]},
                {"label": "重新办理答复（件/周）", "data": [w.again for w in board.weeks]},
                {"label": "累计答复率（%）",
                 "data": [round(w.progress * 100, 1) if w.progress is not None else None
                          for w in board.weeks]},
            ],
        },
        "ratings": {
            "type": "doughnut",
            "labels": ["满意", "基本满意", "不满意", "已答复未测评"],
            "datasets": [{"label": "件数", "data": [
                board.total.satisfied, board.total.basic, board.total.unsatisfied,
                board.total.replied - board.total.rated]}],
        },
        "classes": {
            "type": "doughnut",
            "labels": ["A类", "B类", "C类"],
            "datasets": [{"label": "件数", "data": [
                board.total.class_a, board.total.class_b, board.total.class_c]}],
        },
        "states": {
            "type": "hbar",
            "labels": [s.label for s, n in board.states if n],
            "datasets": [{"label": "件数", "data": [n for _, n in board.states if n]}],
        },
    }
