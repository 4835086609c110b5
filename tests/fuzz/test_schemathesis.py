"""The JSON API against its own OpenAPI document, with schemathesis, in-process.

The document is loaded from /api/v1/openapi.json through the WSGI app; schemathesis makes one
test per operation and runs its phases (the document's examples, the coverage phase with
boundary and invalid values, missing parameters and unsupported methods, then random
fuzzing). Every request is sent to the test app with a bearer token (tracker/api: one
`Authorization: Bearer <token>` per user, here the security scenario's tokens) and must pass:

- not_a_server_error: never a 5xx (nor an exception: TESTING propagates them);
- status_code_conformance: the status is documented for the operation;
- content_type_conformance and response_schema_conformance: the body is the documented JSON;
- response_headers_conformance: documented headers (Location of 201) are present and valid.

Random ids would almost always be 404, so half the time the hooks below put the ids of the
scenario's real objects into the path and body (the item in the state the action needs, for
the workflow actions), and the caller is a user who may act on them: the fuzz then reaches the
forms and operations behind each endpoint. Each example runs in a savepoint rolled back
afterwards.
"""
from __future__ import annotations

import zlib
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from tests.fuzz import hostile
from tests.support.fuzz import collection_app
from tests.support.security import ACTION_TARGETS
from tracker.api.openapi import ASSIGNMENT_ACTIONS, PROPOSAL_ACTIONS
from tracker.extensions import db

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", collection_app())

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# Readers of the GET operations (answers differ: administrators see each unit's users).
READERS = ("clerk", "health_clerk", "admin", "edu_clerk")

# Ids of the scenario's objects, by kind, filled in by the `real_ids` fixture before any case
# is generated (ids differ between runs on PostgreSQL, whose sequences never roll back).
REAL: dict[str, list] = {}
TABLES = {"proposal_id": "proposals", "assignment_id": "assignments", "meeting_id": "meetings",
          "unit_id": "units", "reply_id": "replies", "author_id": "authors",
          "section_id": "sections", "drafter_id": "users", "seen_version_id": "draft_versions",
          "reassign_unit_id": "units", "lead_unit_id": "units", "co_unit_ids": "units",
          "separate_unit_ids": "units"}


def _real_or(name: str, value, action: str | None = None):
    """A strategy: the generated value, or a real id of the kind name refers to."""
    choices = list(REAL.get(TABLES.get(name, ""), []))
    if name == "assignment_id" and action in ACTION_TARGETS:
        choices = REAL["targets"][action] * 3 + choices  # mostly the state the action needs
    if not choices:
        return st.just(value)
    if name.endswith("_ids"):
        return st.just(value) | st.lists(st.sampled_from(choices), max_size=3, unique=True)
    return st.just(value) | st.sampled_from(choices)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not REAL or not path_parameters:
        return st.just(path_parameters)
    action = path_parameters.get("action")
    return st.fixed_dictionaries({name: _real_or(name, value, action)
                                  for name, value in path_parameters.items()})


@schema.hook
def flatmap_body(context, body):
    if not REAL or not isinstance(body, dict):
        return st.just(body)
    return st.fixed_dictionaries({name: _real_or(name, value) if name in TABLES
                                  else st.just(value) for name, value in body.items()})


@pytest.fixture(scope="module")
def real_ids(_module_scenario):
    scenario = _module_scenario
    with scenario.app.app_context():
        for table in set(TABLES.values()):
            column = db.metadata.tables[table].c.id
            REAL[table] = list(db.session.scalars(select(column).order_by(column)))
        db.session.remove()
    REAL["targets"] = {action: [getattr(scenario.ids, key) for key in keys]
                       for action, keys in ACTION_TARGETS.items()}
    REAL["scenario"] = scenario
    yield scenario
    REAL.clear()


def caller(scenario, case) -> str:
    """A user who may make this request (for GETs, one of READERS)."""
    path, params = case.operation.path, case.path_parameters or {}
    if case.method.upper() == "GET":
        digest = zlib.crc32(repr((sorted(params.items()), case.query)).encode())
        return READERS[digest % len(READERS)]
    if path == "/units":
        return "admin"
    if path.startswith("/assignments/") and params.get("assignment_id") in REAL["assignments"]:
        row = SimpleNamespace(values={"assignment_id": params["assignment_id"]},
                              action=params.get("action"))
        allowed = scenario.allowed_users(row)
        return sorted(allowed)[0] if allowed else "health_clerk"
    if path.startswith("/assignments/"):
        return "health_clerk"
    return "clerk"  # registration, meetings, assignment, 办结, paper ratings


def retarget(case) -> None:
    """Point a coverage-phase invalid body for a workflow action at an object in the state the
    action needs.

    The coverage phase ignores the hooks: it keeps the first action of the enum and an id of
    its own, so every body would stop at the state check (409) and none reach the form.
    Only invalid bodies are moved (valid ones succeed, slowly, and the fuzzing phase and
    test_each_action_with_its_object cover those); cases whose path is the invalid part (an
    unknown action, an id out of range) stay as made.
    """
    params = case.path_parameters or {}
    action = params.get("action")
    if (case.meta is None or case.meta.phase.name != TestPhase.COVERAGE
            or case.meta.is_negative_at(ParameterLocation.PATH)
            or not case.meta.is_negative_at(ParameterLocation.BODY)):
        return
    if "assignment_id" in params and action in REAL["targets"]:
        params["assignment_id"] = REAL["targets"][action][0]
    elif "proposal_id" in params and action in {a.value for a in PROPOSAL_ACTIONS}:
        params["proposal_id"] = REAL["scenario"].proposal_for_action(action)


def call(scenario, app, case):
    headers = {"Authorization": f"Bearer {scenario.tokens[caller(scenario, case)]}"}
    with scenario.rolled_back():
        return case.call_and_validate(app=app, headers=headers, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=hostile.examples(6), deadline=None)
def test_api_matches_its_document(case, app, real_ids):
    retarget(case)
    call(real_ids, app, case)


ACTION_OPERATIONS = (
    [("/assignments/{assignment_id}/actions/{action}", a.value) for a in ASSIGNMENT_ACTIONS]
    + [("/proposals/{proposal_id}/actions/{action}", a.value) for a in PROPOSAL_ACTIONS])


@pytest.mark.parametrize(("path", "action"), ACTION_OPERATIONS,
                         ids=[action for _, action in ACTION_OPERATIONS])
def test_each_action_with_its_object(app, real_ids, path, action):
    """Every workflow action, on an object in the state it needs, by a user who may take it,
    with bodies valid and invalid for the document: the random phase above draws the action
    and the object at random, so most actions would get one request or none."""
    scenario = real_ids
    if "assignment_id" in path:
        target = {"assignment_id": REAL["targets"][action][0], "action": action}
    else:
        target = {"proposal_id": scenario.proposal_for_action(action), "action": action}
    operation = schema[path]["POST"]
    cases = st.one_of(*(operation.as_strategy(mode, path_parameters=target)
                        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)))

    @settings(max_examples=hostile.examples(3), deadline=None, database=None)
    @given(case=cases)
    def run(case):
        call(scenario, app, case)

    run()


# -- regressions: server errors the fuzz found ---------------------------------------------------


@pytest.mark.parametrize(("user", "path", "body", "field"), [
    # A whole number no column holds reached the database: OverflowError on SQLite (500).
    ("clerk", "/replies/{issued_reply}/ratings",
     {"author_id": 2**70, "handling": "satisfied", "result": "satisfied", "contacted": "no"},
     "author_id"),
    ("health_clerk", "/assignments/{a_drafting}/actions/save_draft",
     {"base_number": 2**70, "body": "一、答复", "result_class": "A", "reply_form": "written",
      "disclosure": "public"}, "base_number"),
])
def test_api_refuses_numbers_too_large_for_the_database(app, real_ids, user, path, body,
                                                       field):
    import json

    from tracker.core.forms import TOO_LARGE

    scenario = real_ids
    url = "/api/v1" + path.format(**vars(scenario.ids))
    with scenario.rolled_back():
        response = scenario.api_client().post(
            url, data=json.dumps(body), content_type="application/json",
            headers={"Authorization": f"Bearer {scenario.tokens[user]}"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["errors"][field] == [TOO_LARGE]
