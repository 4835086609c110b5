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
