"""The 并案 form: which items join the lead (meeting and numbers)."""
from __future__ import annotations

import re

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from tracker.core.forms import BaseForm


class JoinForm(BaseForm):
    meeting_id = SelectField("并入事项所属会议", coerce=int)
    numbers = StringField(
        "并入事项编号", [DataRequired("请填写要并入的事项编号。"), Length(max=300)],
        description="可填多个，用逗号、顿号或空格分隔，如：0040、212")


_SEPARATORS = re.compile(r"[\s,，、;；]+")


def split_numbers(text: str) -> list[str]:
    """The numbers typed, without 第…号 and in order, each once."""
    seen: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        number = part.strip().removeprefix("第").removesuffix("号").strip()
        if number and number not in seen:
            seen.append(number)
    return seen
