"""A typist's grid: the letter's lines broken and justified here, then paginated here.

WeasyPrint justifies only at spaces, so a Chinese line holding half-width digits, Latin or
punctuation would end short of the right edge. Every paragraph is therefore broken into lines
from the fonts' own advance widths (with the line-breaking rules of Chinese typesetting:
closing punctuation never starts a line, opening punctuation never ends one, numbers, Latin
words and URLs stay whole), and each line but a paragraph's last gets the letter-spacing that
makes its last glyph end exactly at the right edge of the text block. The lines are then put
on pages of 22 here too, so that the 落款 (unit, date and seal) never stands alone on a page
and no page before the last ends more than two lines short (GB/T 9704-2012 §7.3.5: the line
spacing of the last page may be tightened instead).
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from tracker.letters import fonts as letter_fonts

MM = 72 / 25.4
BODY_PT = 16.0
PITCH = 28.98                  # 225 mm / 22 lines
BLOCK_HEIGHT = 225 * MM         # 637.8 pt
TEXT_WIDTH = 156 * MM           # 442.2 pt
BASE_SPACING = -0.22            # 28 characters of 16 pt fill the 156 mm line
LINES_PER_PAGE = 22
# The last page may hold up to four lines more (pitch >= 24.4 pt, 8.6 mm) to keep the 落款
# with the body (GB/T 9704 §7.3.5 allows adjusting the line spacing for this); three lines
# cover the usual 落款 with a one-line 附注, the fourth a 附注 of two lines.
MIN_PITCH = 24.4
# Push-in (挤进): a closing mark may squeeze onto the line down to this letter-spacing.
MIN_PUSH_IN_SPACING = -1.0
# A word longer than this share of a line is split rather than leave a wide gap.
SPLIT_WORD_GAP_EM = 2.5
SEAL_PT = 42 * MM
# Paragraphs start 2 characters in: two grid columns (16 pt less the spacing each), so an
# indented first line holds 26 characters aligned with the 28 of the lines below.
FIRST_INDENT = 2 * (BODY_PT + BASE_SPACING)

NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—·%‰℃,.;:?!)]}")
NO_LINE_END = set("（《「『【〔〈“‘([{")
WORD_RE = re.compile(r"[!-~]+")   # runs of printable ASCII: numbers, Latin, URLs


@dataclass
class Run:
    """Text set in one face (a role's faces, the first covering each character wins)."""

    text: str
    faces: list                     # letter_fonts.Face, best first
    css: str = ""                   # class of the <span> (heading fonts)


@dataclass
class Line:
    """One printed line: its runs, left indent and letter-spacing (pt)."""

    runs: list[tuple[str, str]]     # (css class, text)
    indent: float = 0.0
    spacing: float = BASE_SPACING
    justified: bool = False

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.runs)


@dataclass
class _Atom:
    chars: list[tuple[str, float, str]]   # (char, advance pt, css)
    space: bool = False

    @property
    def width(self) -> float:
        return sum(adv for _, adv, _ in self.chars)


@functools.lru_cache(maxsize=65536)
def _advance_in(faces: tuple, char: str, size: float) -> float:
    for face in faces:
        if ord(char) in letter_fonts.coverage(face):
            return letter_fonts.advance(face, char, size)
    return letter_fonts.advance(faces[0], char, size)


def _advance(faces: list, char: str, size: float) -> float:
    """The width of ``char`` in the first of ``faces`` that has it (WeasyPrint's fallback)."""
    return _advance_in(tuple(faces), char, size)


def _atoms(runs: list[Run], size: float, width: float) -> list[_Atom]:
    """Unbreakable units: a Chinese character, a word, a space; punctuation glued on."""
    chars: list[tuple[str, float, str]] = []
    for run in runs:
        for ch in run.text:
            chars.append((ch, _advance(run.faces, ch, size), run.css))
    text = "".join(c for c, _, _ in chars)
    atoms: list[_Atom] = []
    i = 0
    while i < len(chars):
        ch = text[i]
        if ch == " ":
            atoms.append(_Atom([chars[i]], space=True))
            i += 1
            continue
        word = WORD_RE.match(text, i) if ch.isascii() else None
        if word and word.end() - i > 1:
            piece = chars[i:word.end()]
            if sum(adv for _, adv, _ in piece) <= width * 0.6:
                atoms.append(_Atom(piece))
            else:  # a URL longer than most of a line may break anywhere
                atoms.extend(_Atom([c]) for c in piece)
            i = word.end()
            continue
        atoms.append(_Atom([chars[i]]))
        i += 1
    # Glue closing marks to what precedes them and opening marks to what follows.
    glued: list[_Atom] = []
    pending: list = []
    for atom in atoms:
        first = atom.chars[0][0]
        if glued and not atom.space and not pending and first in NO_LINE_START \
                and not glued[-1].space:
            glued[-1].chars.extend(atom.chars)
            continue
        if pending and atom.space:
            # An opening mark before a space keeps its place (a space may be dropped at a
            # line's end, the mark must not go with it).
            glued.append(_Atom(pending))
            pending = []
        if pending:
            atom = _Atom(pending + atom.chars, atom.space)
            pending = []
        last = atom.chars[-1][0]
        if not atom.space and last in NO_LINE_END:
            pending = atom.chars
            continue
        glued.append(atom)
    if pending:
        glued.append(_Atom(pending))
    return glued


def _line(chars: list[tuple[str, float, str]], indent: float, width: float,
          justify: bool) -> Line:
    while chars and chars[-1][0] == " ":
        chars = chars[:-1]
    runs: list[tuple[str, str]] = []
    for ch, _, css in chars:
        if runs and runs[-1][0] == css:
            runs[-1] = (css, runs[-1][1] + ch)
        else:
            runs.append((css, ch))
    spacing = BASE_SPACING
    if justify and len(chars) > 1:
        # The last glyph ends at the right edge: advance sum + (n - 1) gaps = line width.
        spacing = (width - indent - sum(adv for _, adv, _ in chars)) / (len(chars) - 1)
    return Line(runs, indent, round(spacing, 4), justify)


def break_lines(runs: list[Run], *, size: float = BODY_PT, width: float = TEXT_WIDTH,
                first_indent: float = 0.0, rest_indent: float = 0.0,
                justify: bool = True) -> list[Line]:
    """A paragraph broken into lines of the grid, all but the last justified."""
    atoms = _atoms(runs, size, width)
    lines: list[Line] = []
    current: list[tuple[str, float, str]] = []
    indent = first_indent

    def natural(chars) -> float:
        return sum(adv for _, adv, _ in chars) + BASE_SPACING * max(0, len(chars) - 1)

    queue = list(reversed(atoms))  # popped from the end: the next atom is queue[-1]
    current_width = 0.0  # sum of the advances on the line so far
    while queue:
        atom = queue.pop()
        if atom.space and not current:
            continue  # no space at the start of a line
        room = width - indent
        atom_width = atom.width
        count = len(current) + len(atom.chars)
        if current_width + atom_width + BASE_SPACING * (count - 1) <= room + 0.01:
            current = current + atom.chars
            current_width += atom_width
            continue
        candidate = current + atom.chars
        # Push-in: closing punctuation at the end of the atom squeezed onto this line.
        core = len(atom.chars)
        while core > 0 and atom.chars[core - 1][0] in NO_LINE_START:
            core -= 1
        if current and core < len(atom.chars) and len(candidate) > 1:
            squeezed = (room - sum(a for _, a, _ in candidate)) / (len(candidate) - 1)
            if natural(current + atom.chars[:core]) <= room + 0.01 \
                    and squeezed >= MIN_PUSH_IN_SPACING:
                current, current_width = candidate, current_width + atom_width
                continue
        # A long word leaving a wide gap is split to fill the line.
        gap = room - natural(current)
        if len(atom.chars) > 1 and not any(c in NO_LINE_START for c, _, _ in atom.chars) \
                and (gap > SPLIT_WORD_GAP_EM * size or not current):
            take = _fit_count(current_width, len(current), atom.chars, room)
            if take:
                current = current + atom.chars[:take]
                queue.append(_Atom(atom.chars[take:]))
                lines.append(_line(current, indent, width, justify))
                current, current_width, indent = [], 0.0, rest_indent
                continue
        if not current:
            # A single atom wider than the line: it goes alone, character by character.
            take = max(1, _fit_count(0.0, 0, atom.chars, room))
            lines.append(_line(atom.chars[:take], indent, width, justify))
            if atom.chars[take:]:
                queue.append(_Atom(atom.chars[take:]))
            indent = rest_indent
            continue
        lines.append(_line(current, indent, width, justify))
        current, current_width, indent = [], 0.0, rest_indent
        if not atom.space:
            queue.append(atom)
    if current:
        # A paragraph's last line is set loose, unless a closing mark was pushed in: then it
        # is as full as any other and is justified to the edge like them.
        lines.append(_line(current, indent, width,
                           justify=justify and natural(current) > width - indent + 0.01))
    return lines


def _fit_count(start_width: float, start_count: int, chars, room: float) -> int:
    """How many of ``chars`` fit after ``start_count`` characters of ``start_width``."""
    total, count = start_width, start_count
    for index, (_, adv, _) in enumerate(chars):
        total += adv
        count += 1
        if total + BASE_SPACING * (count - 1) > room:
            return index
    return len(chars)


# -- pagination ---------------------------------------------------------------------------------


@dataclass
class Item:
    """One grid line of the flow (a text line, a blank line, a title line...)."""

    kind: str                       # head, title, blank, salutation, para, heading, tail
    html: str = ""
    para: int | None = None         # paragraph index for body lines
    last_of_para: bool = False
    is_heading: bool = False        # a paragraph that is only a heading


@dataclass
class Page:
    items: list[Item]
    pitch: float = PITCH
    record: bool = False            # the 版记 sits at the bottom of this page

    @property
    def short_by(self) -> int:
        return LINES_PER_PAGE - len(self.items)


@dataclass
class Layout:
    pages: list[Page]
    tail_page: int                  # index of the page with the 落款
    notes: list[str] = field(default_factory=list)


# A page with the 版记 is a block of RECORD_PAGE_HEIGHT (letter.css .record-page) with the
# record at its bottom; other pages hold 22 lines of the grid (637.56 of 637.8 pt).
RECORD_PAGE_HEIGHT = 637.0


def _room(record_pt: float) -> float:
    gap = 6.0 if record_pt else 0.0  # the 版记 keeps a little air above it
    return RECORD_PAGE_HEIGHT - record_pt - gap if record_pt else BLOCK_HEIGHT + 0.01


def _fits(lines: int, record_pt: float, pitch: float = PITCH) -> bool:
    return lines * pitch <= _room(record_pt)


def _squeezed(lines: int, record_pt: float) -> float | None:
    """The pitch (>= MIN_PITCH) at which ``lines`` and the record fit a page, or None."""
    pitch = math.floor(_room(record_pt) / lines * 100) / 100
    return pitch if pitch >= MIN_PITCH else None


def paginate(flow: list[Item], tail: list[Item], record_pt: float) -> Layout:
    """Pages of 22 lines for ``flow``; then the tail (落款 and 附注) and the 版记 placed so
    that the 落款 keeps at least one body line and pages before the last are full."""
    pages: list[list[Item]] = [[]]
    for item in flow:
        if len(pages[-1]) == LINES_PER_PAGE:
            # A heading never ends a page: it goes over with the text it heads (at most two
            # lines, so the page still ends no more than two lines short).
            page, moved = pages[-1], []
            while page and page[-1].is_heading and len(moved) < 2 and len(page) > 2:
                moved.insert(0, page.pop())
            pages.append(moved)
        pages[-1].append(item)
    last = pages[-1]
    r, t = len(last), len(tail)
    notes: list[str] = []

    def done(layout_pages: list[Page]) -> Layout:
        tail_index = max(i for i, p in enumerate(layout_pages)
                         if any(item.kind == "tail" for item in p.items))
        return Layout(layout_pages, tail_index, notes)

    head = [Page(p) for p in pages[:-1]]
    # 1. Everything on the last page at the grid's pitch.
    if _fits(r + t, record_pt):
        return done(head + [Page(last + tail, record=bool(record_pt))])
    # 2. The last one or two body lines carried over with the 落款, the page before still
    #    ending at most two lines short.
    carry = min(2, r - (LINES_PER_PAGE - 2))
    if carry >= 1 and _fits(carry + t, record_pt):
        notes.append(f"末页带{carry}行正文")
        return done(head + [Page(last[:-carry]), Page(last[-carry:] + tail,
                                                       record=bool(record_pt))])
    # 3. The last page's lines tightened (§7.3.5), 版记 included.
    pitch = _squeezed(r + t, record_pt)
    if pitch is not None:
        notes.append(f"末页行距调整为 {pitch:.2f} 磅")
        return done(head + [Page(last + tail, pitch=pitch, record=bool(record_pt))])
    # 4. The 版记 on a page of its own (GB/T 9704: 版记页), the 落款 kept with the body.
    if record_pt:
        if _fits(r + t, 0):
            notes.append("版记单独成页")
            return done(head + [Page(last + tail), Page([], record=True)])
        if carry >= 1 and _fits(carry + t, 0):
            notes.append(f"末页带{carry}行正文，版记单独成页")
            return done(head + [Page(last[:-carry]), Page(last[-carry:] + tail),
                                Page([], record=True)])
        pitch = _squeezed(r + t, 0)
        if pitch is not None:
            notes.append(f"末页行距调整为 {pitch:.2f} 磅，版记单独成页")
            return done(head + [Page(last + tail, pitch=pitch), Page([], record=True)])
    # 5. A tail taller than any adjustment (a very long 附注): carry two lines anyway.
    carry = min(2, r)
    notes.append("落款另起一页")
    pages_out = head + ([Page(last[:-carry])] if r > carry else [])
    rest = last[-carry:] + tail
    while len(rest) > LINES_PER_PAGE:
        pages_out.append(Page(rest[:LINES_PER_PAGE]))
        rest = rest[LINES_PER_PAGE:]
    if _fits(len(rest), record_pt):
        return done(pages_out + [Page(rest, record=bool(record_pt))])
    return done(pages_out + [Page(rest)] + ([Page([], record=True)] if record_pt else []))
