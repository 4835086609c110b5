"""Forms for the API's own inputs; the handling actions and registration reuse the pages' forms."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.core.forms import BaseForm
from tracker.instructions.choices import InstructionKind

REQUIRED = "此项必须填写。"
SECTION_NAME_MAX = 100
SECTIONS_MAX = 100


class NameListField(Field):
    """A JSON array of names (json_to_formdata turns it into repeated keys)."""

    def process_formdata(self, valuelist):
        self.data = [value.strip() for value in valuelist if value and value.strip()]

    def _value(self):
        return "、".join(self.data or [])


class UnitForm(BaseForm):
    name = StringField("单位全称", [DataRequired(REQUIRED), Length(max=100)])
    short_name = StringField("简称", [Optional(), Length(max=40)])
    is_supervising = BooleanField("交办（督办）单位")
    sections = NameListField("处室", default=list)

    def validate_sections(self, field):
        names = field.data or []
        if len(names) > SECTIONS_MAX:
            raise ValidationError(f"处室最多 {SECTIONS_MAX} 个。")
        too_long = [n for n in names if len(n) > SECTION_NAME_MAX]
        if too_long:
            raise ValidationError(f"处室名称最多 {SECTION_NAME_MAX} 个字符：「{too_long[0][:20]}…」。")
        if len(set(names)) != len(names):
            raise ValidationError("处室名称不能重复。")


class InstructionGiveInput(BaseForm):
    """An asked-for instruction answered: by its leader, or by a clerk from the paper."""

    text = StringField("批示内容", [DataRequired(REQUIRED), Length(max=2000)])
    given_on = DateField("批示日期", [InputRequired(REQUIRED)], format="%Y-%m-%d")
    source = SelectField("批示来源（代领导录入时：paper 据纸质批示录入）", choices=[
        ("", "（领导本人批示）"), ("paper", "据纸质批示录入")], validators=[Optional()])
    leader_name = StringField("批示领导姓名（代录入且未指定领导时）", [Optional(), Length(max=60)])


class InstructionInput(InstructionGiveInput):
    """A given instruction entered: typed by its leader, or by a clerk from the paper (a
    scanned page is uploaded on the pages)."""

    kind = SelectField("批示类别", choices=InstructionKind.choices(),
                       validators=[InputRequired(REQUIRED)])
    assignment_id = IntegerField("交办 id（承办单位领导的意见）", [Optional()])
    leader_id = IntegerField("批示领导的用户 id", [Optional()])
