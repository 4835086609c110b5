"""The notification settings form: channels per kind, the daily digest, SMS quiet hours."""
from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import Regexp

from tracker.core.forms import BaseForm
from tracker.notifications.choices import NotificationKind

CLOCK = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message="请按“时:分”填写，如 22:00。")


class SettingsForm(BaseForm):
    digest = BooleanField("每日汇总：邮件每天 8:00 合并发送一封，不再逐条发送")
    quiet_from = StringField("短信免打扰：从", validators=[CLOCK], default="22:00")
    quiet_until = StringField("至", validators=[CLOCK], default="07:00")

    def kind_fields(self):
        """(kind, its e-mail box, its SMS box) in the kinds' order."""
        return [(kind, self[f"email_{kind.value}"], self[f"sms_{kind.value}"])
                for kind in NotificationKind]


for _kind in NotificationKind:
    setattr(SettingsForm, f"email_{_kind.value}", BooleanField(f"{_kind.label}：电子邮件"))
    setattr(SettingsForm, f"sms_{_kind.value}", BooleanField(f"{_kind.label}：短信"))
del _kind
