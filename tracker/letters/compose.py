"""The letter as grid lines: every element of the Letter turned into typeset lines (escaped
HTML), paginated by tracker.letters.typeset; the template only prints the pages."""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from tracker.letters import typeset
from tracker.letters.inputs import Letter
from tracker.letters.typeset import BODY_PT, TEXT_WIDTH, Item, Line, Run, break_lines

HEADING_CLASS = {1: "heading1-font", 2: "heading2-font", 3: "", 4: ""}
RECORD_PT = 14.0
CC_LINE_PT = 20.0
REVIEW_LINE_PT = 22.0
THICK_RULE_PT = 1.0    # 0.35 mm
THIN_RULE_PT = 0.7     # 0.25 mm
VERIFY_PT = 57.96      # the QR code and two 14 pt lines
VERIFY_GAP_PT = 4.0


@dataclass
class Composed:
    layout: typeset.Layout
    record_html: Markup | None
    record_pt: float
    seal: dict | None       # left, top, size (pt) of the seal relative to the 落款's first line


def split_heading(para) -> tuple[str, str]:
    """(heading part, ordinary text) of a paragraph; 一、 and （一） headings end at 。."""
    if para.level not in (1, 2):
        return "", para.text
    text = para.text
    stop = text.find("。")
    if 0 <= stop < len(text) - 1:
        return text[:stop + 1], text[stop + 1:]
    return text, ""


def line_html(line: Line, *, extra_class: str = "") -> Markup:
    """A typeset line as a <div>: its spans, indent and letter-spacing; text escaped."""
    spans = Markup("").join(
        Markup('<span class="{}">{}</span>').format(css, text) if css else escape(text)
        for css, text in line.runs)
    # The common lines take classes (letter.css), so WeasyPrint parses fewer style attributes:
    # a paragraph's last line keeps the body's spacing; a full line of 16 pt Chinese
    # characters, indented or not, has one of two spacings.
    classes, styles = ["ln"], []
    if line.justified:
        classes.append("justified")
    if extra_class:
        classes.append(extra_class)
    if line.indent == typeset.FIRST_INDENT:
        classes.append("first")
    elif line.indent:
        styles.append(f"padding-left: {line.indent:.2f}pt")
    common = COMMON_SPACING.get(round(line.spacing, 3))
    if common:
        classes.append(common)
    elif line.spacing != typeset.BASE_SPACING:
        styles.append(f"letter-spacing: {line.spacing:.4f}pt")
    if styles:
        return Markup('<div class="{}" style="{}">{}</div>').format(
            " ".join(classes), "; ".join(styles), spans)
    return Markup('<div class="{}">{}</div>').format(" ".join(classes), spans)


# Letter-spacing (pt) of a full line of 16 pt Chinese characters (28, or 26 after the first
# line's indent of two grid columns: the same spacing); letter.css has a class for it.
COMMON_SPACING = {
    round((TEXT_WIDTH - 28 * BODY_PT) / 27, 3): "fill28",
    round((TEXT_WIDTH - typeset.FIRST_INDENT - 26 * BODY_PT) / 25, 3): "fill28",
}


def _simple(text: str, cls: str, style: str = "") -> Markup:
    return Markup('<div class="ln {}" style="{}">{}</div>').format(cls, style, text)


def _paragraph(runs: list[Run], kind: str, para: int | None = None,
               is_heading: bool = False, indent_em: float = 2.0) -> list[Item]:
    lines = break_lines(runs, first_indent=indent_em * (BODY_PT + typeset.BASE_SPACING))
    return [Item(kind, line_html(line), para=para, last_of_para=(i == len(lines) - 1),
                 is_heading=is_heading)
            for i, line in enumerate(lines)]


def compose(letter: Letter, chosen: dict, layout: dict, seal_url: str | None,
            qr: tuple | None) -> Composed:
    body_faces = chosen["body"].faces
    faces = {1: chosen["heading1"].faces, 2: chosen["heading2"].faces}
    blank = Item("blank", Markup('<div class="ln blank"></div>'))
    flow: list[Item] = []
    if letter.letterhead:
        flow += [Item("head", Markup('<div class="ln blank"></div>')) for _ in range(2)]
    if letter.result_class or letter.disclosure:
        if letter.result_class:
            flow.append(Item("head", _simple(letter.result_class, "mark heading1-font")))
        if letter.disclosure:
            flow.append(Item("head", _simple(letter.disclosure, "mark")))
        flow.append(blank)
    if letter.doc_number or letter.signer:
        parts = []
        if letter.doc_number:
            parts.append(Markup('<span class="doc-number">{}</span>').format(letter.doc_number))
        if letter.signer:
            parts.append(Markup('<span class="signer">签发人：<span class="heading2-font">{}'
                                '</span></span>').format(letter.signer))
        cls = "doc-line" + (" with-signer" if letter.signer else "")
        flow.append(Item("head", _simple(Markup("").join(parts), cls)))
        flow.append(blank)
    for line in letter.title_lines:
        flow.append(Item("title", _simple(line, "title title-font")))
    flow.append(blank)
    for line in break_lines([Run(letter.salutation, body_faces)]):
        flow.append(Item("salutation", line_html(line)))
    flow += _paragraph([Run(letter.opening, body_faces)], "para", para=-1)
    for index, para in enumerate(letter.body):
        head, rest = split_heading(para)
        runs = []
        if head:
            runs.append(Run(head, faces.get(para.level, body_faces), HEADING_CLASS[para.level]))
        if rest:
            runs.append(Run(rest, body_faces))
        flow += _paragraph(runs, "para", para=index, is_heading=bool(head) and not rest)
    if letter.closing:
        flow += _paragraph([Run(letter.closing, body_faces)], "para", para=len(letter.body))

    tail: list[Item] = []
    sealed = bool(letter.seal or letter.signature)
    blanks = 2 if sealed else 1
    tail += [Item("tail", Markup('<div class="ln blank"></div>')) for _ in range(blanks)]
    tail.append(Item("tail", _simple(letter.unit, "unit",
                                     f"padding-right: {layout['unit_pad']:.2f}pt")))
    tail.append(Item("tail", _simple(letter.date, "date",
                                     f"padding-right: {layout['date_pad']:.2f}pt")))
    if letter.contact:
        for line in break_lines([Run(letter.contact, body_faces)],
                                first_indent=typeset.FIRST_INDENT):
            tail.append(Item("tail", line_html(line, extra_class="note")))

    record_html, record_pt = _record(letter, body_faces, qr)
    result = typeset.paginate(flow, tail, record_pt)
    seal = None
    if sealed:
        pitch = result.pages[result.tail_page].pitch
        seal = _seal_box(pitch, layout)
    return Composed(result, record_html, record_pt, seal)


def _seal_box(pitch: float, layout: dict) -> dict:
    """The seal over the unit and date (GB/T 9704 §7.3.5.1): its top within a line of the
    text above, unit and date below its centre, its bottom clear of the 附注 under the date.

    Offsets are from the top of the 落款's first (blank) line; glyphs are taken to fill the
    middle 16 pt of their line."""
    leading = (pitch - BODY_PT) / 2
    size = min(typeset.SEAL_PT, 5 * pitch - BODY_PT - 3.0)
    bottom = 4 * pitch + leading - 1.5
    return {"left": round(layout["seal_left"] + (typeset.SEAL_PT - size) / 2, 2),
            "top": round(bottom - size, 2), "size": round(size, 2)}


def _record(letter: Letter, faces: list, qr) -> tuple[Markup | None, float]:
    """The 版记 at the bottom of the last page (抄送, review trail between rules) and the
    verification line above it; HTML with fixed heights, and its height in points."""
    parts: list[Markup] = []
    height = 0.0
    if letter.verification:
        size, path = qr
        lines = Markup("").join(Markup('<div class="verify-line">{}</div>').format(text)
                                for text in letter.verification_lines)
        parts.append(Markup(
            '<div class="verify"><svg class="qr" xmlns="http://www.w3.org/2000/svg" '
            'viewBox="-1 -1 {s} {s}" shape-rendering="crispEdges"><path fill="#000" d="{d}"/>'
            '</svg>{lines}</div>').format(s=size + 2, d=path, lines=lines))
        height += VERIFY_PT + VERIFY_GAP_PT
    if letter.cc or letter.reviewers:
        parts.append(Markup('<div class="rule-thick"></div>'))
        height += THICK_RULE_PT
        if letter.cc:
            label = len("抄送：") * RECORD_PT
            cc_lines = break_lines([Run(letter.cc, faces)], size=RECORD_PT,
                                   width=TEXT_WIDTH - 2 * RECORD_PT, rest_indent=label)
            for line in cc_lines:
                line.spacing = round(line.spacing - typeset.BASE_SPACING, 4) \
                    if not line.justified else line.spacing
                parts.append(line_html(line, extra_class="cc"))
            height += CC_LINE_PT * len(cc_lines)
            if letter.reviewers:
                parts.append(Markup('<div class="rule-thin"></div>'))
                height += THIN_RULE_PT
        if letter.reviewers:
            parts.append(Markup('<div class="review">{}</div>').format(letter.reviewers))
            height += REVIEW_LINE_PT
        parts.append(Markup('<div class="rule-thick"></div>'))
        height += THICK_RULE_PT
    if not parts:
        return None, 0.0
    html = Markup('<div class="record" style="height: {:.2f}pt">{}</div>').format(
        height, Markup("").join(parts))
    return html, height


__all__ = ["Composed", "compose", "split_heading"]
