"""Login and password forms (the administration forms are in tracker.admin.forms)."""
from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.core.forms import BaseForm

REQUIRED = "此项必须填写。"
PASSWORD_HINT = ("不能是常见或容易猜到的密码，不能包含用户名、本人姓名或单位名称；"
                 "可用几个不相关的词组成。")


class LoginForm(BaseForm):
    username = StringField("用户名", [DataRequired(REQUIRED), Length(max=60)])
    password = PasswordField("密码", [DataRequired(REQUIRED), Length(max=256)])


class PasswordForm(BaseForm):
    current = PasswordField("当前密码", [DataRequired(REQUIRED), Length(max=256)])
    new = PasswordField("新密码", [DataRequired(REQUIRED), Length(max=256)],
                        description=PASSWORD_HINT, render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("确认新密码", [DataRequired(REQUIRED),
                                          EqualTo("new", message="两次输入的新密码不一致。")])
