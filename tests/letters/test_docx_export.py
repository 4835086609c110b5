"""The Word export: the same Letter as the PDF, in the same layout (LETTER.md), with the same
text. Real files: each letter is rendered to PDF once and written to .docx, then both are
read back (pdfplumber, python-docx)."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Emu

from tests.support.letters import Rendered, read_pdf
from tracker.letters import render_letter_report
from tracker.letters.docx_export import _signature_pads, letter_docx
from tracker.letters.inputs import Letter, parse
from tracker.letters.samples import PARAGRAPH, sample_letter

MM_PER_PT = 25.4 / 72
LINE_PT = 28.95
BODY_FONT, TITLE_FONT, HEI, KAI = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"
PAGE_NUMBER = re.compile(r"^— \d+ —$")

# Headings of all four levels, with and without text after the heading's 。, and the
# characters Word could draw in the wrong face (quotes, dashes, digits, Latin letters).
HEADED_BODY = "\n".join([
    "一、总体情况。我们高度重视基层卫生人才队伍建设，将其纳入“十四五”规划。",
    PARAGRAPH,
    "（一）人才引进。2025年共招聘本科以上医学毕业生1200名——其中定向生360名。",
    "1.具体措施。实施“县管乡用”改革，推行 PACS 远程诊断。",
    "（1）落实编制保障",
    "二、关于下一步工作",
    PARAGRAPH,
])

CASES = {
    # 3 pages, headings, class mark, 文号 centred, no seal: GB/T 9704 7.3.5.2 signature.
    "three_pages": sample_letter(3),
    # 信函格式, 签发人, a signed (sealed) block, watermark, verification lines.
    "letterhead": sample_letter(
        1, letterhead=True, signer="王强", watermark="草稿", signature=True,
        verification={"code": "ABCD-EFGH", "url": "https://letters.example.cn/verify/abc"}),
    # No 文号, no review trail, no marks; headings of every level.
    "bare": sample_letter(2, doc_number=None, reviewers=None, result_class=None,
                          disclosure=None, body=HEADED_BODY),
}


@dataclass
class Exported:
    letter: Letter
    data: bytes
    document: docx.document.Document
    pdf: Rendered


@pytest.fixture(scope="module")
def exported() -> dict[str, Exported]:
    """Every case rendered to PDF and exported to .docx once (PDF rendering takes a while)."""
    result = {}
    for name, data in CASES.items():
        letter = parse(data)
        raw = letter_docx(letter)
        pdf, report = render_letter_report(data)
        result[name] = Exported(letter, raw, docx.Document(io.BytesIO(raw)),
                                read_pdf(pdf, report))
    return result


@pytest.fixture(params=list(CASES))
def case(request, exported) -> Exported:
    return exported[request.param]


# --- reading the .docx back -------------------------------------------------------------------

def east_asia_font(run) -> str:
    return run._r.rPr.rFonts.get(qn("w:eastAsia"))


def latin_font(run) -> str:
    return run._r.rPr.rFonts.get(qn("w:ascii"))


def paragraph(document, text: str, last: bool = False):
    """The first (or last) body paragraph whose text, without whitespace, starts with
    ``text``."""
    found = [p for p in document.paragraphs
             if re.sub(r"\s+", "", p.text).startswith(re.sub(r"\s+", "", text))]
    assert found, f"no paragraph starts with {text!r}"
    return found[-1] if last else found[0]


def text_runs(p) -> list:
    return [r for r in p.runs if r.text]


def indent(p, name: str) -> int | None:
    ind = p._p.pPr.find(qn("w:ind"))
    value = None if ind is None else ind.get(qn(f"w:{name}"))
    return None if value is None else int(value)


def border(p, side: str):
    found = p._p.pPr.find(f"{qn('w:pBdr')}/{qn('w:' + side)}")
    return None if found is None else (found.get(qn("w:val")), int(found.get(qn("w:sz"))))


def docx_text(document) -> str:
    """The body's text in document order; headers and footers (watermark, page numbers) are
    not part of it."""
    return re.sub(r"\s+", "", "".join(p.text for p in document.paragraphs))


def pdf_text(rendered: Rendered, watermark: str | None) -> str:
    """The PDF's text in reading order, without page numbers and the (rotated, 110 pt)
    watermark, whose characters land between the body lines."""
    def is_watermark(line) -> bool:
        return bool(watermark) and line.size > 40 and set(line.text) <= set(watermark)

    kept = [l.text for l in rendered.lines
            if not PAGE_NUMBER.match(l.text) and not is_watermark(l)]
    return re.sub(r"\s+", "", "".join(kept))


def body_paragraphs(ex: Exported) -> list:
    """The opening, the body paragraphs and the closing: the letter's running text, one
    paragraph each, in a row."""
    texts = [ex.letter.opening, *(p.text for p in ex.letter.body)]
    if ex.letter.closing:
        texts.append(ex.letter.closing)
    paragraphs = ex.document.paragraphs
    start = [p.text for p in paragraphs].index(ex.letter.opening)
    found = paragraphs[start:start + len(texts)]
    assert [p.text for p in found] == texts
    return found


# --- the text ---------------------------------------------------------------------------------

def test_docx_text_is_the_pdf_text(case):
    expected = pdf_text(case.pdf, case.letter.watermark)
    assert expected, "the PDF has no text"
    assert docx_text(case.document) == expected


def test_watermark_is_in_every_header_and_not_in_the_text(exported):
    ex = exported["letterhead"]
    section = ex.document.sections[0]
    for header in (section.header, section.even_page_header, section.first_page_header):
        runs = [r for p in header.paragraphs for r in p.runs if r.text]
        assert "".join(r.text for r in runs) == "草稿"
        assert all(str(r.font.color.rgb) == "BFBFBF" for r in runs)
    assert "草稿" not in docx_text(ex.document)
    plain = exported["three_pages"].document.sections[0]
    assert not "".join(p.text for p in plain.header.paragraphs).strip()


def test_core_properties_carry_only_the_title(case):
    props = case.document.core_properties
    assert props.title == case.letter.title
    assert props.author == "" and props.last_modified_by == "" and props.comments == ""
    names = zipfile.ZipFile(io.BytesIO(case.data)).namelist()
    # python-docx's template thumbnail (an empty page) must not stand for the letter.
    assert not [n for n in names if "thumbnail" in n]
    assert not [n for n in names if n.startswith("word/media/")]   # no seal image either


# --- page set-up ------------------------------------------------------------------------------

def test_page_is_a4_with_the_text_block_margins(case):
    section = case.document.sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    assert section.top_margin.mm == pytest.approx(37, abs=0.1)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.1)
    assert section.left_margin.mm == pytest.approx(28, abs=0.1)
    assert section.right_margin.mm == pytest.approx(26, abs=0.1)


def test_document_grid_is_22_lines_of_28_characters(case):
    section = case.document.sections[0]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    line_pitch = int(grid.get(qn("w:linePitch")))
    assert line_pitch == 579
    text_height = Emu(section.page_height - section.top_margin - section.bottom_margin).pt
    assert 22 * line_pitch / 20 <= text_height < 23 * line_pitch / 20
    # 28 characters of 16 pt with the default character spacing fill the 156 mm; 29 do not.
    text_width = Emu(section.page_width - section.left_margin - section.right_margin).pt
    assert text_width == pytest.approx(156 / MM_PER_PT, abs=0.1)
    defaults = case.document.styles.element.find(qn("w:docDefaults"))
    spacing = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:spacing"))
    pitch = 16 + int(spacing.get(qn("w:val"))) / 20
    assert 28 * pitch <= text_width < 29 * pitch


def test_every_body_paragraph_is_exactly_on_the_grid(case):
    title = paragraph(case.document, case.letter.title_lines[0])
    texts = [case.letter.salutation, case.letter.unit, case.letter.date, title.text]
    # The last of each: with a letterhead, the unit's name is also the first paragraph.
    checked = body_paragraphs(case) + [paragraph(case.document, t, last=True) for t in texts]
    # The blank lines between the parts (the empty paragraphs that are not rules).
    checked += [p for p in case.document.paragraphs
                if not p.text and p._p.pPr.find(qn("w:pBdr")) is None]
    for p in checked:
        fmt = p.paragraph_format
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY, p.text
        assert fmt.line_spacing.pt == pytest.approx(LINE_PT, abs=0.01), p.text
        assert fmt.space_before.pt == 0 and fmt.space_after.pt == 0


def test_body_paragraphs_are_indented_two_characters_and_justified(case):
    for p in body_paragraphs(case):
        assert indent(p, "firstLineChars") == 200
        assert indent(p, "firstLine") == 640   # 2 × 16 pt in twips
        assert p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    salutation = paragraph(case.document, case.letter.salutation)
    assert salutation.alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert indent(salutation, "firstLineChars") is None


# --- fonts and sizes --------------------------------------------------------------------------

def test_title_is_xiaobiaosong_22pt_centred_in_its_balanced_lines(case):
    title = paragraph(case.document, case.letter.title_lines[0])
    assert title.text.split("\n") == case.letter.title_lines
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    for run in text_runs(title):
        assert east_asia_font(run) == TITLE_FONT
        assert run.font.size.pt == 22


def test_running_text_is_fangsong_16pt_with_times_for_digits(case):
    for p in body_paragraphs(case) + [paragraph(case.document, case.letter.salutation)]:
        for run in text_runs(p):
            assert run.font.size.pt == 16
            assert latin_font(run) == "Times New Roman"
            # Shared characters (“”, ——) in the Chinese face, full width, as in the PDF.
            assert run._r.rPr.rFonts.get(qn("w:hint")) == "eastAsia"
            if not re.match(r"^(一|二)、|^（一）", run.text):
                assert east_asia_font(run) == BODY_FONT, run.text


def test_heading_part_in_the_heading_face_the_rest_in_fangsong(exported):
    document = exported["bare"].document
    expected = {
        "一、总体情况。": [("一、总体情况。", HEI), ("我们高度重视", BODY_FONT)],
        "（一）人才引进。": [("（一）人才引进。", KAI), ("2025年共招聘", BODY_FONT)],
        "1.具体措施。": [("1.具体措施。实施", BODY_FONT)],       # level 3: all 仿宋
        "（1）落实编制保障": [("（1）落实编制保障", BODY_FONT)],  # level 4
        "二、关于下一步工作": [("二、关于下一步工作", HEI)],      # no 。: all heading
    }
    for start, parts in expected.items():
        runs = text_runs(paragraph(document, start))
        assert len(runs) == len(parts), start
        for run, (text, font) in zip(runs, parts):
            assert run.text.startswith(text)
            assert east_asia_font(run) == font
            assert run.font.size.pt == 16


def test_class_mark_and_disclosure_top_right(exported):
    document = exported["three_pages"].document
    mark, disclosure = document.paragraphs[0], document.paragraphs[1]
    assert (mark.text, disclosure.text) == ("A", "此件公开发布")
    assert mark.alignment == disclosure.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert east_asia_font(mark.runs[0]) == HEI
    assert east_asia_font(disclosure.runs[0]) == BODY_FONT


def test_doc_number_centred_or_with_the_signer(exported):
    centred = paragraph(exported["three_pages"].document, "吉卫复议字〔2026〕12号")
    assert centred.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asia_font(centred.runs[0]) == BODY_FONT

    line = paragraph(exported["letterhead"].document, "吉卫复议字〔2026〕12号")
    assert line.text == "吉卫复议字〔2026〕12号\t签发人：王强"
    label, name = text_runs(line)[-2:]
    assert (label.text.strip(), east_asia_font(label)) == ("签发人：", BODY_FONT)
    assert (name.text, east_asia_font(name)) == ("王强", KAI)
    # 1 character in on both sides; the signer at a right tab stop on the right indent.
    assert indent(line, "leftChars") == indent(line, "rightChars") == 100
    stop = line.paragraph_format.tab_stops[0]
    assert stop.position.pt == pytest.approx(156 / MM_PER_PT - 16, abs=0.1)

    assert "文号" not in docx_text(exported["bare"].document)
    assert "〔" not in docx_text(exported["bare"].document)


def test_letterhead_red_xiaobiaosong_over_a_double_rule(exported):
    document = exported["letterhead"].document
    head = document.paragraphs[0]
    assert head.text == "吉林省卫生健康委员会"
    assert head.alignment == WD_ALIGN_PARAGRAPH.CENTER
    run = head.runs[0]
    assert east_asia_font(run) == TITLE_FONT
    assert str(run.font.color.rgb) == "E60000"
    assert border(head, "bottom")[0] == "thickThinSmallGap"   # thick over thin
    # The rest of the letter starts on the third grid line, as in the PDF.
    fmt = head.paragraph_format
    rule = 36 / 8 + 11     # the rule's width and its gap to the name, in pt
    assert fmt.line_spacing.pt + rule + fmt.space_after.pt == pytest.approx(2 * LINE_PT, abs=1)


def test_record_14pt_between_full_width_rules(exported):
    document = exported["three_pages"].document
    paragraphs = document.paragraphs
    cc = paragraph(document, "抄送：")
    review = paragraph(document, "初审：")
    elements = [p._p for p in paragraphs]
    i, j = elements.index(cc._p), elements.index(review._p)
    assert border(paragraphs[i - 1], "top") == ("single", 8)     # 0.35 mm
    assert border(paragraphs[j - 1], "top") == ("single", 6)     # 0.25 mm
    assert border(paragraphs[j + 1], "top") == ("single", 8)
    assert j + 2 == len(paragraphs)                              # 版记 ends the letter
    for p in (cc, review):
        assert indent(p, "left") == indent(p, "right") == 280   # 1 四号 character
        for run in text_runs(p):
            assert run.font.size.pt == 14 and east_asia_font(run) == BODY_FONT

    bare = exported["bare"].document.paragraphs
    assert bare[-2].text.startswith("抄送：") and not any("初审" in p.text for p in bare)
    assert border(bare[-3], "top") == ("single", 8) and border(bare[-1], "top") == ("single", 8)


def test_contact_and_verification_lines(exported):
    ex = exported["letterhead"]
    contact = paragraph(ex.document, ex.letter.contact)
    assert indent(contact, "firstLineChars") == 200
    for line in ex.letter.verification_lines:
        p = paragraph(ex.document, line)
        assert p.text == line
        assert all(r.font.size.pt == 14 for r in text_runs(p))


# --- the signature block ----------------------------------------------------------------------

def _pads(ex: Exported) -> tuple[float, float]:
    # The last of each: the letterhead is the unit's name too.
    unit = paragraph(ex.document, ex.letter.unit, last=True)
    date = paragraph(ex.document, ex.letter.date, last=True)
    assert (unit.text, date.text) == (ex.letter.unit, ex.letter.date)
    assert unit.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    return indent(unit, "rightChars") / 100, indent(date, "rightChars") / 100


@pytest.mark.parametrize("name, blanks", [("three_pages", 1), ("letterhead", 2)])
def test_unit_and_date_right_aligned_as_in_the_pdf(exported, name, blanks):
    ex = exported[name]
    unit_pad, date_pad = _pads(ex)
    em = 16 * MM_PER_PT
    right_edge = 28 + 156
    # The PDF's positions: right indents in characters, within a quarter character.
    pdf_unit = [l for l in ex.pdf.lines if l.text == ex.letter.unit][-1]
    pdf_date = ex.pdf.find(ex.letter.date)
    assert unit_pad == pytest.approx((right_edge - pdf_unit.x1) / em, abs=0.25)
    assert date_pad == pytest.approx((right_edge - pdf_date.x1) / em, abs=0.25)
    if name == "letterhead":
        assert date_pad == 4     # sealed: 4 characters in, the unit centred over the date
    # Blank lines before the unit: one, two when a seal is laid out (as in the PDF).
    paragraphs = ex.document.paragraphs
    unit_index = max(i for i, p in enumerate(paragraphs) if p.text == ex.letter.unit)
    before = paragraphs[unit_index - blanks - 1:unit_index]
    assert [p.text for p in before[1:]] == [""] * blanks and before[0].text


def test_unsealed_date_longer_than_the_unit_follows_gb_9704():
    # 7.3.5.2: the date 2 characters in, its first character 2 to the right of the unit's.
    unit_pad, date_pad = _signature_pads("省教育厅", "2026年6月18日", sealed=False)
    assert date_pad == 2
    assert (unit_pad + 4) - (date_pad + 6.5) == 2
    assert _signature_pads("吉林省卫生健康委员会", "2026年6月18日", sealed=False) == (2, 3.5)


# --- page numbers -----------------------------------------------------------------------------

def _page_field(footer) -> str:
    runs = [p._p for p in footer.paragraphs]
    return "".join(t.text for p in runs for t in p.iter(qn("w:instrText")))


def test_page_numbers_odd_right_even_left_with_page_fields(case):
    section = case.document.sections[0]
    assert case.document.settings.odd_and_even_pages_header_footer
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        assert not footer.is_linked_to_previous
        (p,) = footer.paragraphs
        assert _page_field(footer).strip() == "PAGE"
        assert PAGE_NUMBER.match(p.text)                     # "— 1 —", the field's result
        assert p.alignment == align
        assert indent(p, side) == 280                        # 1 四号 character in
        for run in text_runs(p):
            assert run.font.size.pt == 14
            assert latin_font(run) == "Times New Roman"
            # No East Asian hint, on the run or inherited: the dashes are Latin em dashes.
            assert run._r.rPr.rFonts.get(qn("w:hint")) is None
    defaults = case.document.styles.element.find(qn("w:docDefaults"))
    assert not [f for f in defaults.iter(qn("w:rFonts")) if f.get(qn("w:hint"))]


def test_letterhead_first_page_has_no_page_number(exported):
    section = exported["letterhead"].document.sections[0]
    assert section.different_first_page_header_footer
    first = section.first_page_footer
    assert "PAGE" not in _page_field(first)
    assert border(first.paragraphs[0], "bottom")[0] == "thinThickSmallGap"   # lower red rule
    assert not exported["three_pages"].document.sections[0].different_first_page_header_footer


# --- fonts per role ---------------------------------------------------------------------------

def test_fonts_override_the_family_per_role(exported):
    letter = exported["bare"].letter
    document = docx.Document(io.BytesIO(letter_docx(
        letter, fonts={"body": "方正仿宋_GBK", "heading1": "方正黑体_GBK",
                       "heading2": "方正楷体_GBK", "title": "方正小标宋_GBK"})))
    heading = text_runs(paragraph(document, "一、总体情况。"))
    assert [east_asia_font(r) for r in heading] == ["方正黑体_GBK", "方正仿宋_GBK"]
    assert east_asia_font(text_runs(paragraph(document, "（一）"))[0]) == "方正楷体_GBK"
    assert east_asia_font(text_runs(paragraph(document, letter.title_lines[0]))[0]) \
        == "方正小标宋_GBK"
    assert docx_text(document) == docx_text(exported["bare"].document)


def test_unknown_font_role_is_refused(exported):
    with pytest.raises(ValueError, match="role"):
        letter_docx(exported["bare"].letter, fonts={"stamp": "SimSun"})
