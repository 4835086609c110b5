"""The reply body: plain text, one paragraph a line, headings known by their markers."""
from __future__ import annotations

import re
from dataclasses import dataclass

# The 公文 heading hierarchy: 一、 / （一） or (一) / 1. or 1． / （1） or (1).
CN_NUM = "一二三四五六七八九十百零〇"
HEADING_PATTERNS = [
    (1, re.compile(rf"^[{CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{CN_NUM}]+[）)]")),
    (3, re.compile(r"^\d+[.．](?!\d)")),
    (4, re.compile(r"^[（(]\d+[）)]")),
]


@dataclass(frozen=True)
class Paragraph:
    level: int  # 0 for body text, 1-4 for the heading levels
    text: str

    @property
    def is_heading(self) -> bool:
        return self.level > 0


def heading_level(line: str) -> int:
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(line):
            return level
    return 0


def paragraphs(body: str) -> list[Paragraph]:
    """Split a draft into paragraphs, each with its heading level (0 = ordinary text)."""
    result = []
    for raw in (body or "").splitlines():
        line = raw.strip().replace("\u3000", " ").strip()
        if line:
            result.append(Paragraph(heading_level(line), line))
    return result
