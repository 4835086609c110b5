"""Spreadsheets: the dashboard's tables (.xlsx, .csv) and the item-by-item 办理台账 of a
filtered item list (written as the rows come, a chunk of items at a time: openpyxl's
write-only mode, CSV line by line, both into a temporary file that spills to disk).

CSV files start with a UTF-8 byte order mark so that Excel reads the Chinese text.
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from tracker.accounts.models import Unit, User
from tracker.core.states import AssignmentState, Grade, Satisfaction
from tracker.core.time import to_local, today
from tracker.extensions import db
from tracker.handling import queries as list_queries
from tracker.handling.models import Assignment, UnitRole
from tracker.handling.workflow import PROPOSAL_STATE_LABELS, ProposalState
from tracker.proposals.models import Author, ItemKind, Meeting, Proposal
from tracker.replies.choices import ReplyForm
from tracker.replies.models import DraftVersion, Reply
from tracker.search import query as search
from tracker.supervision.tables import Column, Table, format_cell

BOM = "\ufeff"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF0F3")
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
# Text a spreadsheet would run as a formula (CSV/formula injection, OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAMES = {"units": "办理情况统计表", "states": "办理进度", "ratings": "满意度测评",
               "classes": "答复类别", "timeline": "答复进度"}


def csv_text(value: str) -> str:
    """Text for a CSV cell that Excel shows as text, never evaluates."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _safe_cell(ws, value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _text_cell(cell) -> None:
    """Keep a text cell text: openpyxl reads a leading = as a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"


# -- the dashboard's tables --------------------------------------------------------------

def scope_line(labels: dict[str, str], on: date) -> str:
    parts = [f"{k}：{v}" for k, v in labels.items()]
    return "统计范围：" + "；".join(parts) + f"；统计日期：{on.isoformat()}"


def _write_table(ws, table: Table, subtitle: str) -> None:
    width = len(table.columns)
    ws.append([table.title])
    ws["A1"].font = TITLE_FONT
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.append([subtitle])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.append([c.header for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        cell = ws.cell(row=3, column=index)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        ws.column_dimensions[get_column_letter(index)].width = column.width
    for row in table.rows:
        ws.append(row)
        for index in range(1, width + 1):
            _text_cell(ws.cell(row=ws.max_row, column=index))
    for row in table.footer:
        ws.append(row)
        for index in range(1, width + 1):
            ws.cell(row=ws.max_row, column=index).font = HEADER_FONT
            _text_cell(ws.cell(row=ws.max_row, column=index))
    for index, column in enumerate(table.columns, start=1):
        if column.kind in ("pct", "date"):
            fmt = "0.0%" if column.kind == "pct" else "yyyy-mm-dd"
            for r in range(4, ws.max_row + 1):
                ws.cell(row=r, column=index).number_format = fmt
    ws.freeze_panes = "B4"


def tables_xlsx(tables: list[Table], labels: dict[str, str], on: date) -> bytes:
    """A workbook with one sheet per table: title, scope, Chinese headers, widths."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    subtitle = scope_line(labels, on)
    for table in tables:
        _write_table(workbook.create_sheet(SHEET_NAMES.get(table.name, table.name)), table,
                     subtitle)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_csv(table: Table) -> str:
    """One table as CSV text (with the byte order mark)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in table.columns])
    for row in table.all_rows:
        writer.writerow([csv_text(format_cell(v, c.kind)) for v, c in zip(row, table.columns)])
    return BOM + out.getvalue()


# -- 办理台账: the filtered item list, item by item -----------------------------------

LEDGER_COLUMNS = [
    Column("会议", "text", 26), Column("编号", "text", 8), Column("类型", "text", 10),
    Column("标题（案由）", "text", 46), Column("分类", "text", 10), Column("提出人", "text", 20),
    Column("主办（分办）单位", "text", 26), Column("承办人", "text", 16),
    Column("会办单位", "text", 26),
    Column("交办日期", "date", 12), Column("答复期限", "date", 12), Column("状态", "text", 10),
    Column("是否逾期", "text", 9), Column("答复日期", "date", 12),
    Column("答复文号", "text", 24), Column("答复形式", "text", 10), Column("答复类别", "text", 9),
    Column("评价结果", "text", 10), Column("办结评定", "text", 9),
]


CHUNK = 2000


@dataclass
class _Answer:
    doc_number: str
    issued_on: date
    result_class: str
    reply_form: str
    rating: str | None


def _latest_answers(assignment_ids: list[int]) -> dict[int, _Answer]:
    """Per main assignment: its latest issued reply (number, date, class) and latest rating."""
    if not assignment_ids:
        return {}
    rows = db.session.execute(
        select(Reply.assignment_id, Reply.doc_number, Reply.issued_at, Reply.rating,
               DraftVersion.result_class, DraftVersion.reply_form)
        .join(DraftVersion, DraftVersion.id == Reply.draft_version_id)
        .where(Reply.assignment_id.in_(assignment_ids), Reply.issued_at.is_not(None))
        .order_by(Reply.assignment_id, Reply.round))
    answers: dict[int, _Answer] = {}
    for assignment_id, doc_number, issued_at, rating, result_class, reply_form in rows:
        # Rounds in order: the last one wins; a later unrated round keeps the 不满意.
        previous = answers.get(assignment_id)
        answers[assignment_id] = _Answer(
            doc_number, to_local(issued_at).date(), result_class, reply_form,
            rating or (previous.rating if previous else None))
    return answers


def _join(values: Iterable[Any]) -> str:
    return "；".join(str(v) for v in values if v not in (None, ""))


def _single_or_text(values: list[Any]):
    """One value as itself (a date stays a date cell); several joined as text."""
    values = list(dict.fromkeys(v for v in values if v is not None))
    if not values:
        return None
    return values[0] if len(values) == 1 else _join(v.isoformat() if isinstance(v, date)
                                                      else v for v in values)


STATE_LABELS = {s.value: label for s, label in PROPOSAL_STATE_LABELS.items()}
RATING_LABELS = {s.value: s.label for s in Satisfaction}
KIND_LABELS = {k.value: k.label for k in ItemKind}
REPLY_FORM_LABELS = {f.value: f.label for f in ReplyForm}
GRADE_LABELS = {g.value: g.label for g in Grade}


def ledger_rows(user: User, filters: list_queries.ListFilters) -> Iterator[list[Any]]:
    """The rows of the item list with these filters, in its order, a chunk of items at a
    time (plain column queries: an export of every item must not take minutes)."""
    on = today()
    items = db.session.execute(
        search.item_query(user, filters).with_only_columns(
            Proposal.id, Proposal.meeting_id, Proposal.kind, Proposal.number, Proposal.title,
            Proposal.state, Proposal.category, Proposal.handling_grade)).all()
    meetings = dict(db.session.execute(select(Meeting.id, Meeting.name)).all())
    units = {u.id: u.short_name or u.name for u in db.session.execute(
        select(Unit.id, Unit.name, Unit.short_name))}
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        ids = [item.id for item in chunk]
        authors: dict[int, list[str]] = {}
        for proposal_id, name in db.session.execute(
                select(Author.proposal_id, Author.name).where(Author.proposal_id.in_(ids))
                .order_by(Author.proposal_id, Author.position)):
            authors.setdefault(proposal_id, []).append(name)
        handling: dict[int, list] = {}
        for row in db.session.execute(
                select(Assignment.id, Assignment.proposal_id, Assignment.unit_id,
                       Assignment.role, Assignment.state, Assignment.assigned_on,
                       Assignment.due_on, Assignment.is_overdue(on).label("overdue"),
                       User.full_name.label("drafter"))
                .outerjoin(User, User.id == Assignment.drafter_id)
                .where(Assignment.proposal_id.in_(ids),
                       Assignment.state != AssignmentState.returned)
                .order_by(Assignment.id)):
            handling.setdefault(row.proposal_id, []).append(row)
        answers = _latest_answers([a.id for rows in handling.values() for a in rows
                                   if a.role != UnitRole.co])
        for item in chunk:
            yield _ledger_row(item, meetings, units, authors.get(item.id, []),
                              handling.get(item.id, []), answers, on)


def _ledger_row(item, meetings, units, authors, active, answers, on) -> list[Any]:
    main = [a for a in active if a.role != UnitRole.co]
    co = [a for a in active if a.role == UnitRole.co]
    replies = [answers[a.id] for a in main if a.id in answers]
    kind = item.kind.value if isinstance(item.kind, ItemKind) else item.kind
    return [
        meetings.get(item.meeting_id, ""), item.number, KIND_LABELS.get(kind, kind), item.title,
        item.category or "", "、".join(authors),
        _join(units[a.unit_id] + ("（分办）" if a.role == UnitRole.separate else "")
              for a in main),
        _drafters(main, units),
        _join(units[a.unit_id] for a in co),
        min((a.assigned_on for a in active), default=None),
        _single_or_text([a.due_on for a in main]),
        STATE_LABELS.get(item.state, item.state),
        # Assignment.is_overdue, computed by the query: not finished and past the deadline.
        "是" if any(a.overdue for a in active) else "否",
        _single_or_text([r.issued_on for r in replies]),
        _join(r.doc_number for r in replies),
        _join(REPLY_FORM_LABELS.get(_value(r.reply_form), r.reply_form) for r in replies),
        _join(r.result_class for r in replies),
        _join(RATING_LABELS[r.rating] for r in replies if r.rating),
        GRADE_LABELS.get(item.handling_grade, item.handling_grade or ""),
    ]


def _value(choice) -> str:
    return getattr(choice, "value", choice)


def _drafters(main, units) -> str:
    """承办人: the drafter of the one main unit, or each with its unit's name."""
    named = [a for a in main if a.drafter]
    if len(main) == 1:
        return named[0].drafter if named else ""
    return _join(f"{units[a.unit_id]}：{a.drafter}" for a in named)


def ledger_subtitle(filters: list_queries.ListFilters) -> str:
    """The list's filters in words, under the 台账's title."""
    meeting = db.session.get(Meeting, filters.meeting_id) if filters.meeting_id else None
    unit = db.session.get(Unit, filters.unit_id) if filters.unit_id else None
    parts = [
        f"会议：{meeting.name if meeting else '全部会议'}",
        f"类型：{ItemKind(filters.kind).label if filters.kind else '全部类型'}",
        f"承办单位：{unit.name if unit else '全部承办单位'}",
        f"状态：{PROPOSAL_STATE_LABELS[ProposalState(filters.state)] if filters.state else '全部状态'}",
    ]
    if filters.overdue:
        parts.append("仅逾期")
    if filters.key_only:
        parts.append("仅重点")
    if filters.q:
        parts.append(f"关键词：{filters.q}")
    return "筛选条件：" + "；".join(parts) + f"；导出日期：{today().isoformat()}"


def ledger_name(suffix: str) -> str:
    return f"办理台账-{today().isoformat()}{suffix}"


def content_disposition(filename: str) -> str:
    """An attachment header with an ASCII fallback and the Chinese name (RFC 6266/5987)."""
    from urllib.parse import quote

    fallback = "export" + filename[filename.rfind("."):]
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def ledger_xlsx(rows: Iterable[list[Any]], subtitle: str) -> tempfile.SpooledTemporaryFile:
    """The 办理台账 workbook (write-only: rows go to disk as they come), rewound."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("办理台账")
    for index, column in enumerate(LEDGER_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = "E4"
    title = WriteOnlyCell(ws, "建议提案办理台账")
    title.font = TITLE_FONT
    ws.append([title])
    ws.append([subtitle])
    header = []
    for column in LEDGER_COLUMNS:
        cell = WriteOnlyCell(ws, column.header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        header.append(cell)
    ws.append(header)
    for row in rows:
        # Plain values are the fast path (dates get a date format); only text that would
        # read as a formula becomes an explicit text cell.
        ws.append([_safe_cell(ws, value) for value in row])
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(out)
    out.seek(0)
    return out


def ledger_csv(rows: Iterable[list[Any]]) -> tempfile.SpooledTemporaryFile:
    """The 办理台账 as CSV (byte order mark first), written as the rows come, rewound."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    text.write(BOM)
    writer.writerow([c.header for c in LEDGER_COLUMNS])
    for row in rows:
        writer.writerow([csv_text(format_cell(v, c.kind)) for v, c in zip(row, LEDGER_COLUMNS)])
    text.flush()
    text.detach()  # hand the file back without closing it
    out.seek(0)
    return out
