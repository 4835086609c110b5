import pytest

from tracker.letters.text import heading_level, paragraphs


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


def test_greetings_follow_the_kind_and_the_authors():
    from tracker.letters.text import greeting

    assert greeting("suggestion", ["李华"], "省十四届人大三次会议", "关于加强基层卫生人才队伍建设的建议",
                    ["省人力资源和社会保障厅"]) == (
        "李华代表：",
        "您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。"
        "经商省人力资源和社会保障厅，现答复如下：")
    salutation, opening = greeting("proposal", ["陈明", "周红"], "省政协十三届三次会议", "《关于X的提案》")
    assert salutation == "尊敬的陈明等委员："
    assert opening.startswith("您们在省政协十三届三次会议上提出的《关于X的提案》收悉。现答复")
    assert greeting("proposal", ["陈明"], "m", "t", salutation="陈明同志：")[0] == "陈明同志："


def test_side_by_side_marks_characters_in_similar_lines_and_escapes():
    from tracker.replies.queries import side_by_side

    html = str(side_by_side("一、基本情况\n我委共招聘100名医生。\n<i>旧</i>",
                            "一、基本情况\n我委共招聘120名医生。\n完全不同的一行",
                            "旧稿", "新稿"))
    assert '<tr class="same"><td class="">一、基本情况</td>' in html
    assert "<del>0</del>" in html and "<ins>2</ins>" in html  # 100 -> 120
    assert '<td class="removed">&lt;i&gt;旧&lt;/i&gt;</td>' in html
    assert '<td class="added">完全不同的一行</td>' in html
