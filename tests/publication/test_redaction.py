"""What the public text loses: the administrator's rules (telephone numbers, e-mail and postal
addresses, ID and bank numbers), the authors' own contact details and the words a reviewer
marked, each shown as ［已删除］, on text as real replies write it."""
from __future__ import annotations

import pytest

from tracker.publication.redaction import (
    DEFAULT_RULES,
    MARK,
    compile_rule,
    redact,
    segments,
)

RULES = [(name, compile_rule(pattern)) for name, pattern in DEFAULT_RULES]

# Parts of published replies, with the personal details a draft sometimes carries.
REPLY = (
    "您提出的《关于加强基层医疗卫生人才队伍建设的建议》（第0212号）收悉。经商省人力资源和社会保障厅，"
    "现答复如下：2025年，全省定向培养医学生1200名，投入资金3.2亿元。"
    "您反映的白城市洮北区的情况，我委已派员核实，并于2026年6月18日电话（13904361234）与您沟通。"
    "如有疑问，可致电0436-3221234或发送邮件至zhao.chunyu@163.com。"
    "申请人身份证号220802198503150021，补助发放至其银行卡6217 0012 3456 7890 123。"
    "材料请寄至：吉林省长春市朝阳区人民大街1234号3单元502室，邮编：130021。"
)


def test_the_default_rules_remove_contact_details_and_keep_the_facts():
    done = redact(REPLY, RULES)
    removed = {(r.why, r.text) for r in done.removals}
    assert removed == {
        ("手机号码", "13904361234"), ("固定电话", "0436-3221234"),
        ("电子邮箱", "zhao.chunyu@163.com"), ("身份证号码", "220802198503150021"),
        ("银行卡号", "6217 0012 3456 7890 123"),
        ("通讯地址", "吉林省长春市朝阳区人民大街1234号3单元502室"), ("邮政编码", "130021"),
    }
    for kept in ("（第0212号）", "2025年", "1200名", "3.2亿元", "2026年6月18日"):
        assert kept in done.text
    assert done.text.count(MARK) == 7
    for gone in removed:
        assert gone[1] not in done.text


@pytest.mark.parametrize("text", [
    "联系电话：（0431）88900000", "电话0431－88900000", "手机：139 0436 1234",
    "座机043188900000转8012",
])
def test_telephone_numbers_as_people_write_them(text):
    assert redact(text, RULES).text.count(MARK) == 1


def test_the_authors_details_and_the_marked_words_go_too():
    text = "赵春雨代表反映，其邻居王某某（住长春市南关区幸福小区）家中困难。"
    done = redact(text, RULES, contacts=["长春市南关区幸福小区"], marked=["王某某", "某"])
    assert done.text == f"赵春雨代表反映，其邻居{MARK}（住{MARK}）家中困难。"
    assert [r.why for r in done.removals] == ["审核人标记", "提出人联系方式"]


def test_overlapping_removals_are_one_and_the_page_shows_each_cut():
    text = "电话13904361234，地址：长春市人民大街1234号。"
    done = redact(text, RULES, marked=["13904361234，地址"])
    assert done.text == f"电话{MARK}：{MARK}。"
    parts = segments(text, done.removals)
    assert "".join(t for t, _ in parts) == text
    assert [t for t, r in parts if r] == ["13904361234，地址", "长春市人民大街1234号"]


@pytest.mark.parametrize("pattern, message", [
    ("(", "正则表达式有误"), ("a*", "会匹配空字符串"), ("(a|aa)+$", "太慢"),
    ("(\\d|\\d\\d)+$", "太慢"), ("x" * 501, "不能超过 500 个字符"),
])
def test_a_rule_is_refused_when_it_is_broken_empty_or_too_slow(pattern, message):
    with pytest.raises(ValueError, match=message):
        compile_rule(pattern)


def test_a_stored_rule_that_times_out_is_skipped_and_reported():
    import regex

    slow = ("慢规则", regex.compile("(a|aa)+$"))
    done = redact("a" * 40 + "b，电话13904361234", [slow, *RULES])
    assert done.slow_rules == ["慢规则"]
    assert done.text.endswith(MARK)


def test_real_pages_keep_their_index_numbers_and_lose_the_contact_lines():
    """The two published pages in tests/data/samples: the 蛟河 portal header's 索引号 (an
    18-digit 统一社会信用代码) stays; the provincial site's footer address, postcode and
    telephone go."""
    from pathlib import Path

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    plan = redact((samples / "plan-jiaohe-2023.txt").read_text(encoding="utf-8"), RULES)
    assert plan.removals == []
    assert "112202813400415897/2023-05471" in plan.text
    tasks = redact((samples / "yigai-tasks-jilin-2021.txt").read_text(encoding="utf-8"), RULES)
    assert [(r.why, r.text) for r in tasks.removals] == [
        ("通讯地址", "长春人民大街1485号省政府2号楼"), ("邮政编码", "130051"),
        ("固定电话", "0431-88905570")]
