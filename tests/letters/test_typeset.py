"""The line breaker on any text: nothing lost, duplicated or reordered, no line past the
right edge, every justified line ending exactly at it, and fast on pathological input."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.letters import fonts as letter_fonts
from tracker.letters import typeset
from tracker.letters.typeset import Run, break_lines


@pytest.fixture(scope="module")
def faces():
    chosen, _ = letter_fonts.choose({"body": "中文ABC123，。（）“”"})
    return chosen["body"].faces


def width_of(line, faces) -> float:
    """Where the line's last glyph ends, from the left edge of the text block (pt)."""
    advances = [typeset._advance(faces, ch, typeset.BODY_PT) for ch in line.text]
    return line.indent + sum(advances) + line.spacing * (len(advances) - 1)


PIECES = st.sampled_from([
    "中", "国", "卫", "生", "健", "康", "委", "员", "会", "，", "。", "、", "；", "：", "？",
    "（", "）", "“", "”", "《", "》", "——", "……", " ", "\u3000", "2020", "6.82", "8:30",
    "COVID-19", "https://wsjkw.jl.gov.cn/a/b/c.html", "A", "x", "97.5%", ",", ".", "(", ")",
])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(st.lists(PIECES, min_size=1, max_size=120))
def test_any_paragraph_keeps_its_text_and_the_edge(faces, pieces):
    text = "".join(pieces).replace("\u3000", " ")
    lines = break_lines([Run(text, faces)], first_indent=typeset.FIRST_INDENT)
    # Only spaces at the ends of lines may go.
    assert "".join(line.text for line in lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        end = width_of(line, faces)
        if len(line.text) > 1:
            assert end <= typeset.TEXT_WIDTH + 0.05, (line.text, end)
        if line.justified:
            assert end == pytest.approx(typeset.TEXT_WIDTH, abs=0.05), line.text


def test_a_full_last_line_with_a_pushed_in_mark_is_justified_too(faces):
    # 28 characters, then a full stop pushed in: the line must not run past the edge.
    text = "近" * 28 + "。"
    [line] = break_lines([Run(text, faces)])
    assert line.text == text and line.justified
    assert width_of(line, faces) == pytest.approx(typeset.TEXT_WIDTH, abs=0.05)


def test_an_opening_mark_before_a_space_is_kept(faces):
    text = "完成老旧小区改造“ 十四五”规划" * 3
    lines = break_lines([Run(text, faces)])
    assert "".join(line.text for line in lines).replace(" ", "") == text.replace(" ", "")


def test_indented_first_line_holds_26_characters(faces):
    lines = break_lines([Run("根" * 60, faces)], first_indent=typeset.FIRST_INDENT)
    assert [len(line.text) for line in lines] == [26, 28, 6]


@pytest.mark.parametrize("text", ["）" * 4000, "." * 4000, "a" * 4000, "。" * 2000 + "中" * 10])
def test_pathological_runs_break_in_linear_time(faces, text):
    started = time.perf_counter()
    lines = break_lines([Run(text, faces)])
    assert time.perf_counter() - started < 2.0
    assert "".join(line.text for line in lines) == text
