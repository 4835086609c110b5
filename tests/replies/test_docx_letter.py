"""Reading a whole reply letter typed in Word (tracker.replies.docx_letter).

Every letter here is built with python-docx the way drafters type them in Word or WPS:
centred titles, right-aligned 落款, empty paragraphs for spacing, half-width punctuation,
heading styles, bold run-in headings, automatic numbering, headers and text boxes.
"""
from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib
from datetime import date

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.shared import Pt

from tracker.replies.docx_letter import (
    MAX_BODY_CHARS,
    MAX_EXPANDED_BYTES,
    MAX_PARAGRAPHS,
    MAX_RUNS,
    DocxRefused,
    Dropped,
    Placement,
    cn_number,
    cn_to_int,
    parse_date,
    read_letter,
)

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CENTER, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
CHECK_TITLE = "标题由系统根据会议和编号生成，此处仅用于与本件核对"
CHECK_NUMBER = "文号由系统发文时编排，此处仅用于与本件核对"
CHECK_UNIT = "落款单位由系统按办理单位生成，此处仅用于与本件核对"
CHECK_REVIEWERS = "审核人以系统中的审核记录为准，此处仅用于核对"
NO_REVIEWERS = {"first": "", "second": "", "final": ""}
HEADER_FOOTER = "页眉页脚中的文字不作为正文导入"


# --- Building letters -------------------------------------------------------------------

def add(document, text: str = "", *, align=None, size: float | None = None, style=None,
        bold: bool | None = None):
    paragraph = document.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        if size:
            run.font.size = Pt(size)
        if bold is not None:
            run.bold = bold
    if align is not None:
        paragraph.alignment = align
    return paragraph


def png_1x1() -> bytes:
    """A valid 1×1 PNG, for a picture in the body."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def add_run_in(document, heading: str, rest: str):
    """A paragraph opening with a bold run-in heading: 加强人才引进。近年来……"""
    paragraph = document.add_paragraph()
    paragraph.add_run(heading).bold = True
    paragraph.add_run(rest)
    return paragraph


def save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def fields_of(letter, *keys):
    return {key: letter.fields[key] for key in keys}


OPENING_0040 = ("您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。"
                "经商省人力资源和社会保障厅，现答复如下:")


def provincial_letter() -> bytes:
    """(1) A provincial 卫健委 reply typed in full, with half-width punctuation in places."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "吉林省卫生健康委员会"
    document.sections[0].footer.paragraphs[0].text = "- 1 -"
    add(document, "A")
    add(document, "此件公开发布")
    add(document)
    add(document, "吉卫复议字[2026]12号", align=CENTER)
    add(document)
    add(document, "关于对省十四届人大三次会议", align=CENTER, size=22)
    add(document, "第0040号代表建议的答复", align=CENTER, size=22)
    add(document)
    add(document, "李华代表:")
    add(document, "　　" + OPENING_0040)
    add(document, "　　一、关于人才引进")
    add(document, "　　近年来，我委会同有关部门(省人社厅、省财政厅)出台了一系列政策。")
    add(document, "　　(一)完善引进政策。2025年引进全日制本科以上人员1200人。")
    add(document, "　　1.放宽招聘条件")
    add(document, "　　对乡镇卫生院招聘实行“先面试、后笔试”。")
    add(document, "　　二、关于人才培养")
    add(document, "　　下一步，我委将继续实施订单定向培养计划。")
    add(document, "　　感谢您对卫生健康工作的关心和支持。")
    add(document)
    add(document, "吉林省卫生健康委员会", align=RIGHT)
    add(document, "2026年6月18日", align=RIGHT)
    add(document)
    add(document, "(联系人:刘洋　电话:0431-88900000)")
    add(document, "抄送：省人大常委会人代选委，省政府办公厅。")
    add(document, "初审：刘洋")
    add(document, "复审：陈静")
    add(document, "终审：周涛")
    return save(document)


# --- (1) provincial letter --------------------------------------------------------------

def test_provincial_letter_is_split_into_every_field():
    letter = read_letter(provincial_letter())

    assert letter.fields == {
        "title": "关于对省十四届人大三次会议第0040号代表建议的答复",
        "doc_number": "吉卫复议字〔2026〕12号",
        "signer": "",
        "result_class": "A",
        "disclosure": "主动公开",
        "salutation": "李华代表:",
        "opening": OPENING_0040,
        "body": "\n".join([
            "一、关于人才引进",
            "近年来，我委会同有关部门(省人社厅、省财政厅)出台了一系列政策。",
            "(一)完善引进政策。2025年引进全日制本科以上人员1200人。",
            "1.放宽招聘条件",
            "对乡镇卫生院招聘实行“先面试、后笔试”。",
            "二、关于人才培养",
            "下一步，我委将继续实施订单定向培养计划。",
        ]),
        "closing": "感谢您对卫生健康工作的关心和支持。",
        "unit": "吉林省卫生健康委员会",
        "date": "2026-06-18",
        "contact_name": "刘洋",
        "contact_phone": "0431-88900000",
        "cc": ["省人大常委会人代选委", "省政府办公厅"],
        "reviewers": {"first": "刘洋", "second": "陈静", "final": "周涛"},
    }
    assert letter.placements == [
        Placement("result_class", "类别标记", "A"),
        Placement("disclosure", "公开属性", "主动公开", "由“此件公开发布”识别"),
        Placement("doc_number", "文号", "吉卫复议字〔2026〕12号",
                  CHECK_NUMBER + "；年份括号“[]”已按公文格式改为六角括号“〔〕”"),
        Placement("title", "标题", "关于对省十四届人大三次会议第0040号代表建议的答复",
                  CHECK_TITLE + "（由2段合并）"),
        Placement("salutation", "称谓", "李华代表:"),
        Placement("opening", "开头语", OPENING_0040),
        Placement("body", "正文", "一、关于人才引进……（共7段）"),
        Placement("closing", "结束语", "感谢您对卫生健康工作的关心和支持。"),
        Placement("unit", "落款单位", "吉林省卫生健康委员会", CHECK_UNIT),
        Placement("date", "成文日期", "2026-06-18"),
        Placement("contact_name", "联系人", "刘洋"),
        Placement("contact_phone", "联系电话", "0431-88900000"),
        Placement("cc", "抄送", "省人大常委会人代选委、省政府办公厅"),
        Placement("reviewers", "审核人", "初审：刘洋，复审：陈静，终审：周涛", CHECK_REVIEWERS),
    ]
    assert letter.dropped == [
        Dropped("吉林省卫生健康委员会", "页眉页脚中的文字不作为正文导入"),
        Dropped("- 1 -", "页眉页脚中的文字不作为正文导入"),
        Dropped("（共 5 个）", "空段落"),
    ]
    assert letter.warnings == []


# --- (2) city CPPCC reply ---------------------------------------------------------------

def test_city_cppcc_letter_with_signer_and_no_doc_number():
    document = docx.Document()
    add(document, "长春市卫生健康委员会", align=CENTER, size=36)  # 信函格式 letterhead
    add(document, "B")
    add(document, "签发人：何旭明")
    add(document)
    add(document, "对市政协十四届三次会议第0123号提案的答复", align=CENTER, size=22)
    add(document, "尊敬的陈明等委员：")
    add(document, "　　您们提出的《关于推进医养结合发展的提案》收悉。现答复如下：")
    add(document, "　　近年来，我市积极推进医养结合，一是完善政策体系，二是扩大服务供给。")
    add(document, "　　下一步，我们将加快建设区域医养结合服务中心。")
    add(document, "　　衷心感谢您们对卫生健康工作的关心和支持！")
    add(document)
    add(document, "长春市卫生健康委员会", align=RIGHT)
    add(document, "2026年6月20日", align=RIGHT)
    add(document, "（此件公开发布）")
    add(document, "联系人：王芳，联系电话：0431-88771234")

    letter = read_letter(save(document))

    assert letter.fields == {
        "title": "对市政协十四届三次会议第0123号提案的答复",
        "doc_number": "",
        "signer": "何旭明",
        "result_class": "B",
        "disclosure": "主动公开",
        "salutation": "尊敬的陈明等委员：",
        "opening": "您们提出的《关于推进医养结合发展的提案》收悉。现答复如下：",
        "body": "近年来，我市积极推进医养结合，一是完善政策体系，二是扩大服务供给。\n"
                "下一步，我们将加快建设区域医养结合服务中心。",
        "closing": "衷心感谢您们对卫生健康工作的关心和支持！",
        "unit": "长春市卫生健康委员会",
        "date": "2026-06-20",
        "contact_name": "王芳",
        "contact_phone": "0431-88771234",
        "cc": [],
        "reviewers": NO_REVIEWERS,
    }
    assert letter.placements == [
        Placement("result_class", "类别标记", "B"),
        Placement("signer", "签发人", "何旭明"),
        Placement("title", "标题", "对市政协十四届三次会议第0123号提案的答复", CHECK_TITLE),
        Placement("salutation", "称谓", "尊敬的陈明等委员："),
        Placement("opening", "开头语", "您们提出的《关于推进医养结合发展的提案》收悉。现答复如下："),
        Placement("body", "正文", "近年来，我市积极推进医养结合，一是完善政策体系，二是扩大服务供给。……（共2段）"),
        Placement("closing", "结束语", "衷心感谢您们对卫生健康工作的关心和支持！"),
        Placement("unit", "落款单位", "长春市卫生健康委员会", CHECK_UNIT),
        Placement("date", "成文日期", "2026-06-20"),
        Placement("disclosure", "公开属性", "主动公开", "由“（此件公开发布）”识别"),
        Placement("contact_name", "联系人", "王芳"),
        Placement("contact_phone", "联系电话", "0431-88771234"),
    ]
    assert letter.dropped == [
        Dropped("长春市卫生健康委员会", "版头（发文机关标志）由系统生成，不从 Word 导入"),
        Dropped("（共 2 个）", "空段落"),
    ]
    assert letter.warnings == []


# --- (3) headings as Word heading styles ------------------------------------------------

def test_heading_styles_without_markers_get_markers_in_sequence():
    document = docx.Document()
    add(document, "关于对省十四届人大三次会议第0051号代表建议的答复", align=CENTER, size=22)
    add(document, "张伟代表：")
    add(document, "您提出的《关于加强村医队伍建设的建议》收悉。现答复如下：")
    document.add_heading("关于村医待遇", level=1)
    add(document, "我委高度重视村医待遇问题。")
    document.add_heading("落实补助政策", level=2)
    add(document, "省财政按每人每年1.2万元给予补助。")
    add(document, "加强养老保障", style="Heading 2")
    add(document, "鼓励村医参加职工养老保险。")
    document.add_heading("关于村医培训", level=1)
    document.add_heading("开展线上培训", level=2)  # restarts at （一） under the new 二、
    add(document, "依托远程平台开展培训。")
    add(document, "三、关于村医准入")  # typed marker: kept as typed, and counted
    document.add_heading("严格资格审核", level=2)
    document.add_heading("关于村医考核", level=1)  # after a typed 三、 comes 四、

    letter = read_letter(save(document))

    assert letter.fields["body"] == "\n".join([
        "一、关于村医待遇",
        "我委高度重视村医待遇问题。",
        "（一）落实补助政策",
        "省财政按每人每年1.2万元给予补助。",
        "（二）加强养老保障",
        "鼓励村医参加职工养老保险。",
        "二、关于村医培训",
        "（一）开展线上培训",
        "依托远程平台开展培训。",
        "三、关于村医准入",
        "（一）严格资格审核",
        "四、关于村医考核",
    ])
    style = "按 Word 标题样式“标题 {}”补加层次序号“{}”"
    assert letter.placements[3:] == [
        Placement("body", "正文", "一、关于村医待遇……（共12段）"),
        Placement("body", "正文", "一、关于村医待遇", style.format(1, "一、")),
        Placement("body", "正文", "（一）落实补助政策", style.format(2, "（一）")),
        Placement("body", "正文", "（二）加强养老保障", style.format(2, "（二）")),
        Placement("body", "正文", "二、关于村医培训", style.format(1, "二、")),
        Placement("body", "正文", "（一）开展线上培训", style.format(2, "（一）")),
        Placement("body", "正文", "（一）严格资格审核", style.format(2, "（一）")),
        Placement("body", "正文", "四、关于村医考核", style.format(1, "四、")),
    ]
    assert [p.field for p in letter.placements[:3]] == ["title", "salutation", "opening"]
    assert letter.dropped == [] and letter.warnings == []


def test_custom_heading_style_outline_level_and_a_title_typed_as_heading_1():
    """A style based on “标题 2” counts as 标题 2; a paragraph with outline level 2 too. The
    title itself typed in “标题 1” makes the body's “标题 2” the letter's first level."""
    document = docx.Document()
    custom = document.styles.add_style("公文一级标题", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = document.styles["Heading 2"]
    document.add_heading("关于对省十四届人大三次会议第0051号代表建议的答复", level=1)
    add(document, "张伟代表：")
    add(document, "您提出的建议收悉。现答复如下：")
    document.add_heading("关于村医待遇", level=2)
    add(document, "我委高度重视。")
    add(document, "关于村医培训", style="公文一级标题")
    outlined = add(document, "关于村医考核")
    outlined._p.get_or_add_pPr().append(parse_xml(
        f'<w:outlineLvl xmlns:w="{W_NS}" w:val="1"/>'))  # outline level 2 (0-based 1)
    document.add_heading("严格考核标准", level=3)

    letter = read_letter(save(document))

    assert letter.fields["title"] == "关于对省十四届人大三次会议第0051号代表建议的答复"
    assert letter.fields["body"] == ("一、关于村医待遇\n我委高度重视。\n二、关于村医培训\n"
                                     "三、关于村医考核\n（一）严格考核标准")
    shifted = "（标题行用了“标题 1”，层次顺延）"
    assert letter.placements[3:] == [
        Placement("body", "正文", "一、关于村医待遇……（共5段）"),
        Placement("body", "正文", "一、关于村医待遇",
                  f"按 Word 标题样式“标题 2”{shifted}补加层次序号“一、”"),
        Placement("body", "正文", "二、关于村医培训",
                  f"按 Word 标题样式“公文一级标题”{shifted}补加层次序号“二、”"),
        Placement("body", "正文", "三、关于村医考核",
                  f"按 Word 大纲级别“2 级”{shifted}补加层次序号“三、”"),
        Placement("body", "正文", "（一）严格考核标准",
                  f"按 Word 标题样式“标题 3”{shifted}补加层次序号“（一）”"),
    ]


def test_title_in_heading_1_does_not_shift_a_body_that_uses_heading_1_too():
    document = docx.Document()
    document.add_heading("关于对省十四届人大三次会议第0051号代表建议的答复", level=1)
    add(document, "您提出的建议收悉。现答复如下：")
    document.add_heading("关于村医待遇", level=1)
    document.add_heading("落实补助政策", level=2)

    letter = read_letter(save(document))

    assert letter.fields["body"] == "一、关于村医待遇\n（一）落实补助政策"
    assert [p.note for p in letter.placements[3:]] == [
        "按 Word 标题样式“标题 1”补加层次序号“一、”",
        "按 Word 标题样式“标题 2”补加层次序号“（一）”",
    ]


def test_word_automatic_numbering_becomes_text():
    """WPS/Word turn a typed “1.” into a list: the number is no longer in the text."""
    document = docx.Document()
    add(document, "我委主要采取了以下措施。")
    add(document, "放宽招聘条件", style="List Number")
    add(document, "提高薪酬待遇", style="List Number")
    add(document, "改善工作条件", style="List Bullet")

    letter = read_letter(save(document))

    assert letter.fields["body"] == "我委主要采取了以下措施。\n1.放宽招聘条件\n2.提高薪酬待遇\n改善工作条件"
    assert letter.placements == [
        Placement("body", "正文", "我委主要采取了以下措施。……（共4段）"),
        Placement("body", "正文", "1.放宽招聘条件", "Word 自动编号“1.”已转为文字"),
        Placement("body", "正文", "2.提高薪酬待遇", "Word 自动编号“2.”已转为文字"),
    ]
    assert letter.warnings == ["Word 稿中有 1 段使用了项目符号，符号未导入，文字已保留。"]


# --- (4) bold run-in headings -----------------------------------------------------------

def test_bold_run_in_headings_become_level_two_headings():
    document = docx.Document()
    add(document, "王刚代表：")
    add(document, "您提出的《关于加强基层卫生人才队伍建设的建议》收悉。现答复如下：")
    add(document, "一、关于人才引进")
    add_run_in(document, "放宽招聘条件。", "对乡镇卫生院招聘实行“先面试、后笔试”。")
    add_run_in(document, "提高薪酬待遇：", "基层绩效工资总量上浮10%。")
    add(document, "二、关于人才培养")
    add_run_in(document, "实施定向培养。", "每年招收定向医学生500名。")
    add(document, "全段加粗的一句话不是小标题。", bold=True)
    emphasis = document.add_paragraph()
    emphasis.add_run("我们将")
    emphasis.add_run("重点")
    emphasis.runs[-1].bold = True
    emphasis.add_run("推进。")
    add_run_in(document, "（三）已有序号的加粗小标题。", "保持原样。")

    letter = read_letter(save(document))

    assert letter.fields["body"] == "\n".join([
        "一、关于人才引进",
        "（一）放宽招聘条件。对乡镇卫生院招聘实行“先面试、后笔试”。",
        "（二）提高薪酬待遇：基层绩效工资总量上浮10%。",
        "二、关于人才培养",
        "（一）实施定向培养。每年招收定向医学生500名。",
        "全段加粗的一句话不是小标题。",
        "我们将重点推进。",
        "（三）已有序号的加粗小标题。保持原样。",
    ])
    note = "按段首加粗的小标题补加层次序号“{}”"
    assert letter.placements == [
        Placement("salutation", "称谓", "王刚代表："),
        Placement("opening", "开头语", "您提出的《关于加强基层卫生人才队伍建设的建议》收悉。现答复如下："),
        Placement("body", "正文", "一、关于人才引进……（共8段）"),
        Placement("body", "正文", "（一）放宽招聘条件。对乡镇卫生院招聘实行“先面试、后笔试”。",
                  note.format("（一）")),
        Placement("body", "正文", "（二）提高薪酬待遇：基层绩效工资总量上浮10%。", note.format("（二）")),
        Placement("body", "正文", "（一）实施定向培养。每年招收定向医学生500名。", note.format("（一）")),
    ]


# --- (5) a table in the body ------------------------------------------------------------

def test_table_in_the_body_is_refused_and_named():
    document = docx.Document()
    add(document, "李华代表：")
    add(document, "您提出的建议收悉。现答复如下：")
    add(document, "2025年各地引进人才情况如下。")
    table = document.add_table(rows=3, cols=4)
    table.cell(0, 0).text = "市（州）"
    table.cell(0, 1).text = "引进人数"
    add(document, "感谢您的关心和支持。")

    with pytest.raises(DocxRefused) as refused:
        read_letter(save(document))

    assert refused.value.field == "docx"
    assert refused.value.message == (
        "Word 稿正文中有表格（第1个表格，3行4列，首格为“市（州）”）。答复正文只能是文字，"
        "系统不会把表格拆成段落。请把表格内容改写为文字，或删去表格、将其作为附件另行上传后，"
        "再导入 Word 稿。")


def test_every_table_is_named():
    document = docx.Document()
    add(document, "正文。")
    first = document.add_table(rows=2, cols=3)
    first.cell(0, 0).text = ""
    first.cell(1, 2).text = "合计 1200 人，其中本科及以上学历 860 人"
    add(document, "中间的正文。")
    document.add_table(rows=1, cols=1)
    with pytest.raises(DocxRefused) as refused:
        read_letter(save(document))
    assert refused.value.message == (
        "Word 稿正文中有2个表格（第1个表格，2行3列，首格为“合计 1200 人，其中本科及以上学历…”；"
        "第2个表格，1行1列，各格均为空）。答复正文只能是文字，系统不会把表格拆成段落。"
        "请把表格内容改写为文字，或删去表格、将其作为附件另行上传后，再导入 Word 稿。")


# --- (6) body only ----------------------------------------------------------------------

def test_letter_with_no_head_and_no_tail_is_all_body():
    paragraphs = [
        "近年来，我委高度重视基层卫生人才队伍建设：",
        "一、关于人才引进",
        "我委会同省人社厅出台了《关于进一步加强基层卫生人才队伍建设的若干措施》。",
        "二、关于人才培养",
        "下一步，我们将继续实施订单定向培养计划。",
    ]
    document = docx.Document()
    for text in paragraphs:
        add(document, text)

    letter = read_letter(save(document))

    assert letter.fields["body"] == "\n".join(paragraphs)
    assert {key: value for key, value in letter.fields.items() if key != "body"} == {
        "title": "", "doc_number": "", "signer": "", "result_class": "", "disclosure": "",
        "salutation": "", "opening": "", "closing": "", "unit": "", "date": None,
        "contact_name": "", "contact_phone": "", "cc": [], "reviewers": NO_REVIEWERS,
    }
    assert letter.placements == [
        Placement("body", "正文", "近年来，我委高度重视基层卫生人才队伍建设：……（共5段）")]
    assert letter.dropped == [] and letter.warnings == []


@pytest.mark.parametrize("first", [
    "按照《基层卫生人才规划》（吉卫发〔2025〕3号）要求，我委出台了实施方案。",
    "吉卫发〔2025〕3号文件要求",
])
def test_first_paragraph_citing_a_doc_number_stays_body(first):
    document = docx.Document()
    add(document, first)
    add(document, "下一步，我们将继续努力。")
    letter = read_letter(save(document))
    assert letter.fields["body"] == first + "\n下一步，我们将继续努力。"
    assert letter.fields["doc_number"] == ""
    assert letter.dropped == [] and letter.warnings == []


# --- (7) zip bombs ----------------------------------------------------------------------

def document_with_body_xml(xml: bytes) -> bytes:
    """A real .docx whose word/document.xml is replaced, deflated."""
    template = zipfile.ZipFile(io.BytesIO(save(docx.Document())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in template.infolist():
            content = xml if info.filename == "word/document.xml" else template.read(info)
            archive.writestr(info.filename, content)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """~85 KB that inflates to 50 million characters of one body paragraph."""
    return document_with_body_xml(
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body><w:p>'
        f'<w:r><w:t>'.encode() + b"a" * 50_000_000 + b"</w:t></w:r></w:p></w:body></w:document>")


def test_zip_bomb_is_refused_from_the_directory_before_inflating(bomb, monkeypatch):
    assert len(bomb) < 150_000
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    monkeypatch.setattr(docx, "Document", lambda *a: pytest.fail("parsed a zip bomb"))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DocxRefused) as refused:
            read_letter(bomb)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert refused.value.message == (
        f"Word 文件解压后的内容过大（约 {declared / 1024 / 1024:.1f} MB，上限 8 MB），"
        "系统拒绝读取。请删去文中的大图片等非文字内容后再上传。")
    assert elapsed < 1.0
    assert peak < 2 * 1024 * 1024  # nothing of the 50 MB was inflated


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten in its local and central headers."""
    data = bytearray(data)
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = data.find(signature)
        while at != -1:
            if data[at + name_at:at + name_at + len(encoded)] == encoded:
                data[at + size_at:at + size_at + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    return bytes(data)


def test_zip_whose_directory_understates_the_size_is_refused_while_reading(bomb):
    liar = lie_about_size(bomb, "word/document.xml", 1000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(liar)).infolist()) \
        < MAX_EXPANDED_BYTES
    started = time.perf_counter()
    with pytest.raises(DocxRefused) as refused:
        read_letter(liar)
    assert time.perf_counter() - started < 1.0
    # Reading stops at the declared size; the data then fails its CRC.
    assert refused.value.message == ("无法读取该 Word 文件，文件可能已损坏或不是 Word（.docx）文件。"
                                     "请用 Word 或 WPS 打开后另存为 .docx 再上传。")


def test_many_members_adding_up_beyond_the_limit_are_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(9):
            archive.writestr(f"word/media/image{n}.png", b"\0" * (1024 * 1024))
    with pytest.raises(DocxRefused) as refused:
        read_letter(out.getvalue())
    assert "约 9.0 MB，上限 8 MB" in refused.value.message


def body_xml(inner: bytes) -> bytes:
    return (f'<w:document xmlns:w="{W_NS}"><w:body>'.encode() + inner
            + b"</w:body></w:document>")


def test_more_paragraphs_than_any_letter_are_refused_before_walking():
    started = time.perf_counter()
    with pytest.raises(DocxRefused) as refused:
        read_letter(document_with_body_xml(body_xml(b"<w:p/>" * (MAX_PARAGRAPHS + 1))))
    assert time.perf_counter() - started < 2.0
    assert refused.value.message == (
        "Word 文件中的段落过多（20001 段，上限 20000 段），超出答复函的合理范围，"
        "系统拒绝读取。请检查文件后重试。")


def test_text_cut_into_more_runs_than_any_letter_is_refused():
    run = b"<w:r><w:t>a</w:t></w:r>"
    with pytest.raises(DocxRefused) as refused:
        read_letter(document_with_body_xml(body_xml(b"<w:p>" + run * (MAX_RUNS + 1) + b"</w:p>")))
    assert refused.value.message == (
        "Word 文件的内部结构过于零碎（100001 个文字片段，上限 100000 个），系统拒绝读取。"
        "请将正文以纯文本粘贴到新文档后再上传。")


# --- (8) body too long ------------------------------------------------------------------

def test_body_longer_than_a_draft_may_be_is_refused_with_its_length():
    document = docx.Document()
    add(document, "李华代表：")
    add(document, "您提出的建议收悉。现答复如下：")
    for _ in range(61):
        add(document, "我" * 999 + "。")
    add(document, "感谢您的关心和支持。")

    with pytest.raises(DocxRefused) as refused:
        read_letter(save(document))

    assert refused.value.message == ("Word 稿的正文共 61060 字，超过答复正文的上限 60000 字。"
                                     "请删减正文，或把详细材料作为附件上传。")


def test_one_huge_paragraph_is_measured_without_scanning_it_for_head_items():
    """2.3 million characters in one paragraph (within the 8 MB limit): refused for its
    length, without the head and tail patterns scanning it."""
    huge = body_xml(b"<w:p><w:r><w:t>" + "我".encode() * 2_300_000 + b"</w:t></w:r></w:p>")
    started = time.perf_counter()
    with pytest.raises(DocxRefused) as refused:
        read_letter(document_with_body_xml(huge))
    assert time.perf_counter() - started < 3.0
    assert refused.value.message.startswith("Word 稿的正文共 2300000 字，超过答复正文的上限")


def test_body_of_exactly_the_limit_is_accepted():
    document = docx.Document()
    add(document, "我" * (MAX_BODY_CHARS - 1) + "。")
    letter = read_letter(save(document))
    assert len(letter.fields["body"]) == MAX_BODY_CHARS


# --- (9) dates --------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "iso", "note"), [
    ("2026年6月18日", "2026-06-18", ""),
    ("2026年06月18日", "2026-06-18", "日期 2026年06月18日 改为 2026-06-18"),
    ("二〇二六年六月十八日", "2026-06-18", "日期 二〇二六年六月十八日 改为 2026-06-18"),
    ("二〇二六年十二月三十一日", "2026-12-31", "日期 二〇二六年十二月三十一日 改为 2026-12-31"),
    ("２０２６年６月１８日", "2026-06-18", "日期 ２０２６年６月１８日 改为 2026-06-18"),
])
def test_date_forms_are_converted_and_reported(typed, iso, note):
    document = docx.Document()
    add(document, "A类　依申请公开")
    add(document, "吉卫函（2026）7号　　签发人：何　明")
    add(document, "李华代表：您提出的建议收悉。现答复如下：我委高度重视。")
    add(document, "再次感谢您的关心。")
    add(document, "吉林省卫生健康委员会")
    add(document, typed)

    letter = read_letter(save(document))

    assert fields_of(letter, "result_class", "disclosure", "doc_number", "signer", "salutation",
                     "opening", "body", "closing", "unit", "date") == {
        "result_class": "A", "disclosure": "依申请公开", "doc_number": "吉卫函〔2026〕7号",
        "signer": "何明", "salutation": "李华代表：", "opening": "您提出的建议收悉。现答复如下：",
        "body": "我委高度重视。", "closing": "再次感谢您的关心。", "unit": "吉林省卫生健康委员会",
        "date": iso,
    }
    assert letter.placements == [
        Placement("result_class", "类别标记", "A"),
        Placement("disclosure", "公开属性", "依申请公开"),
        Placement("doc_number", "文号", "吉卫函〔2026〕7号",
                  CHECK_NUMBER + "；年份括号“（）”已按公文格式改为六角括号“〔〕”"),
        Placement("signer", "签发人", "何明"),
        Placement("salutation", "称谓", "李华代表：", "称谓与开头语在同一段，已拆开"),
        Placement("opening", "开头语", "您提出的建议收悉。现答复如下：",
                  "其后的“我委高度重视。”移入正文"),
        Placement("body", "正文", "我委高度重视。……（共1段）"),
        Placement("closing", "结束语", "再次感谢您的关心。"),
        Placement("unit", "落款单位", "吉林省卫生健康委员会", CHECK_UNIT),
        Placement("date", "成文日期", iso, note),
    ]


def test_date_that_names_no_real_day_is_dropped_with_a_warning():
    document = docx.Document()
    add(document, "正文。")
    add(document, "吉林省卫生健康委员会")
    add(document, "2026年2月30日")
    letter = read_letter(save(document))
    assert letter.fields["date"] is None
    assert letter.fields["unit"] == "吉林省卫生健康委员会"
    assert letter.dropped == [Dropped("2026年2月30日", "不是有效的日期")]
    assert letter.warnings == ["成文日期“2026年2月30日”不是有效的日期，未导入。"]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026年6月8日", (date(2026, 6, 8), True)),
    ("2026 年 6 月 8 日", (date(2026, 6, 8), False)),
    ("二〇二六年一月一日", (date(2026, 1, 1), False)),
    ("二零二六年十月二十日", (date(2026, 10, 20), False)),
    ("2026-06-18", (date(2026, 6, 18), False)),
    ("2026年13月1日", (None, True)),
    ("2026年6月", None),
    ("截至2026年6月18日", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"),
                                         (20, "二十"), (21, "二十一"), (99, "九十九")])
def test_chinese_counting_numbers_both_ways(n, text):
    assert cn_number(n) == text
    assert cn_to_int(text) == n


# --- More layouts -----------------------------------------------------------------------

def test_letterhead_soft_break_title_two_paragraph_opening_and_tail_variants():
    """版头 “…文件”, a title broken with Shift+Enter, an opening over two paragraphs, 附件说明,
    a 落款 pushed right with spaces, 附注 in one line without brackets, 版记 with rules."""
    document = docx.Document()
    add(document, "吉林省卫生健康委员会文件", align=CENTER, size=26)
    add(document, "━━━━━━━━━━━━━━━━")
    title = add(document, "关于对省十四届人大三次会议", align=CENTER, size=22)
    title.runs[0].add_break()
    title.add_run("第0077号代表建议的答复").font.size = Pt(22)
    add(document, "赵敏代表：")
    add(document, "您提出的《关于完善家庭医生签约服务的建议》收悉。")
    add(document, "经商省医保局，现答复如下：")
    add(document, "我委按照国家部署推进家庭医生签约服务。")
    add(document, "特此答复。")
    add(document, "附件：1.2025年签约服务情况")
    add(document, "2.各地经验做法")
    add(document, "　　　　　　　　吉林省卫生健康委员会　2026年7月1日")
    add(document, "联系人：刘洋，联系电话：0431－88900000、13800000000")
    add(document, "────────────────")
    add(document, "抄送:省人大常委会人代选委;省政府办公厅")
    add(document, "吉林省卫生健康委员会办公室　　2026年7月1日印发")
    add(document, "初审：刘　洋　复审：陈静　终审：周涛")

    letter = read_letter(save(document))

    assert letter.fields == {
        "title": "关于对省十四届人大三次会议第0077号代表建议的答复",
        "doc_number": "", "signer": "", "result_class": "", "disclosure": "",
        "salutation": "赵敏代表：",
        "opening": "您提出的《关于完善家庭医生签约服务的建议》收悉。经商省医保局，现答复如下：",
        "body": "我委按照国家部署推进家庭医生签约服务。",
        "closing": "特此答复。",
        "unit": "吉林省卫生健康委员会",
        "date": "2026-07-01",
        "contact_name": "刘洋",
        "contact_phone": "0431-88900000 13800000000",
        "cc": ["省人大常委会人代选委", "省政府办公厅"],
        "reviewers": {"first": "刘洋", "second": "陈静", "final": "周涛"},
    }
    assert [(p.field, p.note) for p in letter.placements] == [
        ("title", CHECK_TITLE + "（由2段合并）"),
        ("salutation", ""),
        ("opening", "开头语由两段合并"),
        ("body", ""),
        ("closing", ""),
        ("unit", CHECK_UNIT),
        ("date", ""),
        ("contact_name", ""),
        ("contact_phone", ""),
        ("cc", ""),
        ("reviewers", CHECK_REVIEWERS),
    ]
    assert letter.dropped == [
        Dropped("吉林省卫生健康委员会文件", "版头（发文机关标志）由系统生成，不从 Word 导入"),
        Dropped("━━━━━━━━━━━━━━━━", "分隔线"),
        Dropped("附件：1.2025年签约服务情况", "附件说明不导入，附件请在系统中另行上传"),
        Dropped("2.各地经验做法", "附件说明不导入，附件请在系统中另行上传"),
        Dropped("────────────────", "分隔线"),
        Dropped("吉林省卫生健康委员会办公室　　2026年7月1日印发",
                "版记中的印发机关和印发日期由系统生成，不从 Word 导入"),
    ]
    assert letter.warnings == ["Word 稿中的附件说明未导入，附件请在系统中另行上传。"]


def test_text_boxes_pictures_and_unknown_head_lines_are_reported():
    document = docx.Document()
    add(document, "内部稿")
    add(document, "关于对省十四届人大三次会议第0040号代表建议的答复", align=CENTER)
    add(document, "李华代表：")
    add(document, "您提出的建议收悉。现答复如下：")
    add(document, "正文第一段。")
    boxed = add(document, "正文第二段。")
    boxed._p.append(parse_xml(
        f'<w:r xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict>'
        '<v:shape style="width:100pt;height:40pt"><v:textbox><w:txbxContent>'
        '<w:p><w:r><w:t>内部资料 注意保存</w:t></w:r></w:p>'
        '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    hidden = add(document, "正文第三段。")
    hidden.add_run("（隐藏的批注文字）").font.hidden = True
    document.add_paragraph().add_run().add_picture(io.BytesIO(png_1x1()))

    letter = read_letter(save(document))

    assert letter.fields["body"] == "正文第一段。\n正文第二段。\n正文第三段。"
    assert letter.dropped == [
        Dropped("内部稿", "位于正文之前，不是可识别的版头要素，未导入"),
        Dropped("内部资料 注意保存", "文本框中的文字不作为正文导入"),
        Dropped("（图片）", "图片不能导入答复正文，如需要请作为附件上传"),
    ]
    assert letter.warnings == ["正文之前的“内部稿”无法识别，未导入，请核对。"]


def test_tracked_changes_are_read_as_accepted():
    document = docx.Document()
    paragraph = add(document, "我委将")
    paragraph._p.append(parse_xml(
        f'<w:ins xmlns:w="{W_NS}" w:id="1" w:author="审核人" w:date="2026-06-01T00:00:00Z">'
        '<w:r><w:t>尽快</w:t></w:r></w:ins>'))
    paragraph._p.append(parse_xml(
        f'<w:del xmlns:w="{W_NS}" w:id="2" w:author="审核人" w:date="2026-06-01T00:00:00Z">'
        '<w:r><w:delText>逐步</w:delText></w:r></w:del>'))
    paragraph.add_run("出台实施细则。")

    letter = read_letter(save(document))

    assert letter.fields["body"] == "我委将尽快出台实施细则。"
    assert letter.warnings == ["Word 稿中有未处理的修订，已按“接受所有修订”后的文字导入，请核对。"]


@pytest.mark.parametrize(("typed", "name", "phone"), [
    ("（联系人：刘洋　电话：0431-88900000）", "刘洋", "0431-88900000"),
    ("(联系人:刘洋 电话:0431-88900000)", "刘洋", "0431-88900000"),
    ("联系人：刘洋，联系电话：(0431)88900000。", "刘洋", "(0431)88900000"),
    ("联系人及电话：刘洋，13800000000", "刘洋", "13800000000"),
    ("联系人：刘洋（0431-88900000）", "刘洋", "0431-88900000"),
    ("联系人：刘　洋　电话：０４３１－８８９０００００", "刘洋", "0431-88900000"),
])
def test_contact_line_variants(typed, name, phone):
    document = docx.Document()
    add(document, "正文。")
    add(document, "吉林省卫生健康委员会", align=RIGHT)
    add(document, "2026年6月18日", align=RIGHT)
    add(document, typed)
    letter = read_letter(save(document))
    assert fields_of(letter, "body", "contact_name", "contact_phone") == {
        "body": "正文。", "contact_name": name, "contact_phone": phone}
    assert letter.warnings == []


def test_contact_phone_with_other_characters_is_flagged():
    document = docx.Document()
    add(document, "正文。")
    add(document, "联系人：刘洋　电话：0431-88900000转8012")
    letter = read_letter(save(document))
    assert letter.fields["contact_phone"] == "0431-88900000转8012"
    assert letter.placements[-1] == Placement("contact_phone", "联系电话", "0431-88900000转8012",
                                              "电话只能包含数字、+、- 和括号，请修改")
    assert letter.warnings == ["联系电话“0431-88900000转8012”含有其他字符，保存前请修改。"]


@pytest.mark.parametrize("changes", [
    {},
    {"letterhead": "吉林省卫生健康委员会", "watermark": "草稿"},
    {"kind": "proposal", "proposers": ["陈明", "王刚"], "co_units": [], "result_class": "B",
     "disclosure": "on_request"},
])
def test_letter_exported_by_the_system_reads_back_into_the_same_fields(changes):
    """The drafter downloads the letter as Word, edits it and imports it again."""
    from tracker.letters.docx_export import letter_docx
    from tracker.letters.inputs import parse
    from tracker.letters.samples import sample_letter

    data = sample_letter(pages=3, signer="何旭明", **changes)
    letter = read_letter(letter_docx(parse(data)))

    suggestion = data["kind"] == "suggestion"
    assert letter.fields == {
        "title": f"对省十四届人大三次会议第212号{'代表建议' if suggestion else '委员提案'}的答复",
        "doc_number": "吉卫复议字〔2026〕12号",
        "signer": "何旭明",
        "result_class": data["result_class"],
        "disclosure": {"public": "主动公开", "on_request": "依申请公开"}[data["disclosure"]],
        "salutation": "李华代表：" if suggestion else "尊敬的陈明等委员：",
        "opening": ("您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。"
                    "经商省人力资源和社会保障厅，现答复如下：") if suggestion else
                   ("您们在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。"
                    "现答复如下："),
        "body": data["body"],
        "closing": "感谢您对卫生健康工作的关心和支持。",
        "unit": "吉林省卫生健康委员会",
        "date": "2026-06-18",
        "contact_name": "刘洋",
        "contact_phone": "0431-88900000",
        "cc": ["省人大常委会人代选委", "省政府办公厅"],
        "reviewers": {"first": "刘洋", "second": "陈静", "final": "周涛"},
    }
    assert [d for d in letter.dropped if d.reason not in ("空段落", HEADER_FOOTER)] == (
        [Dropped("吉林省卫生健康委员会", "版头（发文机关标志）由系统生成，不从 Word 导入")]
        if "letterhead" in changes else [])
    assert letter.warnings == []


# --- Files that are not letters ---------------------------------------------------------

@pytest.mark.parametrize(("content", "message"), [
    (b"", "该文件不是有效的 Word（.docx）文件。"),
    (b"%PDF-1.7 not a zip", "该文件不是有效的 Word（.docx）文件。"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
     "这是旧版 Word（.doc）文件或加密的文件，请在 Word 或 WPS 中取消密码并另存为 .docx 后再上传。"),
])
def test_files_that_are_not_docx_are_refused(content, message):
    with pytest.raises(DocxRefused) as refused:
        read_letter(content)
    assert refused.value.message == message


def test_zip_that_is_not_a_word_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("readme.txt", "hello")
    with pytest.raises(DocxRefused) as refused:
        read_letter(out.getvalue())
    assert refused.value.message.startswith("无法读取该 Word 文件")


def test_document_without_text_is_refused():
    document = docx.Document()
    add(document)
    add(document, "　　")
    with pytest.raises(DocxRefused) as refused:
        read_letter(save(document))
    assert refused.value.message == "该 Word 文件中没有文字。"


def test_document_whose_text_is_all_in_text_boxes_and_headers_is_refused():
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "吉林省卫生健康委员会"
    boxed = add(document)
    boxed._p.append(parse_xml(
        f'<w:r xmlns:w="{W_NS}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape>'
        '<v:textbox><w:txbxContent><w:p><w:r><w:t>全文都在文本框里</w:t></w:r></w:p>'
        '</w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    with pytest.raises(DocxRefused) as refused:
        read_letter(save(document))
    assert refused.value.message == (
        "该 Word 文件的正文中没有文字（文本框、页眉页脚中的文字不作为正文导入）。")
