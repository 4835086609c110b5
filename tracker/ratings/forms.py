"""Forms of the ratings area: the author's rating, a clerk's entry of a paper form, the
aggregation rule, 办结."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from tracker.core.forms import BaseForm
from tracker.core.states import Grade, Satisfaction
from tracker.handling.models import ContactMethod
from tracker.ratings.models import RatingRule

SATISFACTION_CHOICES = [(s.value, f"{s.label}（{s.band_label}）") for s in Satisfaction]


class RatingForm(BaseForm):
    handling = RadioField("对办理工作的评价", choices=SATISFACTION_CHOICES,
                          validators=[InputRequired("请选择对办理工作的评价。")])
    handling_score = IntegerField("办理工作评分（可选，0–100）", validators=[
        Optional(), NumberRange(0, 100, "分数应为 0–100。")])
    result = RadioField("对办理结果的评价", choices=SATISFACTION_CHOICES,
                        validators=[InputRequired("请选择对办理结果的评价。")])
    result_score = IntegerField("办理结果评分（可选，0–100）", validators=[
        Optional(), NumberRange(0, 100, "分数应为 0–100。")])
    contacted = RadioField("承办单位是否与您联系过", choices=[("yes", "联系过"), ("no", "没有联系")],
                           validators=[InputRequired("请选择承办单位是否与您联系过。")])
    contact_method = SelectField("联系方式", choices=[("", "（请选择）")] + ContactMethod.choices(),
                                 validators=[Optional()])
    comments = TextAreaField("意见和建议", validators=[Optional(), Length(max=2000)])

    def answers(self) -> dict:
        return {"handling": self.handling.data, "result": self.result.data,
                "handling_score": self.handling_score.data,
                "result_score": self.result_score.data, "contacted": self.contacted.data,
                "contact_method": self.contact_method.data, "comments": self.comments.data}


class RatingCodeForm(BaseForm):
    code = StringField("输入征询意见表上的评价码", validators=[
        DataRequired("请输入征询意见表上的评价码。"), Length(max=100, message="评价码过长。")],
        description="共 20 位，由数字和字母组成，不区分大小写，空格和短横线可省略。")


class PrintFormForm(BaseForm):
    """Print an author's 征询意见表: the paper form, or (supervising office) with a new link."""

    with_link = BooleanField("生成新的评价链接（原有链接作废）")
    reason = StringField("生成理由", validators=[Optional(), Length(max=200)])


class CloseForm(BaseForm):
    grade = RadioField("办理工作评定", choices=Grade.choices(),
                       validators=[DataRequired("请评定办理工作等次（好、中、差）。")])
    comment = TextAreaField("评定意见", validators=[Optional(), Length(max=2000)])


class PaperRatingForm(RatingForm):
    """The answers of one author's paper form, entered by a clerk, with the scan."""

    # Not limited to the offered choices here: an author of another item gets the
    # operation's own message ("not an author of this item"), not a generic one.
    author_id = SelectField("提出人", coerce=int, validate_choice=False,
                            validators=[InputRequired("请选择提出人。")])
    scan = FileField("征询意见表扫描件（PDF 或图片，可选）")


class PaperRatingInput(RatingForm):
    """The same answers through the API (no scan)."""

    author_id = IntegerField("提出人 id（见事项的 authors[].id）",
                             validators=[InputRequired("请选择提出人。")])


class RatingRuleForm(BaseForm):
    rule = RadioField("评价汇总规则", choices=RatingRule.choices(),
                      validators=[InputRequired("请选择评价汇总规则。")])


class PrintBatchForm(BaseForm):
    """Print the 征询意见表 of every author still to answer, for a meeting (and a unit)."""

    meeting_id = SelectField("会议", coerce=int, validators=[InputRequired(message="请选择会议。")])
    unit_id = SelectField("承办单位", coerce=int, default=0)
