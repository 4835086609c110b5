"""One schema per resource: the OpenAPI document's response schemas are generated from the
classes in tracker.api.schemas, the same classes the serializers build the JSON with.

(Every response of the API tests is also checked against its class, field for field:
check_resource in tests/support/api.py.)"""
from __future__ import annotations

from datetime import date, datetime

import pydantic
import pytest

from tracker.api import openapi, schemas
from tracker.api.schemas import REF_TEMPLATE, OpenAPI30

REQUEST_SUFFIXES = ("Input", "Body", "Multipart")


def test_the_components_are_the_schema_classes_and_the_forms(app, spec):
    with app.app_context():
        generated = schemas.components()
        forms = openapi._request_schemas()
    assert not set(generated) & set(forms)
    assert spec["components"]["schemas"] == {**generated, **forms}
    # Every response schema is a class or an enum of the workflow; requests come from forms.
    for name in spec["components"]["schemas"]:
        if name.endswith(REQUEST_SUFFIXES):
            assert name in forms, name
        else:
            assert name in generated, name
    assert {cls.__name__ for cls in schemas.RESOURCES} <= set(generated)
    assert {"Action", "ProposalState", "AssignmentState"} <= set(generated)


@pytest.mark.parametrize("resource", schemas.RESOURCES, ids=lambda cls: cls.__name__)
def test_each_component_is_its_class_json_schema(app, spec, resource):
    """Generated alone, each class gives its component (hoisting changed nothing)."""
    with app.app_context():
        alone = resource.model_json_schema(ref_template=REF_TEMPLATE,
                                           schema_generator=OpenAPI30, mode="serialization")
        defs = {**schemas.components(), **alone.pop("$defs", {})}
    assert schemas._clean(alone, defs) == spec["components"]["schemas"][resource.__name__]


def _brief(**fields) -> dict:
    data = {"id": 1, "unit": {"id": 2, "name": "省卫生健康委员会"}, "role": "lead",
            "state": "drafting", "state_label": "办理中", "due_on": date(2026, 5, 1),
            "is_overdue": False}
    data.update(fields)
    return data


def test_a_class_refuses_what_the_document_does_not_allow():
    assert schemas.as_json(schemas.AssignmentBrief(**_brief())) == {
        **_brief(), "due_on": "2026-05-01"}
    for bad in ({"state": "lost"}, {"role": "boss"}, {"is_overdue": None},
                {"unit": None}, {"secret": "x"}):
        with pytest.raises(pydantic.ValidationError):
            schemas.AssignmentBrief(**_brief(**bad))


def test_times_are_utc_with_z_and_optional_fields_only_when_given():
    error = schemas.Error(error="找不到该会议。", status=404)
    assert schemas.as_json(error) == {"error": "找不到该会议。", "status": 404}
    reference = schemas.Opinion(
        id=1, assignment_id=2, unit={"id": 3, "name": "省人力资源和社会保障厅"}, text="同意。",
        attachment=None, submitted_by={"id": 4, "full_name": "孙人社"},
        submitted_at=datetime(2026, 3, 1, 8, 30), status="approved", status_label="已批准",
        decided_by=None, decided_at=datetime(2026, 3, 2, 1, 0), doc_number=None)
    data = schemas.as_json(reference)
    assert data["submitted_at"] == "2026-03-01T08:30:00Z"
    assert data["decided_at"] == "2026-03-02T01:00:00Z" and data["decided_by"] is None
    assert data["attachment"] is None and data["doc_number"] is None  # null, not left out
