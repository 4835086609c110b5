import pytest

from tests.handling.conftest import w  # noqa: F401
from tests.support.handling import bring_to, write_draft
from tracker.config import parse_result_classes
from tracker.core.errors import ValidationFailed


def test_result_classes_parse_in_order():
    assert parse_result_classes("A=已解决;B=正在解决;C=留作参考") == {
        "A": "A类：已解决", "B": "B类：正在解决", "C": "C类：留作参考"}
    with pytest.raises(RuntimeError):
        parse_result_classes(" ; ")


def test_the_configured_set_is_what_drafts_accept(app, w):  # noqa: F811
    assignment = bring_to(w, "drafting")
    saved = app.config["RESULT_CLASS_MAP"]
    app.config["RESULT_CLASS_MAP"] = parse_result_classes("甲=采纳;乙=部分采纳")
    try:
        with pytest.raises(ValidationFailed) as err:
            write_draft(assignment, w.health_drafter, result_class="A")
        assert err.value.errors["result_class"] == ["请选择办理结果类别（甲、乙）。"]
        assert write_draft(assignment, w.health_drafter, result_class="乙").result_class == "乙"
    finally:
        app.config["RESULT_CLASS_MAP"] = saved
