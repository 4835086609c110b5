"""The downloadable 交办清单 template: the columns, and a 说明 sheet with the rules and the
meeting and unit names the import accepts."""
from __future__ import annotations

import io

from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.extensions import db
from tracker.imports.parse import COLUMNS, DATE_FORMATS_HELP, MAX_ROWS
from tracker.proposals.models import CATEGORIES, Meeting

PREFORMATTED_ROWS = 1000  # rows given text/date formats (编号 keeps its leading zeros)
RULES = [
    "一、第一个工作表为交办清单：第 1 行是表头，从第 2 行起每行一件建议提案；"
    "表头不要改动，不要增加其他列（「序号」列可以保留），不要合并单元格。",
    f"二、每次最多导入 {MAX_ROWS} 行。导入前系统会检查全部内容，"
    "只要有一处问题就全部不导入，并列出每个问题所在的行和列；改正后重新上传即可。",
    "三、「会议」须与下方列出的会议名称完全一致；「编号」在同一会议内不能重复"
    "（也不能与系统中已登记的重复）。",
    "四、「提出人」「会办单位」「分办单位」可填写多个，用顿号「、」分隔；第一位提出人为领衔人。",
    "五、「主办单位」「会办单位」「分办单位」填写下方列出的单位全称或简称。"
    "有主办单位时可再填会办单位；只按分办交办时主办单位留空。",
    f"六、日期可以是 Excel 日期，也可以写成 {DATE_FORMATS_HELP}。"
    "「办理期限」留空时按会议的答复期限计算（遇节假日顺延），填写时适用于主办和分办单位；"
    "会办期限按会议的会办期限计算。",
    "七、公式单元格按 Excel 保存的计算结果导入；没有计算结果的公式会被指出。",
    "八、导入成功后，每件建议提案均已登记并交办，各承办单位即可在待办中签收。",
]


def build_template() -> bytes:
    """The template workbook, with today's meetings and units listed on the 说明 sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    meetings = list(db.session.scalars(select(Meeting).order_by(Meeting.year.desc(),
                                                                Meeting.name)))
    units = list(db.session.scalars(
        select(Unit).where(Unit.is_active.is_(True), Unit.is_supervising.is_(False))
        .order_by(Unit.name)))

    book = Workbook()
    sheet = book.active
    sheet.title = "交办清单"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    optional_fill = PatternFill("solid", fgColor="EDEDED")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        cell.fill = required_fill if column.required else optional_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width * 2 if column.width < 12 \
            else column.width + 6
        number_format = {"number": "@", "phones": "@", "due_on": "yyyy-mm-dd",
                         "received_on": "yyyy-mm-dd"}.get(column.key)
        if number_format:
            for row in range(2, PREFORMATTED_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = number_format
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("说明")
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 40
    notes.column_dimensions["C"].width = 70
    notes.append(["交办清单导入说明"])
    notes["A1"].font = Font(bold=True, size=14)
    for rule in RULES:
        notes.append([rule])
    notes.append([])
    notes.append(["列", "必填", "填写要求"])
    for cell in notes[notes.max_row]:
        cell.font = bold
    for column in COLUMNS:
        notes.append([column.header, "表头必须有" if column.required else "可选列", column.hint])
    notes.append([])
    notes.append(["分类", "、".join(CATEGORIES)])
    notes.append([])
    notes.append(["会议名称", "类型", "答复期限 / 会办期限"])
    for cell in notes[notes.max_row]:
        cell.font = bold
    first_meeting = notes.max_row + 1
    for meeting in meetings:
        notes.append([meeting.name, meeting.item_kind.label,
                      f"{meeting.reply_period_months} 个月 / {meeting.co_period_months} 个月"])
    last_meeting = notes.max_row
    notes.append([])
    notes.append(["单位全称", "简称"])
    for cell in notes[notes.max_row]:
        cell.font = bold
    first_unit = notes.max_row + 1
    for unit in units:
        notes.append([unit.name, unit.short_name or ""])
    last_unit = notes.max_row

    _validations(sheet, DataValidation, {
        "kind": '"代表建议,委员提案"',
        "is_key": '"是,否"',
        "meeting": f"'说明'!$A${first_meeting}:$A${last_meeting}" if meetings else None,
        "lead": f"'说明'!$A${first_unit}:$A${last_unit}" if units else None,
    })
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validations(sheet, DataValidation, lists: dict[str, str | None]) -> None:
    """Drop-down lists; a warning only, since short names and other spellings are accepted."""
    from openpyxl.utils import get_column_letter

    positions = {c.key: i for i, c in enumerate(COLUMNS, start=1)}
    for key, formula in lists.items():
        if not formula:
            continue
        letter = get_column_letter(positions[key])
        rule = DataValidation(type="list", formula1=formula, allow_blank=True,
                              errorStyle="warning", showErrorMessage=True,
                              error="不在列表中；导入时会再检查。", errorTitle="请核对")
        rule.add(f"{letter}2:{letter}{PREFORMATTED_ROWS + 1}")
        sheet.add_data_validation(rule)
