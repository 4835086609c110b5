"""Forms for the API's own inputs; the handling actions and registration reuse the pages' forms."""
from __future__ import annotations

from wtforms import BooleanField, Field, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from tracker.core.forms import BaseForm

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
