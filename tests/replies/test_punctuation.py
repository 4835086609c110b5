"""Punctuation normalisation of reply text (GB/T 15834): what is converted, what is kept,
where each change is reported, and how it is described to the drafter.

The sample lines are copied verbatim from ../shared/samples (no-break spaces included, as
the web pages had them); the whole files are also run through when they are present.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.replies.punctuation import Change, describe, normalize

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"  # copies of ../shared/samples


def skeleton(text: str) -> str:
    """The text without punctuation and spaces: normalising must never change it."""
    return "".join(ch for ch in text
                   if not (unicodedata.category(ch)[0] in "PZ" or ch.isspace()))


def normalized(text: str) -> str:
    """normalize()'s text, after checking what must hold for every input: only punctuation
    and spaces change, line breaks stay, and a second run changes nothing."""
    new, changes = normalize(text)
    assert skeleton(new) == skeleton(text)
    assert new.count("\n") == text.count("\n") and new.count("\r") == text.count("\r")
    assert normalize(new) == (new, [])
    assert bool(changes) == (new != text)
    return new


# -- a reply letter, all rules together ---------------------------------------------------------

LETTER = (
    "李华代表:\n"
    "您提出的\"关于加强基层卫生人才队伍建设的建议\"收悉.经商省人力资源和社会保障厅,现答复如下:\n"
    "一、基本情况\n"
    "(一)人才队伍现状\n"
    "截至2020年末,全市医疗卫生机构达到426所,其中市直医疗机构10所;每千人口拥有医疗卫生机构床位数"
    "6.82张、执业(助理)医师3.34人,医护比达到1:1.20.\n"
    "(二)下一步工作\n"
    "1.加强基层卫生人才培养.全省2022年共招聘医学毕业生1,000名, 其中本科生326名; 专科生674名.\n"
    "(1)乡村医生.实施'一村一名大学生村医计划',推动乡村医生向执业(助理)医师转化...\n"
    "2.优化咨询服务.我委咨询电话0431-88900000每天8:30至17:00有专人接听(节假日除外),"
    "政策原文可登录网址https://wsjkw.jl.gov.cn/查询,意见建议请发送至wsjkw@jl.gov.cn.\n"
    "3.落实医保支付政策.推进按疾病诊断相关分组付费(DRG)、按病种分值付费(DIP)改革--逐步扩大覆盖范围."
    "(省医保局、省卫生健康委等按职责分工负责)\n"
    "感谢您对卫生健康工作的关心和支持!\n"
    "\n"
    "吉林省卫生健康委员会\n"
    "2023年6月12日\n"
)

LETTER_NORMALIZED = (
    "李华代表：\n"
    "您提出的“关于加强基层卫生人才队伍建设的建议”收悉。经商省人力资源和社会保障厅，现答复如下：\n"
    "一、基本情况\n"
    "（一）人才队伍现状\n"
    "截至2020年末，全市医疗卫生机构达到426所，其中市直医疗机构10所；每千人口拥有医疗卫生机构床位数"
    "6.82张、执业（助理）医师3.34人，医护比达到1:1.20。\n"
    "（二）下一步工作\n"
    "1.加强基层卫生人才培养。全省2022年共招聘医学毕业生1,000名，其中本科生326名；专科生674名。\n"
    "（1）乡村医生。实施‘一村一名大学生村医计划’，推动乡村医生向执业（助理）医师转化……\n"
    "2.优化咨询服务。我委咨询电话0431-88900000每天8:30至17:00有专人接听（节假日除外），"
    "政策原文可登录网址https://wsjkw.jl.gov.cn/查询，意见建议请发送至wsjkw@jl.gov.cn。\n"
    "3.落实医保支付政策。推进按疾病诊断相关分组付费（DRG）、按病种分值付费（DIP）改革——逐步扩大覆盖范围。"
    "（省医保局、省卫生健康委等按职责分工负责）\n"
    "感谢您对卫生健康工作的关心和支持！\n"
    "\n"
    "吉林省卫生健康委员会\n"
    "2023年6月12日\n"
)


def test_a_reply_letter_gets_full_width_punctuation_and_keeps_numbers_times_and_addresses():
    assert normalized(LETTER) == LETTER_NORMALIZED


def test_every_change_in_the_letter_is_listed_in_reading_order():
    _, changes = normalize(LETTER)
    assert [(c.line, c.column, c.before, c.after) for c in changes] == [
        (1, 5, ":", "："),
        (2, 5, '"', "“"), (2, 23, '"', "”"), (2, 26, ".", "。"), (2, 40, ",", "，"),
        (2, 46, ":", "："),
        (4, 1, "(", "（"), (4, 3, ")", "）"),
        (5, 9, ",", "，"), (5, 24, ",", "，"), (5, 36, ";", "；"), (5, 60, "(", "（"),
        (5, 63, ")", "）"), (5, 71, ",", "，"), (5, 83, ".", "。"),
        (6, 1, "(", "（"), (6, 3, ")", "）"),
        (7, 13, ".", "。"), (7, 35, ", ", "，"), (7, 46, "; ", "；"), (7, 55, ".", "。"),
        (8, 1, "(", "（"), (8, 3, ")", "）"), (8, 8, ".", "。"), (8, 11, "'", "‘"),
        (8, 23, "'", "’"), (8, 24, ",", "，"), (8, 34, "(", "（"), (8, 37, ")", "）"),
        (8, 42, "...", "……"),
        (9, 9, ".", "。"), (9, 46, "(", "（"), (9, 52, ")", "）"), (9, 53, ",", "，"),
        (9, 89, ",", "，"), (9, 113, ".", "。"),
        (10, 11, ".", "。"), (10, 25, "(", "（"), (10, 29, ")", "）"), (10, 38, "(", "（"),
        (10, 42, ")", "）"), (10, 45, "--", "——"), (10, 55, ".", "。"), (10, 56, "(", "（"),
        (10, 76, ")", "）"),
        (11, 17, "!", "！"),
    ]


# -- lines from the sample documents -------------------------------------------------------------

SAMPLE_LINES = [
    # The brief's example: a comma after a number is Chinese context; decimals stay.
    ("截至2020年末,全市医疗卫生机构达到426所,其中市直医疗机构10所;每千人口拥有医疗卫生机构床位数"
     "6.82张、执业(助理)医师3.34人",
     "截至2020年末，全市医疗卫生机构达到426所，其中市直医疗机构10所；每千人口拥有医疗卫生机构床位数"
     "6.82张、执业（助理）医师3.34人"),
    # The portal header: no-break spaces around the second semicolon, index number kept.
    ("索 \xa0引 号: 112202813400415897/2023-05471",
     "索 \xa0引 号：112202813400415897/2023-05471"),
    ("分\xa0\xa0类: 专项规划;综合政务(其他)\xa0;\xa0 其他",
     "分\xa0\xa0类：专项规划；综合政务（其他）\xa0；其他"),
    ("标\xa0\xa0\xa0\xa0\xa0\xa0题: 蛟河市“十四五”医疗卫生服务体系规划(征求意见稿)",
     "标\xa0\xa0\xa0\xa0\xa0\xa0题：蛟河市“十四五”医疗卫生服务体系规划（征求意见稿）"),
    ("发文字号: 发布日期: 2023年06月12日", "发文字号：发布日期：2023年06月12日"),
    ("发文字号:", "发文字号："),
    ("  服务体系规划(征求意见稿)", "  服务体系规划（征求意见稿）"),
    ("  (三)建立 善监测预警和应急处置体系", "  （三）建立 善监测预警和应急处置体系"),
    # 2-3% keeps its hyphen.
    ("  完善医疗机构急诊科设置。二级综合医院(含中医医院)设置急诊科,按医院床位的2-3%设置观察床,"
     "完善场所、设施、设备和药品等基础条件,传染病疫情和突发公共卫生事件发生时,承担现场急救和转运任务。",
     "  完善医疗机构急诊科设置。二级综合医院（含中医医院）设置急诊科，按医院床位的2-3%设置观察床，"
     "完善场所、设施、设备和药品等基础条件，传染病疫情和突发公共卫生事件发生时，承担现场急救和转运任务。"),
    # 1. heading marker kept, 4.0人/10万 kept, 药师(士) converted.
    ("  3.增加短缺人才供给。加强精神和心理等专业人才队伍建设,强化药师人员配备使用。到2025年,"
     "精神科执业(助理)医师数量不低于4.0人/10万人口,精神科注册护士数量不低于8.68人/10万人口,"
     "每千人口药师(士)数量增长到0.54人,心理治疗技师、精神卫生社会工作者数量基本满足工作需要。",
     "  3.增加短缺人才供给。加强精神和心理等专业人才队伍建设，强化药师人员配备使用。到2025年，"
     "精神科执业（助理）医师数量不低于4.0人/10万人口，精神科注册护士数量不低于8.68人/10万人口，"
     "每千人口药师（士）数量增长到0.54人，心理治疗技师、精神卫生社会工作者数量基本满足工作需要。"),
    # Ranges with a single em dash between numbers (10万—30万) are not dashes between Chinese.
    ("原则上,在疫情发生时能迅速开放的传染病病床,10万—30万人口的不低于20张,30万—50万人口的不低于50张",
     "原则上，在疫情发生时能迅速开放的传染病病床，10万—30万人口的不低于20张，30万—50万人口的不低于50张"),
    ("优化床位与卫生人力配置比例,到2025年,床人(卫生人员)比的预期性指标值为1:1.62。",
     "优化床位与卫生人力配置比例，到2025年，床人（卫生人员）比的预期性指标值为1:1.62。"),
    # The other document: task headings (一)…, the responsible units in brackets, (DRG).
    ("  (五)推进医保支付方式改革。全力推进按疾病诊断相关分组付费(DRG)、按病种分值付费(DIP)试点,"
     "适时总结经验并向全省推广。积极推进“互联网+”医疗服务医保支付。"
     "(省医保局、省财政厅、省卫生健康委、省中医药局等按职责分工负责)",
     "  （五）推进医保支付方式改革。全力推进按疾病诊断相关分组付费（DRG）、按病种分值付费（DIP）试点，"
     "适时总结经验并向全省推广。积极推进“互联网+”医疗服务医保支付。"
     "（省医保局、省财政厅、省卫生健康委、省中医药局等按职责分工负责）"),
    # Brackets around a year range inside a title: followed by 》, so Chinese.
    ("  (八)推进医疗联合体建设。制定《吉林省医疗联合体建设规划(2021-2025)》。"
     "持续推进16+1试点县紧密型县域医共体建设。",
     "  （八）推进医疗联合体建设。制定《吉林省医疗联合体建设规划（2021-2025）》。"
     "持续推进16+1试点县紧密型县域医共体建设。"),
    ("当前位置:首页>重点专题>深化医疗卫生体制改革", "当前位置：首页>重点专题>深化医疗卫生体制改革"),
    ("来源: 发布时间:2021-09-01 14:48:00A+A-", "来源：发布时间：2021-09-01 14:48:00A+A-"),
    ("主办单位:吉林省卫生健康委员会 | 网站地图 地址:长春人民大街1485号省政府2号楼 邮编:130051",
     "主办单位：吉林省卫生健康委员会 | 网站地图 地址：长春人民大街1485号省政府2号楼 邮编：130051"),
    ("电话:0431-88905570 网站标识码:2200000009", "电话：0431-88905570 网站标识码：2200000009"),
]


@pytest.mark.parametrize("line,expected", SAMPLE_LINES)
def test_sample_lines(line, expected):
    assert normalized(line) == expected


@pytest.mark.parametrize("line", [
    "  1.建立完善防治体系。设置1所精神卫生专业机构。至少有1所公立医院设置有病房的精神科。",
    "  1.优化急救体系",
    "  1:0.95",
    "  6.82",
    "  ——",
    "  ",
    "蛟河市政府信息公开专栏\xa0\xa0>>\xa0蛟河市卫生健康局\xa0>>\xa0政府信息公开基础平台",
    "吉ICP备05001602号 吉公网安备吉公网安备 22000002000009号",
    "  二、总体要求",
])
def test_sample_lines_already_right_are_left_alone(line):
    assert normalize(line) == (line, [])


@pytest.mark.parametrize("name,expected", [
    ("yigai-tasks-jilin-2021.txt",
     {(",", "，"): 97, ("(", "（"): 46, (")", "）"): 46, (":", "："): 7, (": ", "："): 1}),
    ("plan-jiaohe-2023.txt",
     {(",", "，"): 538, ("(", "（"): 132, (")", "）"): 132, (": ", "："): 13, (";", "；"): 5,
      (":", "："): 2, (";\xa0 ", "；"): 1, (";\xa0", "；"): 1}),
])
def test_whole_sample_documents(name, expected):
    text = (SAMPLES / name).read_text(encoding="utf-8")
    new = normalized(text)
    _, changes = normalize(text)
    assert Counter((c.before, c.after) for c in changes) == expected
    # Every half-width comma left is between digits or Latin (none is in these documents).
    assert "," not in new
    assert new.splitlines() == [normalized(line) for line in text.splitlines()]


# -- the rules one by one ---------------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    # , ; : ? ! in Chinese context, on either side of the mark.
    ("我委高度重视,认真研究", "我委高度重视，认真研究"),
    ("全市共有医院426所,2357名卫生技术人员", "全市共有医院426所，2357名卫生技术人员"),
    ("新冠肺炎(COVID-19)疫情期间,全省", "新冠肺炎（COVID-19）疫情期间，全省"),
    ("COVID-19,全省", "COVID-19，全省"),
    ("主要措施:一是加强培养;二是完善待遇", "主要措施：一是加强培养；二是完善待遇"),
    ("能否推行DRG?我们认为可以!", "能否推行DRG？我们认为可以！"),
    ("是否推行DRG?", "是否推行DRG？"),
    ("床人比为1:1.62;", "床人比为1:1.62；"),
    # The space after a converted mark goes.
    ("支持社区医院, 乡镇卫生院; 村卫生室: 共3.2万个", "支持社区医院，乡镇卫生院；村卫生室：共3.2万个"),
    ("网址: https://wsjkw.jl.gov.cn/", "网址：https://wsjkw.jl.gov.cn/"),
    # Brackets, converted in pairs.
    ("每千人口执业(助理)医师数(人)", "每千人口执业（助理）医师数（人）"),
    ("(省医保局、省卫生健康委等按职责分工负责)", "（省医保局、省卫生健康委等按职责分工负责）"),
    ("由世界卫生组织(WHO)发布", "由世界卫生组织（WHO）发布"),
    ("Tom(汤姆)", "Tom（汤姆）"),
    ("1)加强培养", "1）加强培养"),
    # Full stops at the end of a Chinese sentence, after Chinese, numbers, Latin or a URL.
    ("我委将认真研究.", "我委将认真研究。"),
    ("达到426所.其中市直医疗机构10所.", "达到426所。其中市直医疗机构10所。"),
    ("每千人口床位数达到6.82.", "每千人口床位数达到6.82。"),
    ("全面推行DRG.下一步", "全面推行DRG。下一步"),
    ("政策原文见https://wsjkw.jl.gov.cn/.", "政策原文见https://wsjkw.jl.gov.cn/。"),
    ("请发送至wsjkw@jl.gov.cn.我们将及时回复.", "请发送至wsjkw@jl.gov.cn。我们将及时回复。"),
    ("请参阅附件答复意见.docx.", "请参阅附件答复意见.docx。"),
    ("(其他).", "（其他）。"),
    ("他说\"好.\"", "他说“好。”"),
    # Quotes, alternating along the line.
    ("实施\"一村一名大学生村医计划\"", "实施“一村一名大学生村医计划”"),
    ("积极推进\"掌上办\"、\"网上办\"等便民服务", "积极推进“掌上办”、“网上办”等便民服务"),
    ("大力实施\"54321\"发展战略", "大力实施“54321”发展战略"),
    ("深化'放管服'改革", "深化‘放管服’改革"),
    ("开展\"关于'放管服'改革\"专题调研", "开展“关于‘放管服’改革”专题调研"),
    ("引进Xi'an团队的\"智慧医疗\"项目", "引进Xi'an团队的“智慧医疗”项目"),
    # Ellipses.
    ("包括高血压、糖尿病...", "包括高血压、糖尿病……"),
    ("包括高血压、糖尿病......", "包括高血压、糖尿病……"),
    ("包括高血压、糖尿病…", "包括高血压、糖尿病……"),
    ("包括高血压、糖尿病。。。等", "包括高血压、糖尿病……等"),
    # Dashes between Chinese.
    ("改革--逐步扩大覆盖范围", "改革——逐步扩大覆盖范围"),
    ("改革—逐步扩大覆盖范围", "改革——逐步扩大覆盖范围"),
    ("改革－－逐步扩大覆盖范围", "改革——逐步扩大覆盖范围"),
    ("“十四五”--推动高质量发展", "“十四五”——推动高质量发展"),
])
def test_converted(line, expected):
    assert normalized(line) == expected


@pytest.mark.parametrize("line", [
    # Times, ratios, decimals, percentages, thousands, dates, phone numbers.
    "我委咨询电话每天8:30至17:00有专人接听",
    "受理时间为14:30-17:00",
    "医护比达到1:1.20",
    "每千人口床位数6.82张",
    "基层诊疗量占比提高0.5%",
    "全省共招聘1,000名医学毕业生",
    "自2021-09-01起施行",
    "咨询电话0431-88900000",
    # URLs (with their own , ? : and .), e-mail addresses, file names, versions.
    "网址https://wsjkw.jl.gov.cn/",
    "详见https://www.jl.gov.cn/a_b/c.html?x=1,2",
    "请发送至wsjkw@jl.gov.cn",
    "请参阅附件答复意见.docx",
    "系统已升级至V2.0.1版本",
    "COVID-19疫苗接种",
    # Between two Latin or digit tokens.
    "重点推进DRG, DIP两项改革",
    "第1,2批",
    "计算公式为 f(x) = (a, b)",
    "由Pfizer Inc.生产",
    "\"hello\" world",
    # Item numbers, not full stops; two dots are left for the drafter.
    "1.加强基层卫生人才培养",
    "1. 加强基层卫生人才培养",
    "一.基本情况",
    "主要措施：1.加强培养；2.完善待遇。",
    "请核实..",
    # Ranges with a single em dash or hyphen, and runs already right.
    "每万人口1—1.5人",
    "每3万—10万居民",
    "培养1-2名复合型骨干人员",
    "改革——逐步扩大……等",
    # Not Chinese at all.
    "The end. See https://x.cn/.",
    "A, B; C: D? E!",
    "",
])
def test_kept(line):
    assert normalize(line) == (line, [])


@pytest.mark.parametrize("line,expected", [
    ("(一)人才队伍现状", "（一）人才队伍现状"),
    ("(十二)其他", "（十二）其他"),
    ("(1)乡村医生", "（1）乡村医生"),
    ("  (3)村卫生室", "  （3）村卫生室"),
    # A bracketed heading number is converted even when nothing Chinese follows it.
    ("(1) DRG付费", "（1） DRG付费"),
    ("(2)", "（2）"),
    # 1. stays as GB/T 9704 writes it; only the sentence's own stop changes.
    ("1.加强基层卫生人才培养.", "1.加强基层卫生人才培养。"),
    ("  2.完善待遇保障机制,稳定基层队伍", "  2.完善待遇保障机制，稳定基层队伍"),
    ("一、基本情况", "一、基本情况"),
])
def test_heading_markers(line, expected):
    assert normalized(line) == expected


def test_already_correct_reply_text_has_no_changes():
    assert normalize(LETTER_NORMALIZED) == (LETTER_NORMALIZED, [])


def test_line_breaks_and_blank_lines_are_kept_exactly():
    text = "李华代表:\r\n\r\n  我委高度重视,认真研究.\r\n\n(一)现状\n"
    assert normalized(text) == "李华代表：\r\n\r\n  我委高度重视，认真研究。\r\n\n（一）现状\n"
    _, changes = normalize(text)
    assert [(c.line, c.column, c.before) for c in changes] == [
        (1, 5, ":"), (3, 9, ","), (3, 14, "."), (5, 1, "("), (5, 3, ")")]


# -- the reported changes ---------------------------------------------------------------------------

def test_changes_give_line_original_column_and_new_context():
    text = ("李华代表:\n"
            "截至2020年末,全市医疗卫生机构达到426所,其中市直医疗机构10所;"
            "每千人口拥有医疗卫生机构床位数6.82张、执业(助理)医师3.34人\n"
            "医院, 诊所...等")
    _, changes = normalize(text)
    assert changes == [
        Change(1, 5, ":", "：", "李华代表："),
        Change(2, 9, ",", "，", "截至2020年末，全市医疗卫生机构"),
        Change(2, 24, ",", "，", "机构达到426所，其中市直医疗机构"),
        Change(2, 36, ";", "；", "直医疗机构10所；每千人口拥有医疗"),
        Change(2, 60, "(", "（", "6.82张、执业（助理）医师3.3"),
        Change(2, 63, ")", "）", "2张、执业（助理）医师3.34人"),
        # Columns are in the original line: the dropped space still counts before "...".
        Change(3, 3, ", ", "，", "医院，诊所……等"),
        Change(3, 7, "...", "……", "医院，诊所……等"),
    ]


def test_a_change_is_a_frozen_value():
    change = Change(1, 5, ":", "：", "李华代表：")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.after = ":"  # type: ignore[misc]


def test_describe_tells_the_drafter_in_chinese():
    _, changes = normalize("李华代表:\n医院, 诊所...等\n(一)现状")
    assert describe(changes) == [
        "第1行第5字：“:” 改为 “：”（李华代表：）",
        "第2行第3字：“,” 改为 “，”，删去其后空格（医院，诊所……等）",
        "第2行第7字：“...” 改为 “……”（医院，诊所……等）",
        "第3行第1字：“(” 改为 “（”（（一）现状）",
        "第3行第3字：“)” 改为 “）”（（一）现状）",
    ]


def test_describe_lists_up_to_the_limit_then_counts_the_rest():
    _, changes = normalize(LETTER)
    assert len(changes) == 46
    lines = describe(changes)
    assert len(lines) == 11
    assert lines[0] == "第1行第5字：“:” 改为 “：”（李华代表：）"
    assert lines[1] == "第2行第5字：“\"” 改为 ““”（您提出的“关于加强基层卫生）"
    assert lines[7] == "第4行第3字：“)” 改为 “）”（（一）人才队伍现状）"
    assert lines[9] == "第5行第24字：“,” 改为 “，”（机构达到426所，其中市直医疗机构）"
    assert lines[10] == "另有 36 处"
    assert describe(changes, limit=2)[2:] == ["另有 44 处"]
    assert describe(changes, limit=46)[-1] == "第11行第17字：“!” 改为 “！”（工作的关心和支持！）"
    assert describe(changes, limit=0) == ["另有 46 处"]
    assert describe([]) == []


# -- for any text ------------------------------------------------------------------------------------

FRAGMENTS = ["医院", "诊所", "中", "一", "，", "。", "（", "）", "“", "”", "、", "……", "——",
             ",", ", ", ";", ":", "?", "!", ".", "..", "...", "…", "。。。", "(", ")", "\"", "'",
             "--", "—", "－－", "-", " ", "\xa0", "\n", "\r\n", "1.", "(一)", "(1)", "8:30",
             "6.82", "1,000", "0431-88900000", "COVID-19", "DRG", "A", "x", "Inc",
             "https://wsjkw.jl.gov.cn/", "wsjkw@jl.gov.cn", "答复.docx"]


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_any_mix_only_changes_punctuation_and_is_idempotent(text):
    normalized(text)  # asserts the invariants
