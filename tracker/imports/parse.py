"""Reading a 交办清单 workbook: the file checks, the header row, and each cell's value.

Everything here is about the spreadsheet itself; the rules about meetings, units and numbers
are checked in tracker.imports.operations. Problems carry the row number as Excel shows it
and the column's header, so the clerk can find each one.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from tracker.core.errors import ValidationFailed
from tracker.core.forms import strip_control

# Data rows accepted in one file; larger lists are split by the clerk. 5,000 rows import in
# well under 30 s (bench/bench_import.py), also under gunicorn's default 30 s worker timeout;
# 10,000 took 46 s on PostgreSQL on the 2-core test machine.
MAX_ROWS = 5_000
# Rows looked at, empty ones included (a sheet formatted down to row 1,048,576).
MAX_SCANNED_ROWS = 100_000
# Uncompressed size of the whole package: 5,000 rows take about 5 MB, a "zip bomb" far more.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2_000
# Columns right of the last header that are still checked for stray data.
EXTRA_COLUMNS_CHECKED = 30
MAX_HEADER_COLUMNS = 200


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the header must be in the file (the cell may still be optional)
    width: int  # in the template, in characters
    hint: str


COLUMNS: tuple[Column, ...] = (
    Column("meeting", "会议", True, 26, "必填；与系统中的会议名称完全一致，如「省十四届人大三次会议」"),
    Column("number", "编号", True, 8, "必填；会议内不得重复，只能包含数字、字母和连字符，如 212、0040"),
    Column("kind", "类型", True, 10, "代表建议 或 委员提案（也可写 建议、提案）；留空按会议确定"),
    Column("title", "标题", True, 40, "必填；案由，不超过 200 字"),
    Column("authors", "提出人", True, 18, "必填；多人用顿号「、」分隔，第一位为领衔人"),
    Column("phones", "提出人电话", False, 16, "可选；多个号码用顿号分隔，依次对应提出人"),
    Column("category", "分类", False, 10, "可选；见下方分类列表"),
    Column("lead", "主办单位", True, 24, "一个单位的全称或简称；只按分办交办时留空"),
    Column("co", "会办单位", True, 24, "可选；多个单位用顿号分隔；有会办单位时必须有主办单位"),
    Column("separate", "分办单位", False, 24, "可选；多个单位用顿号分隔；不能与主办单位同时填写"),
    Column("due_on", "办理期限", True, 12, "可选；日期，如 2026-6-30；留空按会议的答复期限计算"),
    Column("received_on", "收到日期", False, 12, "可选；日期；留空为导入当天"),
    Column("is_key", "是否重点", False, 10, "可选；是 或 否，留空为否"),
)
BY_KEY = {c.key: c for c in COLUMNS}
BY_HEADER = {c.header: c for c in COLUMNS}
# Other names clerks give these columns in their own lists.
ALIASES = {"案由": "title", "案由（标题）": "title", "类别": "kind", "领衔人": "authors",
           "会办单位（多个）": "co"}
# Columns that may be present and are not imported.
IGNORED_HEADERS = {"序号"}

ERROR_VALUES = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
                "#GETTING_DATA", "#SPILL!", "#CALC!"}
SEPARATORS = re.compile(r"[、，,;；\n]+")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
MERGE_TAG = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([^\"]+)\"")
DATE_FORMATS_HELP = "2026-3-1、2026/3/1、2026.3.1 或 2026年3月1日"


@dataclass
class Problem:
    row: int | None  # as Excel numbers it; None for the file as a whole
    column: str  # the header, "" when the problem is not about one column
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else ""
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


class ImportRejected(ValidationFailed):
    """The file, or some of its rows, cannot be imported; nothing was saved."""

    def __init__(self, problems: list[Problem]):
        rows = {p.row for p in problems if p.row}
        message = f"未导入：发现 {len(problems)} 个问题"
        if rows:
            message += f"（涉及 {len(rows)} 行）"
        super().__init__(message + "，请修改后重新上传。全部数据均未导入。")
        self.problems = problems


def refuse(message: str, column: str = "", row: int | None = None) -> ImportRejected:
    return ImportRejected([Problem(row, column, message)])


@dataclass
class SheetRow:
    number: int
    cells: dict[str, object]
    # Columns already reported (a formula without a value, an error value): not checked again.
    reported: set[str] = field(default_factory=set)


@dataclass
class Sheet:
    title: str
    rows: list[SheetRow]
    columns: set[str]  # keys of the columns present
    problems: list[Problem]


# -- the file ---------------------------------------------------------------------------

def check_file(content: bytes, filename: str, limit_bytes: int) -> None:
    """Refuse what is not a reasonable .xlsx file, before any spreadsheet code reads it."""
    name = (filename or "").strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not content:
        raise refuse("上传的文件是空的。")
    if len(content) > limit_bytes:
        raise refuse(f"文件过大（不能超过 {limit_bytes // (1024 * 1024)} MB）。")
    if ext == "xls" or (content.startswith(OLE_MAGIC) and ext in ("xlsx", "")):
        raise refuse("这是旧版 Excel（.xls）文件或加密的工作簿：请在 Excel 中取消密码保护，"
                     "并「另存为」Excel 工作簿（.xlsx）后再上传。")
    if ext in ("csv", "txt"):
        raise refuse("只接受 Excel 工作簿（.xlsx）：请在 Excel 中打开该文件，"
                     "「另存为」Excel 工作簿（.xlsx）后再上传，或使用下载的模板。")
    if ext != "xlsx":
        raise refuse(f"只接受 Excel 工作簿（.xlsx），上传的是「{name or '无文件名'}」。")
    if not content.startswith(b"PK\x03\x04"):
        raise refuse("文件内容不是有效的 Excel 工作簿（.xlsx）：可能是改了扩展名的其他文件。")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise refuse("文件已损坏，无法作为 Excel 工作簿（.xlsx）打开。") from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise refuse("文件不是 Excel 工作簿（.xlsx）：可能是 Word 文档等其他文件改了扩展名。")
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise refuse("文件解压后过大，不像是一份交办清单，已拒绝读取。")


def read_sheet(content: bytes) -> Sheet:
    """Read the first sheet: header row 1, data from row 2 (empty rows are skipped)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for damaged packages
        raise refuse("无法读取该工作簿：文件可能已损坏，请在 Excel 中打开后重新保存为 .xlsx。") from None
    try:
        if not book.worksheets:
            raise refuse("工作簿中没有工作表。")
        sheet = book.worksheets[0]
        xml = _sheet_xml(book, sheet)
        _refuse_merged_cells(xml)
        header, positions = _read_header(sheet)
        rows, problems = _read_rows(sheet, header, positions)
        if FORMULA_TAG.search(xml):
            problems += _formulas_without_values(content, rows, header, positions)
        return Sheet(title=sheet.title, rows=rows, columns=set(positions), problems=problems)
    except ImportRejected:
        raise
    except Exception:
        # The read-only sheet is parsed row by row: truncated XML, entities (expat refuses
        # external ones and entity amplification) and the like surface only here.
        raise refuse("无法读取该工作簿的工作表：文件内容已损坏或含有不允许的结构，"
                     "请在 Excel 中打开后重新保存为 .xlsx 再上传。") from None
    finally:
        book.close()


def _sheet_xml(book, sheet) -> bytes:
    # The read-only sheet does not expose merged cells or formulas next to cached values;
    # both are found in its XML, whose size check_file has already bounded.
    return book._archive.read(sheet._worksheet_path)


def _refuse_merged_cells(xml: bytes) -> None:
    ranges = [m.decode("ascii", "replace") for m in MERGE_TAG.findall(xml)]
    if ranges:
        shown = "、".join(ranges[:10]) + ("等" if len(ranges) > 10 else "")
        raise refuse(f"表格中有合并单元格（{shown}）：合并后只有第一个单元格有值，容易漏填。"
                     "请取消合并，并在每一行填写完整后再上传。")


def _normalise_header(value) -> str:
    text = re.sub(r"\s+", "", str(value or "")).replace("\u3000", "")
    return text.strip("*＊:：")


def _read_header(sheet) -> tuple[list[str], dict[str, int]]:
    """Return the header texts by position and the position of each known column."""
    width = min(sheet.max_column or MAX_HEADER_COLUMNS, MAX_HEADER_COLUMNS)
    first_rows = list(sheet.iter_rows(min_row=1, max_row=2, max_col=width, values_only=True))
    if not first_rows or not any(v not in (None, "") for row in first_rows for v in row):
        raise refuse("工作表是空的：第一个工作表的第 1 行应为表头（请使用下载的模板）。")
    header = [_normalise_header(v) for v in first_rows[0]]
    while header and not header[-1]:
        header.pop()
    known = set(BY_HEADER) | set(ALIASES)
    if not known.intersection(header):
        second = [_normalise_header(v) for v in (first_rows[1] if len(first_rows) > 1 else ())]
        if known.intersection(second):
            raise refuse("表头应在第 1 行：请删除表头上方的标题行后再上传。", row=1)
        raise refuse("第 1 行不是交办清单的表头，应包含：" + "、".join(c.header for c in COLUMNS)
                     + "（请使用下载的模板）。", row=1)

    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, text in enumerate(header):
        if not text or text in IGNORED_HEADERS:
            continue
        key = BY_HEADER[text].key if text in BY_HEADER else ALIASES.get(text)
        if key is None:
            unknown.append(text)
        elif key in positions:
            repeated.append(text)
        else:
            positions[key] = index
    problems = []
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        problems.append(Problem(1, "", "缺少以下列：" + "".join(f"「{h}」" for h in missing)
                                + "（请使用下载的模板）。"))
    if unknown:
        problems.append(Problem(1, "", "有模板中没有的列：" + "".join(f"「{h}」" for h in unknown)
                                + "。请删除这些列（或把内容移到模板的列中）后再上传。"))
    if repeated:
        problems.append(Problem(1, "", "以下列出现了不止一次：" + "".join(f"「{h}」" for h in repeated)
                                + "。"))
    if problems:
        raise ImportRejected(problems)
    return header, positions


def _read_rows(sheet, header: list[str], positions: dict[str, int]
               ) -> tuple[list[SheetRow], list[Problem]]:
    rows: list[SheetRow] = []
    problems: list[Problem] = []
    width = len(header) + EXTRA_COLUMNS_CHECKED
    headerless = [i for i in range(width) if i >= len(header) or not header[i]]
    reported_columns: set[int] = set()
    for number, values in enumerate(
            sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        if number > MAX_SCANNED_ROWS:
            raise refuse(f"工作表超过 {MAX_SCANNED_ROWS} 行（含空行），请删除多余的行，"
                         f"每次最多导入 {MAX_ROWS} 行。")
        if not any(_present(v) for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise refuse(f"数据超过 {MAX_ROWS} 行：每次最多导入 {MAX_ROWS} 行，"
                         "请分成几个文件分别导入。")
        for index in headerless:
            if index < len(values) and _present(values[index]) and index not in reported_columns:
                reported_columns.add(index)
                problems.append(Problem(number, "", f"第 {_letter(index)} 列有数据但没有表头："
                                                    "请删除该列的数据或补上模板中的表头。"))
        cells = {key: (values[index] if index < len(values) else None)
                 for key, index in positions.items()}
        row = SheetRow(number, cells)
        for key, value in cells.items():
            if isinstance(value, str) and value.strip() in ERROR_VALUES:
                row.reported.add(key)
                problems.append(Problem(number, BY_KEY[key].header,
                                        f"单元格是错误值「{value.strip()}」（公式计算出错）。"))
        rows.append(row)
    if not rows:
        raise refuse("只有表头，没有数据行：请从第 2 行起每行填写一件建议提案。")
    return rows, problems


def _formulas_without_values(content: bytes, rows: list[SheetRow], header: list[str],
                             positions: dict[str, int]) -> list[Problem]:
    """Formula cells are imported with the value Excel saved; without one they are refused."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        sheet = book.worksheets[0]
        by_number = {row.number: row for row in rows}
        columns = {index: key for key, index in positions.items()}
        problems = []
        last = rows[-1].number
        for number, values in enumerate(
                sheet.iter_rows(min_row=2, max_row=last, max_col=len(header),
                                values_only=True), start=2):
            row = by_number.get(number)
            if row is None:
                continue
            for index, value in enumerate(values):
                key = columns.get(index)
                if key is None or key in row.reported:
                    continue
                if _is_formula(value) and not _present(row.cells.get(key)):
                    row.reported.add(key)
                    problems.append(Problem(number, BY_KEY[key].header,
                                            "单元格是公式但没有保存计算结果：请在 Excel 中打开并保存"
                                            "后再上传，或把公式「粘贴为数值」。"))
        return problems
    finally:
        book.close()


def _is_formula(value) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or (
        value is not None and type(value).__name__ in ("ArrayFormula", "DataTableFormula"))


def _present(value) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# -- cell values -------------------------------------------------------------------------

class CellError(ValueError):
    """A cell whose content cannot be used; the message is shown with its row and column."""


def text(value) -> str:
    """The cell as clean text ("" when empty); whole numbers lose Excel's ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == time(0) else value
    if isinstance(value, date):
        return value.isoformat()
    cleaned = strip_control(str(value)).replace("\u3000", " ").replace("\u00a0", " ")
    return cleaned.strip()


def names(value) -> list[str]:
    """A list in one cell (names, units, phone numbers), split on 、 ， , ； ; and new lines."""
    return [part.strip() for part in SEPARATORS.split(text(value)) if part.strip()]


_DASHED = re.compile(r"^(\d{4})\s*([-./])\s*(\d{1,2})\s*\2\s*(\d{1,2})$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")


def to_date(value) -> date | None:
    """A real Excel date, or a date typed as text in one of the usual ways."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(f"「{text(value)}」是数字而不是日期，请填写日期，如 {DATE_FORMATS_HELP}。")
    raw = text(value)
    if not raw:
        return None
    parts = None
    match = _DASHED.match(raw)
    if match:
        parts = match.group(1), match.group(3), match.group(4)
    match = _CHINESE.match(raw)
    if match:
        parts = match.groups()
    if parts is None:
        raise CellError(f"「{raw}」不是可识别的日期，请写成 {DATE_FORMATS_HELP}。")
    try:
        return date(*(int(p) for p in parts))
    except ValueError:
        raise CellError(f"「{raw}」不是有效的日期（没有这一天）。") from None


YES = {"是", "重点", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "", "n", "no", "false", "0", "×"}


def to_flag(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError(f"「{text(value)}」无法识别，请填写「是」或「否」。")
