"""The administrator's redaction rules and their test."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from tracker.core.forms import BaseForm
from tracker.publication.redaction import PATTERN_MAX

TEST_TEXT_MAX = 5000


class RuleForm(BaseForm):
    name = StringField("规则名称", [Length(max=40, message="规则名称不能超过 40 字。")])
    pattern = StringField(
        "正则表达式", [Length(max=PATTERN_MAX, message=f"不能超过 {PATTERN_MAX} 个字符。")],
        description="匹配的文字在公开文本中显示为［已删除］。支持 \\d、\\p{Han}、(?<=…) 等写法；"
                    "保存前先用下面的测试框试一试。")
    position = IntegerField("顺序", [Optional(), NumberRange(min=0, max=1000,
                                                           message="请填写 0–1000 的整数。")])
    is_active = BooleanField("启用", default=True)


class RuleTestForm(BaseForm):
    text = TextAreaField("测试文本", [Length(max=TEST_TEXT_MAX,
                                          message=f"测试文本不能超过 {TEST_TEXT_MAX} 字。")],
                         description="粘贴一段答复文字，查看各条启用的规则（及上面正在编辑的规则）会删除哪些内容。")


class PublishForm(BaseForm):
    extra_words = TextAreaField(
        "另需删除的词语", [Optional(), Length(max=2000, message="不能超过 2000 字。")],
        description="每行一个，至少两个字；点“预览”查看删除后的公开文本。")
    note = TextAreaField("更正说明", [Optional(), Length(max=500, message="不能超过 500 字。")],
                         description="已公开的答复再次公开即为更正，须说明更正的内容和原因。")


class UnitPublicationForm(BaseForm):
    """A unit's 政务公开 settings: its 统一社会信用代码 and the format of its 索引号."""

    credit_code = StringField(
        "统一社会信用代码", [Optional(), Length(max=18, message="应为 18 位。")],
        description="18 位，如 112202813400415897；公开页面的索引号由它开头。")
    index_format = StringField(
        "索引号格式", [Optional(), Length(max=80, message="不能超过 80 个字符。")],
        description="留空则为“信用代码/年份-五位序号”，如 112202813400415897/2026-00001。"
                    "可用 {code}（信用代码）、{year}（年份）、{serial}（序号，如 {serial:05d} 补足五位）。")
