"""Login, password and user/unit administration forms."""
from __future__ import annotations

from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from tracker.accounts.models import Role
from tracker.core.forms import BaseForm

REQUIRED = "此项必须填写。"


class LoginForm(BaseForm):
    username = StringField("用户名", [DataRequired(REQUIRED), Length(max=60)])
    password = PasswordField("密码", [DataRequired(REQUIRED), Length(max=256)])


class PasswordForm(BaseForm):
    current = PasswordField("当前密码", [DataRequired(REQUIRED), Length(max=256)])
    new = PasswordField("新密码", [DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField("确认新密码", [DataRequired(REQUIRED),
                                          EqualTo("new", message="两次输入的新密码不一致。")])


class UnitForm(BaseForm):
    name = StringField("单位全称", [DataRequired(REQUIRED), Length(max=100)])
    short_name = StringField("简称", [Optional(), Length(max=40)])
    is_supervising = BooleanField("交办（督办）单位")
    is_active = BooleanField("在用", default=True)
    sections = StringField("处室（新建时可填，用顿号或逗号分隔）", [Optional(), Length(max=2000)])


class SectionForm(BaseForm):
    name = StringField("处室名称", [DataRequired(REQUIRED), Length(max=100)])


ROLE_CHOICES = [(r.value, r.label) for r in Role]


class UserForm(BaseForm):
    username = StringField("用户名", [DataRequired(REQUIRED), Length(min=2, max=60),
                                   Regexp(r"^[A-Za-z0-9_.\-]+$",
                                          message="用户名只能包含字母、数字、下划线、点和连字符。")])
    full_name = StringField("姓名", [DataRequired(REQUIRED), Length(max=60)])
    unit_id = SelectField("所属单位", coerce=int)
    section_id = SelectField("处室", coerce=int, validators=[Optional()])
    roles = SelectMultipleField("角色", choices=ROLE_CHOICES)
    phone = StringField("电话", [Optional(), Length(max=40)])
    email = StringField("电子邮箱", [Optional(), Length(max=120),
                                    Email(message="电子邮箱格式不正确。", check_deliverability=False)])
    password = PasswordField("初始密码", [Optional(), Length(max=256)])
    is_enabled = BooleanField("启用", default=True)


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", [DataRequired(REQUIRED), Length(max=256)])
