"""The API tests' client: every response checked against the OpenAPI document (strictly:
undocumented fields fail the test), and the helpers that read its answers."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from tracker.api import schemas
from tracker.core.time import today

PREFIX = "/api/v1"

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


class SchemaChecker:
    """Just enough of OpenAPI 3.0's schema language for this document."""

    def __init__(self, spec: dict):
        self.spec = spec

    def resolve(self, node: dict) -> dict:
        while "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            node = self.spec
            for part in parts:
                node = node[part]
        return node

    def errors(self, schema: dict, value, where: str = "$") -> list[str]:
        schema = self.resolve(schema)
        if value is None:
            return [] if schema.get("nullable") else [f"{where}: null is not allowed"]
        if "allOf" in schema:
            return [e for sub in schema["allOf"] for e in self.errors(sub, value, where)]
        if "anyOf" in schema:
            results = [self.errors(sub, value, where) for sub in schema["anyOf"]]
            return [] if any(not r for r in results) else [f"{where}: matches no anyOf"]
        kind = schema.get("type")
        checks = {
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "array": lambda v: isinstance(v, list),
            "object": lambda v: isinstance(v, dict),
        }
        if kind and not checks[kind](value):
            return [f"{where}: {value!r} is not of type {kind}"]
        found: list[str] = []
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}: {value!r} not in {schema['enum']}")
        fmt = schema.get("format")
        if fmt == "date" and not DATE_RE.match(value):
            found.append(f"{where}: {value!r} is not a date")
        if fmt == "date-time" and not DATE_TIME_RE.match(value):
            found.append(f"{where}: {value!r} is not a UTC date-time")
        if kind == "array":
            for index, item in enumerate(value):
                found += self.errors(schema.get("items", {}), item, f"{where}[{index}]")
        if kind == "object":
            properties = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}: missing {name}")
            extra = schema.get("additionalProperties")
            for name, item in value.items():
                if name in properties:
                    found += self.errors(properties[name], item, f"{where}.{name}")
                elif isinstance(extra, dict):
                    found += self.errors(extra, item, f"{where}.{name}")
                elif extra is not True:
                    found.append(f"{where}: undocumented field {name}")
        return found

    def operation(self, method: str, path: str) -> dict:
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(
                r"\{", "{").replace(r"\}", "}")) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return item[method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check_response(self, method: str, path: str, response) -> None:
        operation = self.operation(method, path)
        responses = operation["responses"]
        declared = responses.get(str(response.status_code)) or responses.get("default")
        assert declared is not None, f"{method} {path}: status {response.status_code} undocumented"
        declared = self.resolve(declared)
        schema = declared["content"]["application/json"]["schema"]
        assert response.mimetype == "application/json", response.mimetype
        problems = self.errors(schema, response.get_json())
        assert not problems, f"{method} {path} -> {response.status_code}: {problems}"
        check_resource(schema, response.get_json())


    def check_error(self, response) -> None:
        assert response.mimetype == "application/json", response.mimetype
        schema = {"$ref": "#/components/schemas/Error"}
        problems = self.errors(schema, response.get_json())
        assert not problems, f"{response.status_code}: {problems}"


def check_resource(schema: dict, body) -> None:
    """The body is what its schema class (tracker.api.schemas) makes of it, field for field."""
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    resource = getattr(schemas, name, None)
    if resource not in schemas.RESOURCES:
        return
    assert schemas.as_json(resource.model_validate(body)) == body, name


class Api:
    """Drive /api/v1 with a bearer token; every response is checked against the document."""

    def __init__(self, client, checker: SchemaChecker):
        self.client = client
        self.checker = checker

    def call(self, method: str, path: str, token: str | None = None, *, expect: int | None = None,
             headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if "json" in kwargs:
            # Encoded as a client would (ASCII with \u escapes): the app's own JSON settings
            # (ensure_ascii off) cannot encode a lone surrogate, a client's encoder can.
            body = kwargs.pop("json")
            if body is not None:
                kwargs["data"] = json.dumps(body)
                kwargs.setdefault("content_type", "application/json")
        response = self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)
        path_only = path.split("?")[0]
        if self._documented(method, path_only):
            self.checker.check_response(method, path_only, response)
        else:  # an unknown path or method: still a JSON error
            self.checker.check_error(response)
        if expect is not None:
            assert response.status_code == expect, (response.status_code,
                                                    response.get_data(as_text=True))
        return response

    def _documented(self, method: str, path: str) -> bool:
        try:
            self.checker.operation(method, path)
        except AssertionError:
            return False
        return True

    def get(self, path, token=None, **kwargs):
        return self.call("GET", path, token, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.call("POST", path, token, **kwargs)

    # Steps of the workflow, for tests that need an item in a given state.

    def register(self, token: str, meeting_id: int, number: str = "212", **fields) -> dict:
        body = {
            "meeting_id": meeting_id, "number": number,
            "title": "关于加强基层卫生人才队伍建设的建议",
            "body": "基层医疗卫生机构人才短缺……",
            "category": "医疗卫生", "is_key": True,
            "received_on": (today() - timedelta(days=3)).isoformat(),
            "authors": [
                {"name": "李华", "organisation": "长春代表团", "phone": "13900000000",
                 "email": "lihua@example.cn", "address": "长春市人民大街 1 号"},
                {"name": "王芳", "organisation": "吉林代表团"},
            ],
        }
        body.update(fields)
        return self.post("/proposals", token, json=body, expect=201).get_json()

    def act(self, target: str, object_id: int, action: str, token: str, body=None,
            expect: int = 200, **kwargs):
        return self.post(f"/{target}/{object_id}/actions/{action}", token,
                         json=body if "data" not in kwargs else None, expect=expect,
                         **kwargs)

    def assign(self, token: str, proposal_id: int, lead: int | None = None, co=(), **fields):
        body = {"lead_unit_id": lead or 0, "co_unit_ids": list(co), **fields}
        return self.act("proposals", proposal_id, "assign", token, body).get_json()


def assignment_of(item: dict, unit_id: int) -> dict:
    return next(a for a in item["assignments"] if a["unit"]["id"] == unit_id)
