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


def greeting(kind: str, proposers: list[str], meeting: str, title: str,
             co_units: list[str] | None = None, salutation: str | None = None,
             opening: str | None = None) -> tuple[str, str]:
    """The salutation and opening sentence of a reply, generated unless overridden.

    李华代表： for a deputy; 尊敬的陈明等委员： and 您们 for several members; 经商…， when
    co-handling units were consulted.
    """
    lead = proposers[0] if proposers else ""
    several = len(proposers) > 1
    if kind == "suggestion":
        generated, you = f"{lead}代表：", "您"
    else:
        generated = f"尊敬的{lead}{'等' if several else ''}委员："
        you = "您们" if several else "您"
    consulted = f"经商{'、'.join(co_units)}，" if co_units else ""
    sentence = f"{you}在{meeting}上提出的《{title.strip('《》')}》收悉。{consulted}现答复如下："
    return salutation or generated, opening or sentence
