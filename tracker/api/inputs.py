"""Reading the API's input: JSON bodies checked against the documented schema, then handed
to the pages' WTForms forms as form data; multipart forms for uploads."""
from __future__ import annotations

from flask import request
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from tracker.api import openapi
from tracker.core.errors import DomainError, ValidationFailed
from tracker.core.forms import json_to_formdata

INVALID_FORM = "提交的内容有误，请按提示修改。"
FORM_MIMETYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
TYPE_MESSAGES = {
    "string": "应为字符串。",
    "integer": "应为整数。",
    "boolean": "应为 true 或 false。",
    "array": "应为数组。",
    "object": "应为对象。",
}
TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


class BadBody(DomainError):
    """The request body is not a JSON object (HTTP 400)."""

    status = 400


def unstorable(value: str) -> bool:
    """NUL bytes and lone surrogates cannot be stored (PostgreSQL refuses them)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def type_errors(schema: dict, data: dict) -> dict[str, list[str]]:
    """Check the JSON types of the fields a form schema names (values, not rules).

    Field names follow the forms' error names (authors-0-email); null means "not given";
    fields the schema does not name are ignored, as the forms ignore them.
    """
    errors: dict[str, list[str]] = {}

    def walk(node: dict, value, name: str, in_array: bool = False) -> None:
        kind = node.get("type")
        if value is None:
            # A field left out is the forms' business (required or not); an array has no gaps.
            if in_array and kind in TYPE_MESSAGES:
                errors[name] = [TYPE_MESSAGES[kind]]
            return
        if kind in TYPE_CHECKS and not TYPE_CHECKS[kind](value):
            errors[name] = [TYPE_MESSAGES[kind]]
            return
        if isinstance(value, str) and unstorable(value):
            errors[name] = ["内容包含无法保存的字符（如空字符），请删除后重试。"]
        elif kind == "array":
            if "maxItems" in node and len(value) > node["maxItems"]:
                errors[name] = [f"最多 {node['maxItems']} 项。"]
                return
            for index, item in enumerate(value):
                walk(node.get("items", {}), item, f"{name}-{index}", in_array=True)
        elif kind == "object":
            for key, sub in node.get("properties", {}).items():
                if key in value:
                    walk(sub, value[key], f"{name}-{key}" if name else key)

    walk(schema, data, "")
    return errors


def json_body() -> dict:
    if not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(force=True, silent=True)
    except RecursionError:  # absurdly deep nesting
        data = None
    if not isinstance(data, dict):
        raise BadBody("请求体必须是一个 JSON 对象。")
    return data


def formdata(form_class, *, files: bool = False) -> MultiDict:
    """The request's input for form_class: a JSON object, or a (multipart) form."""
    if request.mimetype in FORM_MIMETYPES:
        texts = list(request.form.items(multi=True)) + [
            (name, upload.filename or "") for name, upload in request.files.items(multi=True)]
        bad = sorted({name for name, value in texts if unstorable(value)})
        if bad:
            raise ValidationFailed(INVALID_FORM, {
                name: ["内容包含无法保存的字符（如空字符），请删除后重试。"] for name in bad})
        return CombinedMultiDict([request.files, request.form]) if files else request.form
    data = json_body()
    errors = type_errors(openapi.form_schema(form_class), data)
    if errors:
        raise ValidationFailed(INVALID_FORM, errors)
    return json_to_formdata(data)


def validated_form(form_class, **choices):
    """Build form_class from the request, fill its choices and validate it (422 if not)."""
    form = form_class(formdata=formdata(form_class), meta={"csrf": False})
    for name, values in choices.items():
        getattr(form, name).choices = values
    if not form.validate():
        raise ValidationFailed(INVALID_FORM, form.error_dict())
    return form
