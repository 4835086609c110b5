"""Salutations and openings as printed, and the input checks that name the field."""
from __future__ import annotations

import pytest

from tracker.letters import LetterInputError, render_letter
from tracker.letters.inputs import balanced_lines, parse
from tracker.letters.samples import sample_letter


def test_one_deputy_with_a_co_handling_unit(letter_text):
    text = letter_text(sample_letter(1))
    assert "李华代表：您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》" \
           "收悉。经商省人力资源和社会保障厅，现答复如下：" in text


def test_several_members_without_co_handling_units(letter_text):
    text = letter_text(sample_letter(
        1, kind="proposal", meeting="省政协十三届四次会议", number="88",
        proposers=["陈明", "王芳", "赵强"], co_units=[], title="关于发展冰雪旅游的提案"))
    assert "对省政协十三届四次会议第88号委员提案的答复" in text
    assert "尊敬的陈明等委员：您们在省政协十三届四次会议上提出的《关于发展冰雪旅游的提案》" \
           "收悉。现答复如下：" in text
    assert "经商" not in text


def test_one_member_with_two_co_handling_units(letter_text):
    text = letter_text(sample_letter(
        1, kind="proposal", meeting="省政协十三届四次会议", number="9", proposers=["陈明"],
        co_units=["省文化和旅游厅", "省体育局"], title="关于发展冰雪旅游的提案"))
    assert "尊敬的陈明委员：您在" in text
    assert "收悉。经商省文化和旅游厅、省体育局，现答复如下：" in text


def test_given_salutation_and_opening_are_kept(letter_text):
    text = letter_text(sample_letter(1, salutation="尊敬的李华代表：", opening="来信收悉。"))
    assert "尊敬的李华代表：来信收悉。" in text


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"),
    ({"title": None}, "title"),
    ({"date": "2026-02-30"}, "date"),
    ({"date": "2026年06月18日"}, "date"),
    ({"date": "18/06/2026"}, "date"),
    ({"doc_number": "吉卫复议字[2026]12号"}, "doc_number"),
    ({"doc_number": "吉卫复议字〔2026〕012号"}, "doc_number"),
    ({"doc_number": "吉卫复议字〔26〕12号"}, "doc_number"),
    ({"doc_number": "吉卫复议字〔2026〕第12号"}, "doc_number"),
    ({"kind": "letter"}, "kind"),
    ({"proposers": []}, "proposers"),
    ({"lead_unit": None}, "lead_unit"),
    ({"body": "  "}, "body"),
    ({"result_class": "Z"}, "result_class"),
    ({"seal": b"GIF89a"}, "seal"),
])
def test_invalid_input_names_the_field(change, field):
    with pytest.raises(LetterInputError) as caught:
        render_letter(sample_letter(1, **change))
    assert caught.value.field == field
    assert field in str(caught.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_optional_fields_may_be_absent():
    data = sample_letter(1)
    for key in ("doc_number", "signer", "contact", "cc", "reviewers", "co_units",
                "salutation", "opening", "result_class", "disclosure"):
        data.pop(key, None)
    assert render_letter(data).startswith(b"%PDF-")


def test_dates_print_without_leading_zeros():
    assert parse(sample_letter(1, date="2026-01-05")).date == "2026年1月5日"


def test_signer_line(letter_text):
    text = letter_text(sample_letter(1, signer="王强"))
    assert "吉卫复议字〔2026〕12号签发人：王强" in text


@pytest.mark.parametrize("title", [
    "对政协第十三届吉林省委员会第四次会议第1234号委员提案的答复",
    "对吉林省第十四届人民代表大会第三次会议第212号代表建议的答复" * 2,
    "对省十四届人大三次会议第2号代表建议的答复",
])
def test_balanced_lines(title):
    lines = balanced_lines(title)
    assert "".join(lines) == title
    widths = [sum(0.5 if ord(c) < 0x2000 else 1 for c in line) for line in lines]
    assert max(widths) <= 20
    # Nearly equal, or within three characters when a line starts at a natural joint (第).
    assert max(widths) - min(widths) <= (3 if any(line[0] == "第" for line in lines[1:]) else 1.5)
    assert all(line[0] not in "，。、）》" for line in lines)


def test_titles_break_at_the_natural_joint_before_the_number():
    from tracker.letters.inputs import balanced_lines

    assert balanced_lines("对省十四届人大三次会议第87号代表建议的答复") == [
        "对省十四届人大三次会议", "第87号代表建议的答复"]
    assert balanced_lines("对白城市政协八届五次会议第7号委员提案的答复") == [
        "对白城市政协八届五次会议", "第7号委员提案的答复"]
