"""Full-width punctuation in Chinese reply text (GB/T 15834), every change reported.

Drafters paste reply text from web pages and Word files that mix half-width punctuation into
Chinese sentences (``截至2020年末,全市…426所;…执业(助理)医师3.34人``).  GB/T 15834 wants the
full-width marks in Chinese text, but numbers, times, URLs and Latin text keep their own
half-width punctuation.  ``normalize`` makes only the changes it is sure of and lists each
one, so the drafter is shown what changed and can object; nothing is changed silently and
nothing but punctuation (and the spaces typed after a converted , ; : . ? !) is ever added
or removed.

Decisions are taken per line (a reply body has one paragraph a line) on the characters
nearest to a mark, spaces ignored.  "Chinese" there means a Han character or a full-width
punctuation mark.  A mark's decision can depend on a neighbour that is itself converted
(``(其他);`` — the semicolon sees ``）`` only once the bracket is converted), so a line is
worked to a fixed point: passes over the undecided marks until one converts nothing.  A
converted mark stays converted, so this ends; and the last pass saw exactly the neighbours
the output has, so running ``normalize`` on its own output changes nothing.
"""
from __future__ import annotations

import re
from bisect import bisect_right, insort
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    line: int  # 1-based line number in the text
    column: int  # 1-based column of the changed character(s) in the ORIGINAL line
    before: str  # e.g. "," (with the spaces that were dropped after it, e.g. ", ")
    after: str  # e.g. "，"
    context: str  # up to CONTEXT_CHARS characters either side, from the NEW text


CONTEXT_CHARS = 8

# Skipped when looking for a mark's neighbours ("ignoring spaces"): pasted web text brings
# no-break spaces (综合政务(其他)\xa0;\xa0其他) as well as ordinary and ideographic ones.
SPACES = " \t\u3000\xa0\u2002\u2003\u2009\u202f"
# Dropped after a converted , ; : . ? ! — the spaces typed after a half-width mark.
# Ideographic spaces are left: they are not a half-width habit.
TRAILING_SPACES = " \xa0\u2002\u2003\u2009\u202f"

# Full-width punctuation outside the CJK-symbol and full-width-form blocks: the curly quotes,
# the ellipsis, the em dash and the middle dot of foreign names (阿卜杜拉·艾尼).
OTHER_FULLWIDTH = set("“”‘’…—·")

HEADING_NUMERALS = "一二三四五六七八九十百零〇"

# A heading marker in brackets, (一) or (1), at the start of a line (GB/T 9704 levels 2 and
# 4): converted whatever follows, even Latin text or nothing.
HEADING_BRACKETS = re.compile(rf"^[{SPACES}]*(\()(?:[{HEADING_NUMERALS}]+|\d+)(\))")
# 一. or 1. at the start of a line numbers a heading or an item; its dot is never a full stop.
LINE_START_NUMBER = re.compile(rf"^[{SPACES}]*(?:[{HEADING_NUMERALS}]+|\d+|[A-Za-z])$")

# URLs and e-mail addresses keep every character.  A URL ends at a Chinese character or a
# space; punctuation at its very end belongs to the sentence (as linkifiers treat it).
URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s\"'<>\u2018-\u201f\u2026\u2014"
                 r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+",
                 re.IGNORECASE)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
URL_TRAILING = ".,;:!?'\""

# The marks looked at.  Runs come first so that "..." is one ellipsis and not three dots.
TOKEN = re.compile(r"\.{2,}|。{3,}|…+|-{2,}|—+|－{2,}|[,;:?!()\"'.]")

SIMPLE = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
ELLIPSIS = "……"
DASH = "——"

# A dot after one of these words is the abbreviation's (Pfizer Inc.生产), not a full stop.
ABBREVIATIONS = {"inc", "ltd", "co", "corp", "etc", "no", "nos", "dr", "mr", "mrs", "ms",
                 "prof", "st", "jr", "sr", "vs", "fig", "vol", "pp", "al", "e.g", "i.e"}

# What may come right before an item number (1.加强…；2.完善…) — the line start, a space or
# a separating mark, in either width.  After anything else (达到426.其中) the number ends a
# sentence.  Straight quotes are not here: they are read as the curly quote they become.
ITEM_LEAD = set(SPACES) | set(",;:?!(，；：？！、。（“‘")


def is_han(ch: str) -> bool:
    code = ord(ch)
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F)


def is_fullwidth_punct(ch: str) -> bool:
    code = ord(ch)
    return (ch in OTHER_FULLWIDTH
            or 0x3001 <= code <= 0x303F  # 、。〃〈〉《》「」『』【】〔〕〇…
            or 0xFF01 <= code <= 0xFF0F or 0xFF1A <= code <= 0xFF20  # ！＂（），－．／：；？
            or 0xFF3B <= code <= 0xFF40 or 0xFF5B <= code <= 0xFF65)  # ［］｛｝～｢｣､
    # Full-width digits and letters (１２３ＡＢＣ) are deliberately not "Chinese context".


def is_chinese(ch: str | None) -> bool:
    return ch is not None and (is_han(ch) or is_fullwidth_punct(ch))


@dataclass
class _Mark:
    """A candidate: one token, or a pair of brackets or quotes decided together."""
    kind: str  # "simple", "dot", "ellipsis", "dash", "bracket", "quote"
    spans: list[tuple[int, int]]  # one (start, end) per token, in the original line
    forced: bool = False  # a heading marker's brackets


class _Line:
    def __init__(self, text: str):
        self.text = text
        # What each position will hold: the original character, or the full-width one it is
        # being converted to.  Neighbour decisions read this, not the original.
        self.effective = list(text)
        self.edits: dict[int, tuple[int, str]] = {}  # start -> (end, replacement)
        # Where the effective line is Chinese, sorted: "is there anything Chinese between
        # these brackets" in log time, even for brackets nested a thousand deep.
        self.chinese_at = [i for i, ch in enumerate(text) if is_chinese(ch)]
        self.protected = [False] * len(text)
        for pattern in (URL, EMAIL):
            for match in pattern.finditer(text):
                end = match.end()
                while end > match.start() and text[end - 1] in URL_TRAILING + ")":
                    # A closing bracket ends the URL only if the URL did not open one.
                    if text[end - 1] == ")" and text.count("(", match.start(), end) >= \
                            text.count(")", match.start(), end):
                        break
                    end -= 1
                for i in range(match.start(), end):
                    self.protected[i] = True
        self.first_han = next((i for i, ch in enumerate(text) if is_han(ch)), len(text))

    # -- neighbours -------------------------------------------------------------------------

    def left(self, start: int) -> str | None:
        i = start - 1
        while i >= 0 and self.effective[i] in SPACES:
            i -= 1
        return self.effective[i] if i >= 0 else None

    def right(self, end: int) -> str | None:
        i = end
        while i < len(self.text) and self.effective[i] in SPACES:
            i += 1
        return self.effective[i] if i < len(self.text) else None

    def chinese_between(self, start: int, end: int) -> bool:
        k = bisect_right(self.chinese_at, start)
        return k < len(self.chinese_at) and self.chinese_at[k] < end

    def chinese_around(self, start: int, end: int) -> bool:
        return is_chinese(self.left(start)) or is_chinese(self.right(end))

    def chinese_sentence_end(self, start: int, end: int) -> bool:
        """A mark at the end of the line after Latin or digits (是否推行DRG?, 床人比为1:1.62;)
        is Chinese when the line before it is Chinese."""
        return self.right(end) is None and self.left(start) is not None \
            and self.first_han < start

    # -- the candidates ---------------------------------------------------------------------

    def marks(self) -> list[_Mark]:
        marks: list[_Mark] = []
        brackets: list[int] = []  # open ( positions waiting for their )
        doubles: list[int] = []
        singles: list[int] = []
        heading = HEADING_BRACKETS.match(self.text)
        forced = {heading.start(1), heading.start(2)} if heading else set()
        for match in TOKEN.finditer(self.text):
            start, end = match.span()
            if any(self.protected[start:end]):
                continue
            token = match.group()
            if token in SIMPLE:
                marks.append(_Mark("simple", [(start, end)]))
            elif token == ".":
                marks.append(_Mark("dot", [(start, end)]))
            elif token == "..":
                continue  # two dots: a typo for what? Left for the drafter.
            elif token[0] in ".。" or token == "…":
                marks.append(_Mark("ellipsis", [(start, end)]))
            elif token[0] == "…":
                continue  # …… is right; longer runs (………… for a whole omitted paragraph) too
            elif token[0] in "-－" or token == "—":
                marks.append(_Mark("dash", [(start, end)]))
            elif token[0] == "—":
                continue  # —— is right; other runs are not guessed at
            elif token == "(":
                brackets.append(start)
            elif token == ")":
                if brackets:
                    opening = brackets.pop()
                    marks.append(_Mark("bracket", [(opening, opening + 1), (start, end)],
                                       forced=opening in forced and start in forced))
                else:
                    marks.append(_Mark("bracket", [(start, end)]))
            elif token == '"':
                doubles.append(start)
            elif token == "'":
                # An apostrophe between letters or digits (Xi'an, don't) is not a quote.
                if 0 < start < len(self.text) - 1 and self.text[start - 1].isascii() \
                        and self.text[start - 1].isalnum() and self.text[end].isascii() \
                        and self.text[end].isalnum():
                    continue
                singles.append(start)
        # Unmatched ( are decided alone.
        marks.extend(_Mark("bracket", [(i, i + 1)]) for i in brackets)
        # Straight quotes alternate open/close along the line; an odd last one is left alone,
        # since which way it faces cannot be told.
        for quotes in (doubles, singles):
            for k in range(0, len(quotes) - 1, 2):
                marks.append(_Mark("quote", [(quotes[k], quotes[k] + 1),
                                             (quotes[k + 1], quotes[k + 1] + 1)]))
        return marks

    # -- decisions --------------------------------------------------------------------------

    def wants(self, mark: _Mark) -> bool:
        start, end = mark.spans[0]
        if mark.kind == "simple":
            # Either side will do: a comma after a number (426所,其中 / 截至2020年末,全市) or
            # before one (共计1859张,2357名) separates Chinese clauses all the same, while
            # 8:30, 1:1, 1,000, A, B and x=1,2 have no Chinese on either side.
            return self.chinese_around(start, end) or self.chinese_sentence_end(start, end)
        if mark.kind == "dot":
            return self.full_stop(start)
        if mark.kind == "ellipsis":
            return self.text[start] == "。" or self.chinese_around(start, end)
        if mark.kind == "dash":
            # Only a dash between Chinese on both sides: 3万—10万 and 1—1.5人 are ranges
            # (一字线 as 连接号), COVID--19 is not Chinese text.
            return is_chinese(self.left(start)) and is_chinese(self.right(end))
        # Brackets and quotes: "opening marks look right, closing marks look left" would keep
        # 付费(DRG)、 and 规划(2021-2025)》 half-width, yet in a Chinese sentence they are
        # Chinese brackets all the same.  So a pair is decided together and is Chinese
        # if anything just outside or just inside either mark is, or anything between them;
        # f(x), (a, b) and "hello" world stay as they are.
        if mark.kind == "bracket":
            if mark.forced:
                return True
            if len(mark.spans) == 1:
                return self.chinese_around(start, end)  # an unmatched one: either side
            (opening, _), (closing, closing_end) = mark.spans
            return (self.chinese_around(opening, opening + 1)
                    or self.chinese_around(closing, closing_end)
                    or self.chinese_between(opening, closing))
        if mark.kind == "quote":
            (opening, _), (closing, closing_end) = mark.spans
            # Quotes alternate along the line, so only which pairs are Chinese is decided:
            # 实施"54321"发展战略 is, by what is outside the quotes.
            return (is_chinese(self.left(opening)) or is_chinese(self.right(closing_end))
                    or self.chinese_between(opening, closing))
        raise AssertionError(mark.kind)

    def full_stop(self, i: int) -> bool:
        """Whether the dot at i ends a Chinese sentence.

        Only when what follows is Chinese or the end of the line: a decimal point (6.82), a
        file name (答复.docx), a domain (jl.gov.cn) or a version (2.0.1) is followed by a
        digit or a letter.  What comes before then rules out item numbers and abbreviations.
        """
        after = self.right(i + 1)
        if after is not None and not is_chinese(after):
            return False
        # Next to another stop (好.。, 中. 。。) it is not clear what was meant, and a 。 there
        # could make 。。。, which a second run would take for an ellipsis.
        following = i + 1
        while following < len(self.text) and self.text[following] in TRAILING_SPACES:
            following += 1
        if (i > 0 and self.effective[i - 1] in ".。") \
                or (following < len(self.text) and self.effective[following] in ".。"):
            return False
        before = self.left(i)
        if before is None:
            return False
        if LINE_START_NUMBER.match(self.text[:i]):
            return False  # 1.加强…, 一.基本情况, A.选项: a heading or item number
        if is_chinese(before):
            return True
        if self.first_han > i:
            return False  # a line of Latin text up to here is not a Chinese sentence
        number = re.search(r"\d+$", self.text[:i])
        if number:
            lead = self.effective[number.start() - 1] if number.start() else None
            # 1.加强…；2.完善…: an item number after a separator, not a full stop.
            return not (lead in ITEM_LEAD and after is not None)
        letters = re.search(r"[A-Za-z]+$", self.text[:i])
        if letters:
            dotted = re.search(r"[A-Za-z.]*$", self.text[:i]).group()  # e.g / i.e
            if letters.group().lower() in ABBREVIATIONS or dotted.lower() in ABBREVIATIONS:
                return False
            lead = self.effective[letters.start() - 1] if letters.start() else None
            # J.K.罗琳: an initial; A.选项 after a separator: an item letter.
            if len(letters.group()) == 1 and (lead == "." or lead in ITEM_LEAD):
                return False
        return True

    # -- applying ---------------------------------------------------------------------------

    def replacement(self, mark: _Mark, index: int) -> str:
        start, end = mark.spans[index]
        token = self.text[start:end]
        if mark.kind == "simple":
            return SIMPLE[token]
        if mark.kind == "dot":
            return "。"
        if mark.kind == "ellipsis":
            return ELLIPSIS
        if mark.kind == "dash":
            return DASH
        if mark.kind == "bracket":
            return "（" if token == "(" else "）"
        if mark.kind == "quote":
            if token == '"':
                return "“" if index == 0 else "”"
            return "‘" if index == 0 else "’"
        raise AssertionError(mark.kind)

    def apply(self, mark: _Mark) -> None:
        for index, (start, end) in enumerate(mark.spans):
            new = self.replacement(mark, index)
            for i in range(start, end):
                if not is_chinese(self.effective[i]):  # －－ was Chinese already
                    insort(self.chinese_at, i)
                self.effective[i] = new[0]
            if mark.kind in ("simple", "dot"):
                # A full-width mark carries its own spacing; the space typed after a
                # half-width one (医院, 诊所) goes with it.
                while end < len(self.text) and self.text[end] in TRAILING_SPACES:
                    end += 1
            self.edits[start] = (end, new)

    def normalize(self) -> tuple[str, list[tuple[int, str, str, int]]]:
        # To a fixed point (see the module docstring).  Passes alternate direction so that a
        # run of marks decided by a neighbour on one side (A,,,,中) settles in one pass.
        pending = sorted(self.marks(), key=lambda mark: mark.spans[0][0])
        forward = True
        while pending:
            undecided = []
            for mark in pending if forward else reversed(pending):
                if self.wants(mark):
                    self.apply(mark)
                else:
                    undecided.append(mark)
            if len(undecided) == len(pending):
                break
            pending = undecided if forward else undecided[::-1]
            forward = not forward
        pieces: list[str] = []
        made = []  # (original start, before, after, start in the new line)
        position = 0
        length = 0
        for start in sorted(self.edits):
            end, new = self.edits[start]
            pieces.append(self.text[position:start])
            length += start - position
            made.append((start, self.text[start:end], new, length))
            pieces.append(new)
            length += len(new)
            position = end
        pieces.append(self.text[position:])
        return "".join(pieces), made


def normalize(text: str) -> tuple[str, list[Change]]:
    """Full-width punctuation in Chinese context (GB/T 15834); every change listed."""
    lines = []
    changes: list[Change] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        # Windows line ends are kept as they came; only the line's text is looked at.
        body, ending = (raw[:-1], "\r") if raw.endswith("\r") else (raw, "")
        new, made = _Line(body).normalize()
        for start, before, after, new_start in made:
            context = new[max(0, new_start - CONTEXT_CHARS):
                          new_start + len(after) + CONTEXT_CHARS]
            changes.append(Change(number, start + 1, before, after, context.strip(SPACES)))
        lines.append(new + ending)
    return "\n".join(lines), changes


def describe(changes: list[Change], limit: int = 10) -> list[str]:
    """Chinese one-line descriptions for the drafter, e.g.
    '第3行第12字：“,” 改为 “，”（……上下文……）', and a summary line '另有 N 处' when over
    the limit."""
    limit = max(limit, 0)
    result = []
    for change in changes[:limit]:
        mark = change.before.rstrip(TRAILING_SPACES)
        dropped = "，删去其后空格" if mark != change.before else ""
        result.append(f"第{change.line}行第{change.column}字：“{mark}” 改为 “{change.after}”"
                      f"{dropped}（{change.context}）")
    if len(changes) > limit:
        result.append(f"另有 {len(changes) - limit} 处")
    return result
