"""The typist's grid on real text, measured on the PDF: full lines end at the right edge
whatever mix of Chinese, digits and Latin they hold; 22 lines on every page before the last;
the 落款 never alone; the seal over the unit and date and clear of every other text."""
from __future__ import annotations

import re
import struct
import zlib

import pytest

from tests.support.letters import render
from tracker.letters import typeset
from tracker.letters.samples import sample_letter

BODY = 16.0
# The baseline of the 22nd line of a page (the text block ends at y = 262 mm).
LAST_BASELINE = 258.95
# Real reply text (a city health commission's plan and a province's reform tasks, as
# published), with the digits, decimals, Latin, times and URLs that real letters carry.
REAL = [
    "截至2020年末，全市医疗卫生机构达到426所，其中市直医疗机构10所，基层医疗机构16所，"
    "厂矿医院1所，民营医院10所，个体诊所144所，护理站1个，门诊部9所，康复医疗中心2所，"
    "卫生所14所，村卫生室219所；卫生人员2503名，其中卫生技术人员2357名，床位1859张。",
    "每千人口拥有医疗卫生机构床位数6.82张、执业（助理）医师3.34人、注册护士3.17人，"
    "人均预期寿命达到78岁以上，主要健康指标达到全市平均水平。",
    "（一）大力推广三明市医改经验。以药品集中采购和使用为突破口，进一步深化医药卫生体制改革。"
    "组织开展推广三明市医改经验培训班，以“大改革”思维推进制度创新。"
    "（省医改领导小组秘书处、各相关部门按职责分工负责）",
    "群众可登录省卫生健康委网站https://wsjkw.jl.gov.cn/查询，或在工作日8:30至17:00拨打"
    "12320热线咨询；COVID-19疫苗接种点的名单每周更新，详见www.jl.gov.cn/ywdt/。",
    "2021年是中国共产党成立100周年，也是实施“十四五”规划、开启全面建设社会主义现代化国家"
    "新征程的第一年，深化医改要坚持以人民健康为中心，着力解决看病难、看病贵问题。",
    "执业医师晋升为副高级技术职称的，应当有累计1年以上在县级以下或者对口支援的医疗卫生"
    "机构提供医疗卫生服务的经历；影像学、妇科、儿科等乡村急需紧缺卫生健康专业毕业生，"
    "享受紧缺人才招聘政策，2023年共招聘156人，占计划的97.5%。",
]


def seal_png(size: int = 64) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00\x80" * size for _ in range(size))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def real_letter(repeat: int = 3, **changes) -> dict:
    body = ["一、关于基层医疗卫生机构建设"] + REAL * repeat
    return sample_letter(1, body="\n".join(body), **changes)


@pytest.fixture(scope="module")
def real():
    return render(real_letter())


def body_lines(rendered, page=None):
    return [l for l in rendered.lines if abs(l.size - BODY) < 0.05
            and (page is None or l.page == page) and not l.text.startswith("—")]


def paragraph_ends(rendered) -> set[str]:
    """Texts of the lines that end a paragraph (not justified: they may end short)."""
    ends = set()
    for para in REAL + ["一、关于基层医疗卫生机构建设"]:
        ends.add(para[-6:])
    return ends


def test_every_full_line_ends_at_the_right_edge(real):
    lines = body_lines(real)
    full = [l for l in lines if l.x0 < 40 and not any(l.text.endswith(e)
                                                      for e in paragraph_ends(real))
            and not l.text.endswith(("：", "代表：", "如下：", "委员会", "日", "）"))
            and l.x1 > 150]
    mixed = [l for l in full if re.search(r"[0-9A-Za-z]", l.text)]
    assert len(mixed) >= 10, [l.text for l in full]
    for line in full:
        assert line.x1 == pytest.approx(184.0, abs=0.3), (line.text, line.x1)
        assert line.x0 == pytest.approx(28.0, abs=0.3) or line.x0 == pytest.approx(39.1, abs=0.3)


def test_no_line_runs_past_the_right_edge(real):
    """Paragraph-final lines included (a closing mark pushed in makes them full too)."""
    for line in body_lines(real):
        assert line.x1 <= 184.3, (line.text, line.x1)


def test_indented_first_lines_hold_26_characters_on_the_grid(real):
    first = [l for l in body_lines(real) if 38.8 < l.x0 < 39.5 and l.x1 > 183.5
             and not re.search(r"[\x21-\x7e]", l.text)]
    assert first
    for line in first:
        assert len(line.text) in (26, 27), line.text  # 27: a closing mark pushed in
        assert line.x1 == pytest.approx(184.0, abs=0.3)


def test_pure_chinese_full_lines_hold_28_characters(real):
    pure = [l for l in body_lines(real) if l.x0 < 30 and l.x1 > 183.5
            and not re.search(r"[\x21-\x7e]", l.text)]
    assert pure
    # Push-in (挤进) lets a closing mark squeeze onto a full line: 28 characters + the mark.
    assert {len(l.text) for l in pure} <= {28, 29}
    assert sum(len(l.text) == 28 for l in pure) >= len(pure) // 2
    for line in pure:
        if len(line.text) == 29:
            assert line.text[-1] in typeset.NO_LINE_START


def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(real):
    for line in body_lines(real):
        assert line.text[0] not in "，。、；：？！）》”", line.text
        assert line.text[-1] not in "（《“", line.text


def test_numbers_urls_and_decimals_are_never_split(real):
    text_lines = [l.text for l in body_lines(real)]
    for token in ("6.82", "3.34", "97.5%", "8:30", "17:00", "COVID-19", "2503", "12320"):
        assert any(token in t for t in text_lines), token
    joined = "".join(text_lines)
    assert "https://wsjkw.jl.gov.cn/" in joined


def test_22_lines_on_every_page_but_the_last(real):
    pages = sorted({l.page for l in body_lines(real)})
    assert len(pages) >= 3
    for page in pages[:-1]:
        lines = body_lines(real, page)
        if page > 1:  # page 1 also holds the marks, 文号 and the 22 pt title
            assert len(lines) == 22, (page, len(lines))
        baselines = sorted(l.baseline for l in lines)
        pitches = [b - a for a, b in zip(baselines, baselines[1:])]
        # On the grid: every line a whole number of 10.2235 mm pitches below the first.
        assert all(abs(p / 10.2235 - round(p / 10.2235)) < 0.01 for p in pitches), pitches
        if page > 1:
            assert all(10.20 <= p <= 10.25 for p in pitches), pitches
        # At most two lines short of the bottom of the text block (y = 262 mm).
        assert lines[-1].baseline >= LAST_BASELINE - 2 * 10.2235 - 0.3


@pytest.mark.parametrize("extra", range(0, 23))
def test_the_signature_never_stands_alone(extra):
    """Letters whose body ends at every position of a page: the page holding the unit and
    date holds at least one line of the body, and pages before it end at most 2 lines short."""
    body = "\n".join(["一、关于基层医疗卫生机构建设"] + REAL[:3]
                     + ["我们将认真研究您提出的意见建议。"] * extra)
    r = render(sample_letter(1, body=body, signature=True))
    unit = r.find("吉林省卫生健康委员会")
    last = max(l.page for l in r.lines)
    on_unit_page = [l for l in body_lines(r, unit.page) if l.top < unit.top - 20]
    assert on_unit_page, f"落款 alone on page {unit.page}"
    for page in range(1, unit.page):
        lines = body_lines(r, page)
        assert lines[-1].baseline >= LAST_BASELINE - 2 * 10.2235 - 0.3, (page, lines[-1].text)
    assert last >= unit.page


def test_paginate_keeps_the_rules_for_every_position():
    """The pagination itself, for every number of lines on the last page and tail sizes."""
    for record in (0.0, 44.7, 106.7):
        for tail_size in (3, 4, 5, 6):
            for n in range(1, 90):
                flow = [typeset.Item("para", para=i) for i in range(n)]
                tail = [typeset.Item("tail") for _ in range(tail_size)]
                layout = typeset.paginate(flow, tail, record)
                pages = layout.pages
                tail_page = pages[layout.tail_page]
                assert any(i.kind == "para" for i in tail_page.items), (record, tail_size, n)
                carried = sum(i.kind == "para" for i in tail_page.items)
                for page in pages[:layout.tail_page]:
                    assert page.short_by <= 2, (record, tail_size, n, page.short_by)
                    assert page.pitch == typeset.PITCH
                assert tail_page.pitch >= typeset.MIN_PITCH
                lines_on = len(tail_page.items)
                assert lines_on * tail_page.pitch <= typeset.BLOCK_HEIGHT
                if layout.tail_page > 0 and carried <= 2 and tail_page.pitch == typeset.PITCH:
                    assert len(pages[layout.tail_page - 1].items) >= 20
                assert sum(p.record for p in pages) == (1 if record else 0)
                assert pages[-1].record == bool(record)
                assert [i.para for p in pages for i in p.items if i.kind == "para"] == \
                    list(range(n))


def test_seal_covers_unit_and_date_and_no_other_text():
    r = render(real_letter(1, seal=seal_png()))
    [(page, x0, top, x1, bottom)] = r.images
    date, unit = r.find("2026年6月18日"), r.find("吉林省卫生健康委员会")
    note = r.find("（联系人：刘洋")
    assert x1 - x0 == pytest.approx(42, abs=0.5)
    assert top < unit.top and bottom > date.bottom
    assert (top + bottom) / 2 < (unit.top + date.bottom) / 2  # unit and date below centre
    assert bottom < note.top, (bottom, note.top)
    others = [l for l in r.lines if l.page == page and l not in (date, unit)
              and not re.fullmatch(r"— \d+ —", l.text)]
    for line in others:
        overlaps = line.x0 < x1 and line.x1 > x0 and line.top < bottom and line.bottom > top
        assert not overlaps, (line.text, (line.top, line.bottom), (top, bottom))


def test_seal_on_a_tightened_last_page_still_clear_of_the_text():
    """Bodies whose 落款 only fits with the last page tightened: the seal shrinks with it."""
    checked = 0
    for extra in range(0, 12):
        body = "\n".join(REAL[:4] + ["我们将认真研究您提出的意见建议。"] * extra)
        r = render(sample_letter(1, body=body, seal=seal_png()))
        if not any("行距" in note for note in r.report["adjustments"]):
            continue
        checked += 1
        [(page, x0, top, x1, bottom)] = r.images
        date, unit = r.find("2026年6月18日"), r.find("吉林省卫生健康委员会")
        assert top < unit.top and bottom > date.bottom
        for line in r.lines:
            if line.page == page and line not in (date, unit):
                assert not (line.x0 < x1 and line.x1 > x0 and line.top < bottom
                            and line.bottom > top), line.text
        if checked == 2:
            break
    assert checked >= 1
