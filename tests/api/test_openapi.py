"""The OpenAPI document covers every route of the blueprint and every workflow action."""
from __future__ import annotations

import json
import re

from tracker.api.openapi import ASSIGNMENT_ACTIONS, PROPOSAL_ACTIONS, body_schema_name
from tracker.handling.actions import ACTIONS
from tracker.handling.workflow import SYSTEM_ACTIONS, Action, AssignmentState, ProposalState

PREFIX = "/api/v1"
# The document and its browsing page need no token (tests/api/test_docs_page.py).
PUBLIC_PATHS = ("/openapi.json", "/docs")


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        assert rule.endpoint.startswith("api."), rule
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def _documented(spec) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items() for method in item}


def test_document_is_valid_json_without_a_token(client):
    response = client.get(PREFIX + "/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.0")
    assert spec["servers"] == [{"url": PREFIX}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"]}
    assert spec["security"] == [{"bearerAuth": []}]
    assert spec["paths"]["/openapi.json"]["get"]["security"] == []


def test_every_route_is_documented_and_nothing_else(app, spec):
    routes = _api_routes(app)
    assert len(routes) >= 11
    assert _documented(spec) == routes


def test_every_action_and_state_is_in_the_document(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Action"]["enum"] == [a.value for a in Action]
    assert schemas["ProposalState"]["enum"] == [s.value for s in ProposalState]
    assert schemas["AssignmentState"]["enum"] == [s.value for s in AssignmentState]
    enums = {}
    for path in ("/proposals/{proposal_id}/actions/{action}",
                 "/assignments/{assignment_id}/actions/{action}"):
        [param] = [p for p in spec["paths"][path]["post"]["parameters"] if p["name"] == "action"]
        enums[path] = param["schema"]["enum"]
    assert enums["/proposals/{proposal_id}/actions/{action}"] == [
        a.value for a in PROPOSAL_ACTIONS]
    assert enums["/assignments/{assignment_id}/actions/{action}"] == [
        a.value for a in ASSIGNMENT_ACTIONS]
    people = [a for a in Action if a not in SYSTEM_ACTIONS]
    assert sorted(sum(enums.values(), [])) == sorted(a.value for a in people)
    for action in people:
        assert action in ACTIONS
        assert body_schema_name(action) in schemas


def test_every_operation_documents_errors_with_the_error_schemas(spec):
    responses = spec["components"]["responses"]
    assert responses["Unprocessable"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"}
    validation = spec["components"]["schemas"]["ValidationError"]
    assert validation["required"] == ["error", "status", "errors"]
    field_errors = spec["components"]["schemas"]["FieldErrors"]
    assert field_errors["additionalProperties"] == {"type": "array",
                                                    "items": {"type": "string"}}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert "default" in codes, (method, path)
            if path not in PUBLIC_PATHS:
                assert "401" in codes, (method, path)
            if method == "post":
                assert {"401", "403", "422"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)


def test_request_bodies_follow_the_forms(spec):
    schemas = spec["components"]["schemas"]
    proposal = schemas["ProposalInput"]
    assert set(proposal["required"]) == {"meeting_id", "number", "title", "received_on"}
    author = proposal["properties"]["authors"]["items"]
    assert set(author["properties"]) == {"name", "organisation", "phone", "email", "address"}
    assert schemas["DispatchBody"]["required"] == ["section_id", "drafter_id"]
    assert schemas["RequestReturnBody"]["required"] == ["reason"]
    assert "attachment" not in schemas["SubmitOpinionBody"]["properties"]
    assert schemas["SubmitOpinionMultipart"]["properties"]["attachment"] == {
        "type": "string", "format": "binary", "description": "附件（可选，PDF/Word/图片）",
        "nullable": True}
    title = proposal["properties"]["title"]
    assert (title["minLength"], title["maxLength"], title["pattern"]) == (1, 200, r"\S")
    opinion_path = spec["paths"]["/assignments/{assignment_id}/actions/{action}"]["post"]
    assert set(opinion_path["requestBody"]["content"]) == {"application/json",
                                                          "multipart/form-data"}
