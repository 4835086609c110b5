"""Helpers for the import tests: 交办清单 workbooks built in memory with openpyxl."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

from tracker.core.time import today
from tracker.imports.parse import COLUMNS

MEETING = "省十四届人大三次会议"
HEADERS = [c.header for c in COLUMNS]


def item(n: int, **values) -> dict:
    """A valid row (by column key) for the world's 人大 meeting; values override."""
    row = {
        "meeting": MEETING, "number": str(n), "kind": "代表建议",
        "title": f"关于第{n}项基层卫生服务的建议", "authors": "李华、王芳",
        "phones": "13900000001", "category": "医疗卫生", "lead": "省卫生健康委员会",
        "co": "", "separate": "", "due_on": None, "received_on": None, "is_key": "否",
    }
    row.update(values)
    return row


def xlsx(rows: list[dict], headers: list[str] | None = None, *, title_row: str | None = None,
         merge: str | None = None, raw_rows: list[list] | None = None) -> bytes:
    """A workbook whose first sheet has the headers in row 1 (after an optional title row)
    and one row per dict (keys: column keys or headers)."""
    from openpyxl import Workbook

    headers = headers or HEADERS
    by_header = {c.header: c.key for c in COLUMNS}
    book = Workbook()
    sheet = book.active
    sheet.title = "交办清单"
    if title_row:
        sheet.append([title_row])
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(by_header.get(h, h), row.get(h)) for h in headers])
    for values in raw_rows or []:
        sheet.append(values)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_cached_value(content: bytes, coordinate: str, value: str) -> bytes:
    """Give a formula cell the result Excel would have saved with it (openpyxl saves none)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                pattern = re.compile(
                    rf'<c r="{coordinate}"([^>]*)>(<f>.*?</f>)<v\s*/?>(?:</v>)?</c>'.encode())
                data, count = pattern.subn(
                    lambda m: b'<c r="' + coordinate.encode() + b'"' + m.group(1)
                    + b' t="str">' + m.group(2) + b"<v>" + value.encode() + b"</v></c>", data)
                assert count == 1, "formula cell not found"
            target.writestr(info, data)
    return out.getvalue()


def later(days: int):
    return today() + timedelta(days=days)


def post_file(client, content: bytes, name: str = "交办清单.xlsx", **kwargs):
    return client.post("/imports", data={
        "csrf_token": client.token,
        "file": (io.BytesIO(content), name),
    }, content_type="multipart/form-data", **kwargs)


def problems_of(html: str) -> list[tuple[str, str, str]]:
    """(行, 列, 问题) of the problem table on the import page."""
    import html as html_lib

    table = re.search(r'<table class="[^"]*import-problems.*?</table>', html, re.S)
    if not table:
        return []
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td>(.*?)</td></tr>",
                      table.group(0), re.S)
    return [tuple(html_lib.unescape(cell) for cell in row) for row in rows]
