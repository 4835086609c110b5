"""The search's text rules on their own: how long texts are cut into pieces and where a
Latin or digit term is marked."""
from __future__ import annotations

from tracker.search.text import CHUNK, OVERLAP, chunks, contains, parse_query, snippet


def test_a_long_text_is_cut_into_overlapping_pieces_at_line_ends():
    lines = [f"第{i}段：我委会同有关部门推进基层医疗卫生服务能力建设。" for i in range(600)]
    text = "\n".join(lines)
    pieces = chunks(text)
    assert len(pieces) > 2 and all(len(p) <= CHUNK for p in pieces)
    for before, after in zip(pieces, pieces[1:]):
        assert before.endswith("\n") and after.startswith(before[-OVERLAP:])
    assert "".join(p if i == 0 else p[OVERLAP:] for i, p in enumerate(pieces)) == text
    assert chunks("短文") == ["短文"]


def test_a_digit_term_is_marked_from_the_start_of_a_word_only():
    terms = parse_query("12")
    assert str(snippet("截至2012年12月，共12家", terms)) == (
        "截至2012年<mark>12</mark>月，共<mark>12</mark>家")
    assert contains("2012年", terms) == 0 and contains("12月", terms) == 1
    assert str(snippet("ＡＢＣ与abc", parse_query("abc"))) == "<mark>ＡＢＣ</mark>与<mark>abc</mark>"
