"""The checklist of LETTER.md, measured on the rendered PDF."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.support.letters import render
from tracker.letters.samples import sample_letter

BODY_TEXT_SIZE = 16.0


def test_every_page_is_a4(three_pages):
    assert len(three_pages.pages) == 3
    for width, height in three_pages.pages:
        assert width == pytest.approx(210, abs=0.1)
        assert height == pytest.approx(297, abs=0.1)


def test_body_left_edge_and_first_line_indent(three_pages):
    body = [l for l in three_pages.page_lines(2, BODY_TEXT_SIZE)]
    flush = [l for l in body if l.x0 < 35]
    indented = [l for l in body if l.x0 >= 35]
    assert flush and indented
    for line in flush:
        assert line.x0 == pytest.approx(28.0, abs=0.5)
    for line in indented:
        assert line.x0 == pytest.approx(39.3, abs=0.3)


def test_full_page_holds_22_lines_on_the_grid(three_pages):
    lines = three_pages.page_lines(2, BODY_TEXT_SIZE)
    assert len(lines) == 22
    tops = [l.baseline for l in lines]  # the top depends on the face's bounding box
    pitches = [b - a for a, b in zip(tops, tops[1:])]
    assert all(10.20 <= p <= 10.25 for p in pitches), pitches
    assert sum(pitches) / len(pitches) == pytest.approx(10.225, abs=0.005)
    assert lines[0].top >= 37.0
    assert lines[-1].bottom <= 262.0


def test_full_line_holds_28_characters(three_pages):
    body = three_pages.page_lines(2, BODY_TEXT_SIZE)
    widest = max(len(l.text) for l in body if l.text.isascii() is False)
    full = [l for l in body if len(l.text) == 28]
    assert widest == 28 and full
    for line in full:
        assert line.x0 == pytest.approx(28.0, abs=0.5)
        assert line.x1 <= 184.1


def test_font_sizes_by_element(three_pages):
    r = three_pages
    assert r.find("吉卫复议字〔2026〕12号").size == pytest.approx(16)
    assert r.find("李华代表：").size == pytest.approx(16)
    assert r.find("第212号代表建议的答复").size == pytest.approx(22)
    assert r.find("吉林省卫生健康委员会").size == pytest.approx(16)
    assert r.find("2026年6月18日").size == pytest.approx(16)
    assert r.find("（联系人：刘洋").size == pytest.approx(16)
    assert r.find("抄送：").size == pytest.approx(14)
    assert r.find("初审：刘洋").size == pytest.approx(14)
    assert r.find("— 2 —").size == pytest.approx(14)


def test_page_numbers_alternate_sides(three_pages):
    numbers = [l for l in three_pages.lines if re.fullmatch(r"— \d+ —", l.text)]
    assert [l.text for l in numbers] == ["— 1 —", "— 2 —", "— 3 —"]
    for line in numbers:
        assert line.top == pytest.approx(269, abs=0.3)
        if line.page % 2:
            assert line.x1 == pytest.approx(179.06, abs=0.3)
        else:
            assert line.x0 == pytest.approx(32.94, abs=0.3)


def test_record_sits_at_the_bottom_of_the_last_page(three_pages):
    cc = three_pages.find("抄送：")
    review = three_pages.find("初审：")
    assert cc.page == review.page == 3
    assert cc.text == "抄送：省人大常委会人代选委、省政府办公厅。"
    assert cc.x0 == pytest.approx(28 + 4.94, abs=0.3)
    assert review.top > cc.top
    assert 240 < review.bottom <= 262


def test_text_reads_in_order(three_pages):
    text = re.sub(r"\s+", "", three_pages.text)
    parts = ["对省十四届人大三次会议", "吉卫复议字〔2026〕12号", "李华代表：",
             "您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。",
             "经商省人力资源和社会保障厅，现答复如下：", "一、关于基层卫生人才引进",
             "感谢您对卫生健康工作的关心和支持。", "吉林省卫生健康委员会", "2026年6月18日",
             "（联系人：刘洋", "电话：0431-88900000）", "抄送：", "初审：刘洋", "终审：周涛"]
    # The title comes first in reading order of content, the 字号 sits above it on the page.
    positions = [text.find(p) for p in parts]
    assert all(p >= 0 for p in positions), list(zip(parts, positions))
    assert positions[1:] == sorted(positions[1:])
    assert three_pages.find("吉卫复议字").top < three_pages.find("对省十四届").top


def test_fonts_embedded_and_subset(three_pages):
    reader = PdfReader(io.BytesIO(three_pages.pdf))
    seen = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
                else font
            descriptor = descendant["/FontDescriptor"].get_object()
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            seen[str(font["/BaseFont"])] = embedded
    assert seen
    for name, embedded in seen.items():
        assert re.match(r"^/?[A-Z]{6}\+", name), name
        assert embedded, name


def test_no_missing_glyphs(three_pages):
    assert "\ufffd" not in three_pages.text
    assert three_pages.report["warnings"] == []
    assert "近年来，我委会同省人力资源和社会保障厅" in three_pages.text.replace("\n", "")


def test_headings_use_their_fonts():
    r = render(sample_letter(1, body="一、总体情况\n（一）工作进展。正文仍用仿宋。\n1.具体措施\n"
                                      "（1）细项\n普通段落。"))
    fonts = {name: next(iter(r.find(name).fonts)) for name in
             ("一、总体情况", "（一）工作进展。正文仍用仿宋。", "1.具体措施", "普通段落。")}
    assert "Hei" in fonts["一、总体情况"]
    body_font = fonts["普通段落。"]
    assert "Fang" in body_font
    assert fonts["1.具体措施"] == body_font
    line = r.find("（一）工作进展。")
    assert len(line.fonts) == 2 and any("Kai" in f for f in line.fonts)


def test_missing_character_falls_back_and_is_reported():
    # 䶮 (U+4DAE, used in names) is not in GB2312, so FandolFang lacks it.
    r = render(sample_letter(1, proposers=["王䶮"]))
    assert "王䶮代表：" in r.text
    assert any("U+4DAE" in w for w in r.report["warnings"])
    assert "\ufffd" not in r.text


def test_seal_is_centred_on_unit_and_date(tmp_path):
    from tests.letters.test_grid import seal_png as png

    r = render(sample_letter(1, seal=png()))
    date, unit = r.find("2026年6月18日"), r.find("吉林省卫生健康委员会")
    assert date.x1 == pytest.approx(161.4, abs=0.5)
    assert (unit.x0 + unit.x1) / 2 == pytest.approx((date.x0 + date.x1) / 2, abs=0.6)
    [(page, x0, top, x1, bottom)] = r.images
    assert x1 - x0 == pytest.approx(42, abs=0.5)
    assert (x0 + x1) / 2 == pytest.approx((date.x0 + date.x1) / 2, abs=0.6)
    assert top < unit.top and bottom > date.bottom


def test_letterhead_and_watermark():
    r = render(sample_letter(2, letterhead=True, watermark="草稿"))
    head = [l for l in r.lines if l.page == 1 and l.text.startswith("吉林省卫生健康委员会")
            and l.size > 22]
    assert head and head[0].top == pytest.approx(30, abs=1.0)
    assert not [l for l in r.page_lines(1) if re.fullmatch(r"— \d+ —", l.text)]
    assert [l.text for l in r.page_lines(2) if re.fullmatch(r"— \d+ —", l.text)] == ["— 2 —"]
    doc = r.find("吉卫复议字〔2026〕12号")
    assert doc.x1 == pytest.approx(184, abs=0.5)
    marks = [l for l in r.lines if l.size > 60]
    assert {l.text for l in marks} >= {"草", "稿"} and {l.page for l in marks} == {1, 2}


def test_long_title_breaks_into_balanced_lines():
    r = render(sample_letter(1, meeting="政协第十三届吉林省委员会第四次会议", kind="proposal",
                             number="1234", proposers=["陈明", "王芳"]))
    title = [l for l in r.lines if abs(l.size - 22) < 0.05]
    assert len(title) == 2
    widths = [l.x1 - l.x0 for l in title]
    assert abs(widths[0] - widths[1]) <= 8
    assert all(l.x1 <= 184.1 and l.x0 >= 27.9 for l in title)
