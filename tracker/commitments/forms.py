"""Forms of the commitments: list one, change it, report progress, close it."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tracker.commitments.choices import CommitmentStatus
from tracker.commitments.models import NOTE_MAX, WHAT_MAX
from tracker.core.forms import BaseForm
from tracker.core.time import today

NO_SECTION = (0, "（不指定）")


class EditForm(BaseForm):
    what = TextAreaField("承诺事项", [InputRequired("请填写承诺事项。"), Length(max=WHAT_MAX)],
                         description="写明答复中承诺做什么，如：2027年底前在全市乡镇卫生院配备全科医生。")
    due_on = DateField("承诺完成时限", [InputRequired("请填写承诺完成时限。")])
    section_id = SelectField("责任处室", coerce=int, validators=[Optional()])


class CommitmentForm(EditForm):
    reply_id = SelectField("所属答复", coerce=int,
                           description="只有已发文的 B 类、C 类答复需要登记承诺事项。")


class ReportForm(BaseForm):
    text = TextAreaField("进展情况", [InputRequired("请填写进展情况。"), Length(max=2000)])
    reported_on = DateField("报送日期", [InputRequired("请填写报送日期。")], default=today)
    files = MultipleFileField("附件（可多选，PDF/Word/图片）")


class CloseForm(BaseForm):
    outcome = RadioField("落实结果", choices=[
        (CommitmentStatus.done.value, CommitmentStatus.done.label),
        (CommitmentStatus.not_done.value, CommitmentStatus.not_done.label)],
        validators=[InputRequired("请选择落实结果。")])
    done_on = DateField("落实日期", [Optional()], default=today,
                        description="已落实时填写。")
    note = TextAreaField("说明", [Optional(), Length(max=NOTE_MAX)],
                         description="未落实的，必须说明原因（如：受财力所限，列入下一年度计划）。")
    tell_authors = BooleanField("告知提出人（向留有电子邮箱的提出人发送落实情况）")
