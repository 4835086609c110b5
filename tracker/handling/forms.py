"""Forms for assignment and the handling actions; each carries the version it was shown at."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.core.forms import BaseForm, MultiCheckboxField
from tracker.core.time import today
from tracker.handling.models import ContactMethod, ContactStage

REQUIRED = "此项必须填写。"


class VersionedForm(BaseForm):
    # The assignment's version when the page was rendered: a stale form gets a 409.
    version = IntegerField("版本", [Optional()], widget=HiddenField.widget)


class AssignForm(BaseForm):
    lead_unit_id = SelectField("主办单位", coerce=int, validators=[Optional()])
    co_unit_ids = MultiCheckboxField("会办单位", coerce=int, validators=[Optional()])
    separate_unit_ids = MultiCheckboxField("分办单位", coerce=int, validators=[Optional()],
                                           description="分办时不设主办单位，各单位分别答复")
    due_on = DateField("答复期限", [Optional()],
                       description="留空则按会议设定的答复期限自动计算（遇节假日顺延）")
    co_due_on = DateField("会办期限", [Optional()], description="留空则按会议设定自动计算")
    note = TextAreaField("交办意见", [Optional(), Length(max=2000)])


class AcceptForm(VersionedForm):
    note = TextAreaField("签收备注", [Optional(), Length(max=2000)])


class RequestReturnForm(VersionedForm):
    reason = TextAreaField("退回理由", [DataRequired(REQUIRED), Length(max=2000)])


class ApproveReturnForm(VersionedForm):
    reassign_unit_id = SelectField("改交单位", coerce=int, validators=[Optional()])
    note = TextAreaField("审核意见", [Optional(), Length(max=2000)])


class RejectReturnForm(VersionedForm):
    reason = TextAreaField("不同意退回的理由", [DataRequired(REQUIRED), Length(max=2000)])


class DispatchForm(VersionedForm):
    section_id = SelectField("责任处室", coerce=int, validators=[InputRequired(REQUIRED)])
    drafter_id = SelectField("承办人", coerce=int, validators=[InputRequired(REQUIRED)])


class ContactForm(VersionedForm):
    stage = SelectField("阶段", choices=ContactStage.choices())
    method = SelectField("方式", choices=ContactMethod.choices())
    contacted_on = DateField("联系日期", [InputRequired(REQUIRED)], default=today)
    summary = TextAreaField("情况摘要", [DataRequired(REQUIRED), Length(max=5000)])


class OpinionForm(VersionedForm):
    text = TextAreaField("会办意见", [DataRequired(REQUIRED), Length(max=20000)])
    attachment = FileField("附件（可选，PDF/Word/图片）")


class OpinionDecisionForm(VersionedForm):
    # The pending version the leader read: a newer one gets a 409, not a blind decision.
    seen_opinion_id = IntegerField("会办意见", [Optional()], widget=HiddenField.widget)


class ApproveOpinionForm(OpinionDecisionForm):
    note = TextAreaField("审批意见（可选）", [Optional(), Length(max=1000)])


class ReturnOpinionForm(OpinionDecisionForm):
    comment = TextAreaField("退回意见", [DataRequired(REQUIRED), Length(max=1000)],
                            description="写明需要修改的内容，退回后由承办人（或联络员）修改后重新提交")


class RequestExtensionForm(VersionedForm):
    reason = TextAreaField("延期理由", [DataRequired(REQUIRED), Length(max=1000)])
    due_on = DateField("延期至", [Optional()],
                       description="须晚于现期限，且不超过现期限后 1 个月（按工作日历计算）")
    one_month = BooleanField("延长 1 个月（按工作日历自动计算，遇休息日顺延）")


class ApproveExtensionForm(VersionedForm):
    note = TextAreaField("审批意见", [Optional(), Length(max=1000)])


class RejectExtensionForm(VersionedForm):
    reason = TextAreaField("不同意延期的理由", [DataRequired(REQUIRED), Length(max=1000)])
