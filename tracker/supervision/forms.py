"""The 催办 form: one message, for one assignment or a unit's overdue assignments."""
from __future__ import annotations

from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.core.forms import BaseForm
from tracker.supervision.models import URGE_DEFAULT_MESSAGE, URGE_MESSAGE_MAX


class UrgeForm(BaseForm):
    message = TextAreaField(
        "催办意见", [DataRequired("请填写催办意见。"),
                 Length(max=URGE_MESSAGE_MAX, message=f"催办意见不能超过 {URGE_MESSAGE_MAX} 个字。")],
        default=URGE_DEFAULT_MESSAGE)
