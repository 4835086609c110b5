"""Forms for meetings and item registration."""
from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from tracker.core.forms import BaseForm, CleanMeta
from tracker.core.time import today
from tracker.letters import fields
from tracker.proposals.models import CATEGORIES, Body, Disclosure, ItemKind, Level

REQUIRED = "此项必须填写。"


class AuthorForm(Form):
    class Meta(CleanMeta):
        pass

    name = StringField("姓名", [Optional(), Length(max=60)])
    organisation = StringField("代表团/界别/单位", [Optional(), Length(max=100)])
    phone = StringField("电话", [Optional(), Length(max=40),
                                Regexp(r"^[0-9+\-（）() ]*\Z", message="电话只能包含数字、+、- 和括号。")])
    email = StringField("电子邮箱", [Optional(), Length(max=120),
                                    Email(message="电子邮箱格式不正确。", check_deliverability=False)])
    address = StringField("通信地址", [Optional(), Length(max=200)])


class ProposalForm(BaseForm):
    meeting_id = SelectField("会议", coerce=int, validators=[InputRequired(REQUIRED)])
    kind = SelectField("类别", choices=[("", "按会议自动确定")] + ItemKind.choices(),
                       validators=[Optional()])
    number = StringField("编号", [DataRequired(REQUIRED), Length(max=fields.ITEM_NUMBER_MAX),
                                Regexp(rf"^{fields.ITEM_NUMBER_RE.pattern}\Z",
                                       message=fields.ITEM_NUMBER_HELP)],
                         description="按原样保存和打印，前导零保留，如 0040。")
    title = StringField("案由（标题）", [DataRequired(REQUIRED), Length(max=200)])
    body = TextAreaField("正文", [Optional(), Length(max=50000)])
    category = SelectField("分类", choices=[("", "（未分类）")] + [(c, c) for c in CATEGORIES],
                           validators=[Optional()])
    is_key = BooleanField("重点建议提案")
    disclosure = SelectField("公开属性", choices=Disclosure.choices(),
                             default=Disclosure.public.value)
    received_on = DateField("收到日期", [InputRequired(REQUIRED)], default=today)
    authors = FieldList(FormField(AuthorForm), label="提出人", min_entries=4, max_entries=200)


class MeetingForm(BaseForm):
    level = SelectField("层级", choices=Level.choices())
    body = SelectField("会议", choices=Body.choices())
    region = StringField("地区", [DataRequired(REQUIRED), Length(max=40)],
                         description="如「省」「白城市」")
    term = IntegerField("届次", [InputRequired(REQUIRED), NumberRange(1, 99, "届次应在 1 到 99 之间。")])
    session = IntegerField("会次", [InputRequired(REQUIRED), NumberRange(1, 20, "会次应在 1 到 20 之间。")])
    year = IntegerField("年度", [InputRequired(REQUIRED), NumberRange(2000, 2100, "年度应在 2000 到 2100 之间。")])
    name = StringField("显示名称", [Optional(), Length(max=100)],
                       description="留空则自动生成，如「省十四届人大三次会议」")
    reply_period_months = IntegerField(
        "答复期限（月）", [InputRequired(REQUIRED), NumberRange(1, 12, "答复期限应在 1 到 12 个月之间。")],
        default=3)
    co_period_months = IntegerField(
        "会办期限（月）", [InputRequired(REQUIRED), NumberRange(1, 12, "会办期限应在 1 到 12 个月之间。")],
        default=1)


class MeetingEditForm(BaseForm):
    """Level, body, term and session identify a meeting; only these may change later."""

    name = StringField("显示名称", [DataRequired(REQUIRED), Length(max=100)])
    reply_period_months = MeetingForm.reply_period_months
    co_period_months = MeetingForm.co_period_months


class ProposalEditForm(ProposalForm):
    """Correcting a registration: the meeting and the kind stay as registered."""

    meeting_id = None
    kind = None
