"""The base form: Chinese messages, and a way to feed JSON to the same forms."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField, SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

# Also the two non-characters no XML (the .docx export) can carry.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# The largest whole number input may carry: PostgreSQL's integer. SQLite refuses more than
# 2**63 - 1 (OverflowError) and PostgreSQL more than this ("out of range"): both a 500.
MAX_ID = 2**31 - 1
TOO_LARGE = f"数值超出范围（绝对值不能超过 {MAX_ID}）。"


def strip_control(value):
    """Drop NUL and other control characters (and lone surrogates) from text input."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    return value


def bounded_int(value):
    """Refuse whole numbers no column can hold (a field error, through WTForms' filters)."""
    numbers = value if isinstance(value, (list, tuple)) else [value]
    if any(isinstance(n, int) and not isinstance(n, bool) and abs(n) > MAX_ID
           for n in numbers):
        raise ValueError(TOO_LARGE)
    return value


class CleanMeta:
    """Form meta: Chinese messages, every field's text cleaned of control characters and
    every whole number kept within what the database holds."""

    locales = ["zh"]

    def bind_field(self, form, unbound_field, options):
        if unbound_field.field_class in (FieldList, FormField):
            return unbound_field.bind(form=form, **options)  # their inner fields are cleaned
        filters = [strip_control, bounded_int, *unbound_field.kwargs.get("filters", ())]
        return unbound_field.bind(form=form, filters=filters, **options)


class BaseForm(FlaskForm):
    class Meta(CleanMeta):
        pass

    def error_dict(self) -> dict[str, list[str]]:
        """Field errors keyed by field name, nested lists flattened to name-index-sub."""
        result: dict[str, list[str]] = {}

        def walk(prefix: str, errors) -> None:
            if isinstance(errors, dict):
                for key, value in errors.items():
                    walk(f"{prefix}-{key}" if prefix else str(key), value)
            elif isinstance(errors, list) and errors and not isinstance(errors[0], str):
                for index, value in enumerate(errors):
                    if value:
                        walk(f"{prefix}-{index}", value)
            elif errors:
                result[prefix] = [str(e) for e in errors]

        walk("", self.errors)
        return result

    def labelled_errors(self) -> list[str]:
        """Each error with the label of its field, for the message at the top of a page."""
        lines = []
        for name, messages in self.error_dict().items():
            field = self._fields.get(name.split("-")[0])
            label = field.label.text if field is not None else name
            lines.extend(f"「{label}」{m}" for m in messages)
        return lines


def json_to_formdata(data: dict) -> MultiDict:
    """Flatten a JSON object into WTForms' form data (lists of objects become name-i-key)."""
    pairs: list[tuple[str, str]] = []

    def scalar(value) -> str:
        if isinstance(value, bool):
            return "y" if value else ""
        return "" if value is None else str(value)

    for key, value in (data or {}).items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    for sub, subvalue in item.items():
                        pairs.append((f"{key}-{index}-{sub}", scalar(subvalue)))
                else:
                    pairs.append((key, scalar(item)))
        elif isinstance(value, dict):
            for sub, subvalue in value.items():
                pairs.append((f"{key}-{sub}", scalar(subvalue)))
        elif isinstance(value, bool):
            if value:
                pairs.append((key, "y"))
        else:
            pairs.append((key, scalar(value)))
    return MultiDict(pairs)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of check boxes (easier than Ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            # WTForms' Chinese catalogue leaves this message untranslated (marked fuzzy).
            raise ValidationError("所选的项中有无效的选项，请重新选择。") from None
