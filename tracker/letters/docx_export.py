"""The reply letter as a Word document, laid out like the PDF (GB/T 9704-2012, LETTER.md).

The document is built from the same :class:`Letter` the PDF template prints, element by
element in the template's order, so the two cannot drift apart (the tests compare their
texts). Word is set up the way a typist sets it up for 公文: A4 with the 版心 margins, a
document grid of 22 lines × 28 characters, every body line exactly on the grid, fonts by role
(East Asian face in ``w:eastAsia``, Times New Roman for digits and Latin letters).

Only text from the Letter goes in. The seal image deliberately does not: an editable file
carrying the unit's seal could be edited and printed as sealed; the block keeps the seal's
room (two blank lines), as in the PDF.
"""
from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from xml.sax.saxutils import quoteattr

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from tracker.letters.compose import split_heading
from tracker.letters.inputs import Letter

# The families a Chinese office has installed (LETTER.md, "Fonts"), per role.
DEFAULT_FONTS: dict[str, str] = {
    "body": "仿宋_GB2312",
    "title": "方正小标宋简体",
    "heading1": "黑体",
    "heading2": "楷体_GB2312",
    "digits": "Times New Roman",
}
HEADING_ROLE = {1: "heading1", 2: "heading2"}   # levels 3 and 4 stay in the body face


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


# Page geometry in twips (twentieths of a point), Word's unit for it.
PAGE_WIDTH, PAGE_HEIGHT = _twips(210), _twips(297)          # 11906 × 16838, Word's A4
MARGIN_TOP, MARGIN_BOTTOM = _twips(37), _twips(35)
MARGIN_LEFT, MARGIN_RIGHT = _twips(28), _twips(26)
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT         # 8845 = 156 mm
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM       # 12756 = 225 mm
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_PT, TITLE_PT, SMALL_PT = 16, 22, 14                     # 三号, 二号, 四号
# The grid line, rounded down so that 22 lines fit the block: 579 twips = 28.95 pt.
LINE = TEXT_HEIGHT // LINES_PER_PAGE
# The line grid only (w:docGrid type="lines"): a character grid (linesAndChars with
# w:charSpace) is read differently by LibreOffice, which sets about 20 characters a line.
# 28 characters a line come from the characters' own spacing instead, as in the PDF:
# -0.25 pt each (in twentieths of a point), 28 x 15.75 pt within the 156 mm line.
CHAR_SPACING = -5
CHAR = BODY_PT * 20          # one 三号 character in twips, the fallback of the *Chars indents
SMALL_CHAR = SMALL_PT * 20   # one 四号 character (版记, page numbers)

# The footer's bottom edge is 20 mm above the page edge, where 信函格式 puts its lower red
# rule; the page number is lifted from there so that its top sits at y = 269 mm.
FOOTER_DISTANCE = _twips(20)
PAGE_NUMBER_AFTER = _twips(297 - 20 - 269) - SMALL_PT * 20
HEADER_DISTANCE = _twips(15)

RED = "E60000"            # the letterhead's red, as in letter.css
WATERMARK_GREY = "BFBFBF"
RULE_THICK, RULE_THIN = 8, 6   # border widths in eighths of a point: 0.35 mm and 0.25 mm
# The letterhead's double rules: thick over thin under the name, thin over thick at the
# bottom (GB/T 9704 信函格式), about as wide overall as the PDF's (0.8 + gap + 0.3 mm).
LETTERHEAD_RULE_SIZE = 36
LETTERHEAD_RULE_GAP_PT = 11    # 4 mm between the name and the rule


def letter_docx(letter: Letter, fonts: dict[str, str] | None = None) -> bytes:
    """The letter as a Word document in the same layout as the PDF, from the same Letter."""
    faces = _faces(fonts)
    document = Document()
    _clean_package(document, letter)
    _set_defaults(document, faces)
    section = document.sections[0]
    _set_page(section)

    body = _Writer(document, faces)
    _write_letter(body, letter)

    document.settings.odd_and_even_pages_header_footer = True
    # 信函格式 prints no page number on page 1; its first page carries the lower red rule.
    section.different_first_page_header_footer = bool(letter.letterhead)
    _write_footers(section, faces, bool(letter.letterhead))
    if letter.watermark:
        _write_watermark(section, faces, letter.watermark)

    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _faces(fonts: dict[str, str] | None) -> dict[str, str]:
    faces = dict(DEFAULT_FONTS)
    for role, family in (fonts or {}).items():
        if role not in faces:
            raise ValueError(f"unknown letter font role {role!r}")
        if not isinstance(family, str) or not family.strip():
            raise ValueError(f"font family for {role!r} must be a name")
        faces[role] = family.strip()
    return faces


# --- the letter, in the order of templates/letters/letter.html -------------------------------

def _write_letter(w: _Writer, letter: Letter) -> None:
    if letter.letterhead:
        _write_letterhead(w, letter.letterhead)

    # A `class_mark` field may replace result_class as what the template prints.
    class_mark = getattr(letter, "class_mark", letter.result_class)
    if class_mark or letter.disclosure:
        if class_mark:
            w.paragraph([(class_mark, "heading1")], jc="right")
        if letter.disclosure:
            w.paragraph([(letter.disclosure, "body")], jc="right")
        w.blank()

    if letter.doc_number or letter.signer:
        _write_doc_line(w, letter)
        w.blank()

    # Title lines as balanced by parse(), one paragraph; off the character grid, which is
    # made for 16 pt characters (the PDF sets the title without letter spacing too).
    title = w.paragraph([("\n".join(letter.title_lines), "title")], size=TITLE_PT,
                        jc="center", grid=False)
    title.paragraph_format.keep_with_next = True
    w.blank()

    w.paragraph([(letter.salutation, "body")], jc="left")
    last_text = w.paragraph([(letter.opening, "body")], ind=_first_line_indent())
    for para in letter.body:
        head, rest = split_heading(para)
        role = HEADING_ROLE.get(para.level, "body")
        runs = [(text, r) for text, r in ((head, role), (rest, "body")) if text]
        last_text = w.paragraph(runs, ind=_first_line_indent())

    # The closing, signature block, 附注 and verification stay together with the end of the
    # text before them, as the PDF's .tail does: never a page of only a date.
    tail = []
    if letter.closing:
        tail.append(w.paragraph([(letter.closing, "body")], ind=_first_line_indent()))
    tail.extend(_write_signature(w, letter))
    if letter.contact:
        tail.append(w.paragraph([(letter.contact, "body")], ind=_first_line_indent()))
    for line in letter.verification_lines:
        # Plain 14 pt lines where the 附注 starts (the PDF's QR code is left out).
        tail.append(w.paragraph([(line, "body")], size=SMALL_PT, jc="left", grid=False,
                                ind={"left": 2 * CHAR}))
    for paragraph in [last_text, *tail[:-1]]:
        paragraph.paragraph_format.keep_with_next = True
    for paragraph in tail:
        paragraph.paragraph_format.keep_together = True

    if letter.cc or letter.reviewers:
        _write_record(w, letter)


def _first_line_indent() -> dict:
    # Both forms: Word uses the character count (it follows the grid), others the twips.
    return {"firstLineChars": 200, "firstLine": 2 * CHAR}


def _write_letterhead(w: _Writer, name: str) -> None:
    """The unit's name in red over a thick-thin red rule, two grid lines in all.

    The PDF puts the name at y = 30 mm, above the text block; Word cannot, so the name starts
    at the block's top and the rest of the letter stays on the PDF's grid lines (line 3 on).
    """
    # The size render._layout gives the name: 36 pt, smaller when it would not fit 160 mm.
    size = round(min(36.0, 160 * 72 / 25.4 / max(len(name), 1) / 1.1), 2)
    rule_height = LETTERHEAD_RULE_SIZE / 8 * 20
    after = 2 * LINE - round(size * 20) - LETTERHEAD_RULE_GAP_PT * 20 - rule_height
    border = _border("bottom", "thickThinSmallGap", LETTERHEAD_RULE_SIZE, RED,
                     LETTERHEAD_RULE_GAP_PT)
    w.paragraph([(name, "title")], size=size, color=RED, char_spacing=round(size * 2),
                jc="center", grid=False, line=round(size * 20), after=max(0, round(after)),
                borders=border)


def _write_doc_line(w: _Writer, letter: Letter) -> None:
    if letter.signer:
        # 字号 1 character in from the left, 签发人 1 character in from the right (GB/T 9704
        # 7.2.4), on one line as in the PDF: a right tab stop where the right indent is.
        runs = [(letter.doc_number or "", "body"), ("\t签发人：", "body"),
                (letter.signer, "heading2")]
        w.paragraph([r for r in runs if r[0]], jc="left",
                    ind={"leftChars": 100, "left": CHAR, "rightChars": 100, "right": CHAR},
                    tabs=[("right", TEXT_WIDTH - CHAR)])
    else:
        # Centred; flush right with the letterhead (信函格式).
        w.paragraph([(letter.doc_number, "body")],
                    jc="right" if letter.letterhead else "center")


def _write_signature(w: _Writer, letter: Letter) -> list:
    """Blank lines, the unit name and the date, right-aligned as in the PDF."""
    sealed = bool(letter.signature or letter.seal)
    blanks = [w.blank() for _ in range(2 if sealed else 1)]
    unit_pad, date_pad = _signature_pads(letter.unit, letter.date, sealed)
    unit = w.paragraph([(letter.unit, "body")], jc="right", ind=_right_indent(unit_pad))
    date = w.paragraph([(letter.date, "body")], jc="right", ind=_right_indent(date_pad))
    return [*blanks, unit, date]


def _signature_pads(unit: str, date: str, sealed: bool) -> tuple[float, float]:
    """Right indents of the unit name and the date, in characters.

    With a seal (GB/T 9704 7.3.5.1): the date 4 characters in, the unit centred over it.
    Without (7.3.5.2): the unit 2 characters in, the date starting 2 characters to the right
    of the unit's first character; a date longer than the unit gets 2 characters and pushes
    the unit left instead.
    """
    unit_w, date_w = _width(unit), _width(date)
    if sealed:
        return max(0.0, 4 + (date_w - unit_w) / 2), 4.0
    if date_w > unit_w:
        return 4 + date_w - unit_w, 2.0
    return 2.0, unit_w - date_w


def _width(text: str) -> float:
    """Width in 三号 characters: CJK full width, digits and Latin half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def _right_indent(chars: float) -> dict:
    return {"rightChars": round(chars * 100), "right": round(chars * CHAR)}


def _write_record(w: _Writer, letter: Letter) -> None:
    """版记: thick rule, 抄送, thin rule, review trail, thick rule; 四号, 1 character in.

    The rules are empty paragraphs of their own so that they run the full 156 mm while the
    text is indented (a paragraph's border follows its indents); kept together on one page.
    """
    parts = [w.rule(RULE_THICK)]
    text = {"size": SMALL_PT, "jc": "left", "grid": False, "line": 20 * 20,
            "ind": {"left": SMALL_CHAR, "right": SMALL_CHAR}}
    if letter.cc:
        parts.append(w.paragraph([(letter.cc, "body")], **text))
    if letter.reviewers:
        if letter.cc:
            parts.append(w.rule(RULE_THIN))
        parts.append(w.paragraph([(letter.reviewers, "body")], before=2 * 20, **text))
    parts.append(w.rule(RULE_THICK))
    for paragraph in parts[:-1]:
        paragraph.paragraph_format.keep_with_next = True


# --- headers and footers ----------------------------------------------------------------------

def _write_footers(section, faces: dict[str, str], letterhead: bool) -> None:
    """— N — in 四号, odd pages right and even pages left, 1 character in (GB/T 9704 7.5)."""
    for footer, jc, side in ((section.footer, "right", "right"),
                             (section.even_page_footer, "left", "left")):
        w = _Writer(footer, faces, clear=True)
        paragraph = w.paragraph([], size=SMALL_PT, jc=jc, grid=False, line=SMALL_PT * 20,
                                after=PAGE_NUMBER_AFTER, ind={side: SMALL_CHAR})
        rpr = _rpr(faces["body"], faces["digits"], SMALL_PT, hint=False)
        for element in _page_number(rpr):
            paragraph._p.append(element)
    if letterhead:
        # The lower red rule, thin over thick, 20 mm above the page edge; no page number.
        w = _Writer(section.first_page_footer, faces, clear=True)
        w.paragraph([], grid=False, line=20,
                    borders=_border("bottom", "thinThickSmallGap", LETTERHEAD_RULE_SIZE, RED))


def _page_number(rpr: str) -> list:
    """Runs of '— {PAGE} —': a PAGE field whose shown result Word updates on every page."""
    ns = nsdecls("w")
    return [parse_xml(xml) for xml in (
        f'<w:r {ns}>{rpr}<w:t xml:space="preserve">— </w:t></w:r>',
        f'<w:r {ns}>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {ns}>{rpr}<w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>',
        f'<w:r {ns}>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r {ns}>{rpr}<w:t>1</w:t></w:r>',
        f'<w:r {ns}>{rpr}<w:fldChar w:fldCharType="end"/></w:r>',
        f'<w:r {ns}>{rpr}<w:t xml:space="preserve"> —</w:t></w:r>',
    )]


def _write_watermark(section, faces: dict[str, str], text: str) -> None:
    """The watermark (草稿) as light grey text in the header of every page, as the PDF repeats
    it on every page: plain text, so it can be found and deleted like any other."""
    headers = [section.header, section.even_page_header]
    if section.different_first_page_header_footer:
        headers.append(section.first_page_header)
    for header in headers:
        w = _Writer(header, faces, clear=True)
        w.paragraph([(text, "body")], size=TITLE_PT, color=WATERMARK_GREY,
                    char_spacing=TITLE_PT * 20 // 2, jc="center", grid=False,
                    line=round(TITLE_PT * 1.3 * 20))


# --- document set-up --------------------------------------------------------------------------

def _clean_package(document, letter: Letter) -> None:
    """Core properties from the letter only; nothing left over from python-docx's template."""
    props = document.core_properties
    props.title = letter.title
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""          # the template says "generated by python-docx"
    props.subject = props.keywords = props.category = ""
    now = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = now
    props.revision = 1
    # The template's thumbnail shows an empty page: file managers would show it as the letter.
    rels = document.part.package.rels
    for rel_id in [r for r, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rel_id]


def _set_defaults(document, faces: dict[str, str]) -> None:
    """Document defaults a typist would set: 仿宋 三号, exact grid lines, justified, no widow
    control (it would pull lines off a full page) and no automatic space between Chinese and
    digits (the PDF has none, and it would break the 28-character lines). No East Asian hint
    here: rFonts attributes inherit one by one, and the page numbers' dashes must stay Latin."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        styles.remove(defaults)
    styles.insert(0, parse_xml(
        f'<w:docDefaults {nsdecls("w")}>'
        f'<w:rPrDefault>{_rpr(faces["body"], faces["digits"], BODY_PT, hint=False, lang=True)}'
        f'</w:rPrDefault>'
        f'<w:pPrDefault><w:pPr><w:widowControl w:val="0"/><w:autoSpaceDE w:val="0"/>'
        f'<w:autoSpaceDN w:val="0"/><w:spacing w:before="0" w:after="0" w:line="{LINE}" '
        f'w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault>'
        f'</w:docDefaults>'))
    # The characters' spacing that sets 28 a line (see CHAR_SPACING), for every run.
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rpr.insert(_spacing_index(rpr), parse_xml(
        f'<w:spacing {nsdecls("w")} w:val="{CHAR_SPACING}"/>'))
    # Chinese, not the template's Japanese, for the theme's East Asian fonts.
    lang = document.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def _spacing_index(rpr) -> int:
    """Where w:spacing goes in a w:rPr: before w:sz (the schema's order)."""
    for index, child in enumerate(rpr):
        if child.tag in (qn("w:w"), qn("w:kern"), qn("w:position"), qn("w:sz"),
                         qn("w:szCs"), qn("w:lang")):
            return index
    return len(rpr)


def _set_page(section) -> None:
    sect_pr = section._sectPr
    pg_sz = sect_pr.get_or_add_pgSz()
    pg_sz.set(qn("w:w"), str(PAGE_WIDTH))
    pg_sz.set(qn("w:h"), str(PAGE_HEIGHT))
    pg_mar = sect_pr.get_or_add_pgMar()
    for name, value in (("top", MARGIN_TOP), ("bottom", MARGIN_BOTTOM), ("left", MARGIN_LEFT),
                        ("right", MARGIN_RIGHT), ("header", HEADER_DISTANCE),
                        ("footer", FOOTER_DISTANCE), ("gutter", 0)):
        pg_mar.set(qn(f"w:{name}"), str(value))
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = parse_xml(f'<w:docGrid {nsdecls("w")}/>')
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE))


# --- paragraphs and runs ----------------------------------------------------------------------

class _Writer:
    """Adds paragraphs with explicit formatting to the body, a header or a footer."""

    def __init__(self, container, faces: dict[str, str], clear: bool = False):
        self.container = container
        self.faces = faces
        if clear:
            # A new header/footer comes with an empty paragraph in the "Footer" style,
            # whose auto line height would push the page number off its place.
            for paragraph in list(container.paragraphs):
                paragraph._p.getparent().remove(paragraph._p)

    def paragraph(self, runs, *, size: float = BODY_PT, color: str | None = None,
                  char_spacing: int | None = None, **layout):
        """A paragraph of ``(text, role)`` runs, all of one size and colour."""
        paragraph = self.container.add_paragraph()
        paragraph._p.insert(0, parse_xml(_ppr(**layout)))
        for text, role in runs:
            run = paragraph.add_run(text)   # turns \n into w:br and \t into w:tab
            run._r.insert(0, parse_xml(_rpr(self.faces[role], self.faces["digits"], size,
                                            color=color, char_spacing=char_spacing)))
        return paragraph

    def blank(self):
        return self.paragraph([])

    def rule(self, width: int):
        """A full-width horizontal rule: an empty 1 pt paragraph with a top border."""
        return self.paragraph([], grid=False, line=20,
                              borders=_border("top", "single", width, "000000"))


def _ppr(*, jc: str = "both", ind: dict | None = None, line: int = LINE, before: int = 0,
         after: int = 0, grid: bool = True, borders: str = "",
         tabs: list[tuple[str, int]] | None = None) -> str:
    """A w:pPr, its children in the order the schema demands (Word rejects others)."""
    parts = []
    if borders:
        parts.append(f"<w:pBdr>{borders}</w:pBdr>")
    if tabs:
        parts.append("<w:tabs>" + "".join(f'<w:tab w:val="{kind}" w:pos="{pos}"/>'
                                          for kind, pos in tabs) + "</w:tabs>")
    if not grid:
        parts.append('<w:snapToGrid w:val="0"/>')
    parts.append(f'<w:spacing w:before="{before}" w:after="{after}" w:line="{line}" '
                 f'w:lineRule="exact"/>')
    if ind:
        parts.append("<w:ind " + " ".join(f'w:{k}="{v}"' for k, v in ind.items()) + "/>")
    parts.append(f'<w:jc w:val="{jc}"/>')
    return f'<w:pPr {nsdecls("w")}>{"".join(parts)}</w:pPr>'


def _rpr(east_asia: str, latin: str, size: float, *, color: str | None = None,
         char_spacing: int | None = None, hint: bool = True, lang: bool = False) -> str:
    """A w:rPr: the role's face for Chinese, ``latin`` for digits and Latin letters.

    The East Asian hint makes Word draw shared characters (“”, ‘’, —, …) with the Chinese
    face, full width, as the PDF does; page numbers go without it (their dashes are Latin).
    """
    fonts = (f'w:ascii={quoteattr(latin)} w:hAnsi={quoteattr(latin)} '
             f'w:eastAsia={quoteattr(east_asia)} w:cs={quoteattr(latin)}')
    if hint:
        fonts += ' w:hint="eastAsia"'
    parts = [f"<w:rFonts {fonts}/>"]
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if char_spacing:
        parts.append(f'<w:spacing w:val="{char_spacing}"/>')
    half_points = round(size * 2)
    parts.append(f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>')
    if lang:
        parts.append('<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>')
    return f'<w:rPr {nsdecls("w")}>{"".join(parts)}</w:rPr>'


def _border(side: str, style: str, width: int, color: str, space: int = 0) -> str:
    return (f'<w:{side} w:val="{style}" w:sz="{width}" w:space="{space}" '
            f'w:color="{color}"/>')
