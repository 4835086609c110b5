"""Letters rendered and read back with pdfplumber and pypdf (lines and their positions)."""
from __future__ import annotations

import io
from dataclasses import dataclass

import pdfplumber

from tracker.letters import render_letter_report

MM = 25.4 / 72  # millimetres per point


@dataclass
class Line:
    page: int
    top: float      # mm
    bottom: float   # mm
    x0: float       # mm
    x1: float       # mm
    size: float     # pt
    text: str
    fonts: set
    baseline: float  # mm


@dataclass
class Rendered:
    pdf: bytes
    report: dict
    pages: list     # (width mm, height mm) per page
    lines: list     # Line, in reading order
    images: list    # (page, x0, top, x1, bottom) in mm

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)

    def find(self, needle: str) -> Line:
        for line in self.lines:
            if needle in line.text:
                return line
        raise AssertionError(f"{needle!r} not found in {[l.text for l in self.lines]}")

    def page_lines(self, page: int, size: float | None = None) -> list:
        return [l for l in self.lines
                if l.page == page and (size is None or abs(l.size - size) < 0.05)]


def read_pdf(pdf: bytes, report: dict | None = None) -> Rendered:
    pages, lines, images = [], [], []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, 1):
            pages.append((page.width * MM, page.height * MM))
            rows: dict = {}
            for ch in page.chars:
                key = (round(page.height - ch["matrix"][5], 1), round(ch["size"], 2))
                rows.setdefault(key, []).append(ch)
            for (_, size), chars in sorted(rows.items()):
                chars.sort(key=lambda c: c["x0"])
                lines.append(Line(number, min(c["top"] for c in chars) * MM, chars[0]["bottom"] * MM,
                                  chars[0]["x0"] * MM, chars[-1]["x1"] * MM, size,
                                  "".join(c["text"] for c in chars),
                                  {c["fontname"] for c in chars},
                                  (page.height - chars[0]["matrix"][5]) * MM))
            for image in page.images:
                images.append((number, image["x0"] * MM, image["top"] * MM,
                               image["x1"] * MM, image["bottom"] * MM))
    return Rendered(pdf, report or {}, pages, lines, images)


def render(data: dict) -> Rendered:
    pdf, report = render_letter_report(data)
    return read_pdf(pdf, report)
