"""Forms for entering, asking for and giving leaders' instructions."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.core.forms import BaseForm
from tracker.core.time import today
from tracker.instructions.choices import InstructionKind, InstructionSource

REQUIRED = "此项必须填写。"
OTHER_LEADER = (0, "（其他领导，在下栏填写姓名）")
PAPER_SOURCES = [(s.value, s.label) for s in (InstructionSource.paper, InstructionSource.scan)]


class GiveForm(BaseForm):
    """The instruction itself; for a clerk entering it, where it came from and the leader."""

    text = TextAreaField("批示内容", [DataRequired("请填写批示内容。"), Length(max=2000)],
                         description="照录领导批示原文，如：请鲁朗同志阅。呈请吴昱同志阅示、拟转市卫健委办理。")
    given_on = DateField("批示日期", [InputRequired(REQUIRED)], default=today)
    source = SelectField("批示来源", choices=PAPER_SOURCES, validators=[Optional()])
    leader_name = StringField("批示领导姓名", [Optional(), Length(max=60)])
    scan = FileField("批示扫描件", description="扫描件录入时必须上传（PDF 或图片）")


class EnterForm(GiveForm):
    kind = SelectField("批示类别", choices=InstructionKind.choices())
    assignment_id = SelectField("承办单位", coerce=int, validators=[Optional()],
                                description="承办单位领导的意见须选择单位")
    leader_id = SelectField("批示领导", coerce=int, validators=[Optional()])



class RequestForm(BaseForm):
    kind = SelectField("批示类别", choices=InstructionKind.choices())
    assignment_id = SelectField("承办单位", coerce=int, validators=[Optional()])
    leader_id = SelectField("呈请领导", coerce=int, validators=[Optional()])
    note = TextAreaField("呈批说明", [Optional(), Length(max=300)],
                         description="如：拟转市卫健委办理，呈请阅示。")
