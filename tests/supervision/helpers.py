"""Reading tables back out of pages and spreadsheets."""
from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

from openpyxl import load_workbook


class _Tables(HTMLParser):
    """The cells of every <table id=...> of a page: {id: {"head": [...], "body": [[...]],
    "foot": [[...]]}} (cell text stripped)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.current = None
        self.section = None
        self.row = None
        self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self.current = self.tables.setdefault(attrs["id"], {"head": [], "body": [],
                                                                 "foot": []})
        elif self.current is not None and tag in ("thead", "tbody", "tfoot"):
            self.section = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(re.sub(r"\s+", " ", "".join(self.cell)).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current[self.section].append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_tables(html: str) -> dict[str, dict]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def rows_by_first_cell(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row for row in rows}


def xlsx_sheet(data: bytes, name: str):
    """The rows of a sheet (values as stored) and the sheet itself."""
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[name]
    return [list(r) for r in sheet.iter_rows(values_only=True)], sheet


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV without the UTF-8 byte order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"
