"""Login and password forms (the administration forms are in tracker.admin.forms)."""
from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

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
