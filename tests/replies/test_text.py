import pytest

from tracker.replies.text import heading_level, paragraphs


@pytest.mark.parametrize("line,level", [
    ("一、基本情况", 1),
    ("十二、其他", 1),
    ("（一）人才队伍现状", 2),
    ("(二)下一步工作", 2),
    ("1.加强培养", 3),
    ("2．完善待遇", 3),
    ("（1）乡村医生", 4),
    ("(3)村卫生室", 4),
    ("我委高度重视您提出的建议。", 0),
    ("2026年我省共招聘……", 0),
    ("1.5亿元专项资金已下达", 0),  # a number, not a heading
    ("一是加强培养", 0),
])
def test_heading_markers(line, level):
    assert heading_level(line) == level


def test_paragraphs_skip_blank_lines_and_keep_order():
    body = "一、基本情况\n\n  我委高度重视。  \n（一）现状\n\u3000\u3000全省现有……\n"
    assert [(p.level, p.text) for p in paragraphs(body)] == [
        (1, "一、基本情况"), (0, "我委高度重视。"), (2, "（一）现状"), (0, "全省现有……")]
