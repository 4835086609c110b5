"""The labelled enums: one base, members that stand for their value, and modules that import
nothing of the app but the base (so any layer may use them)."""
from __future__ import annotations

import ast
import json
import pathlib

from tracker.accounts.roles import Role
from tracker.core.enums import LabelledEnum
from tracker.core.states import (
    ACTION_LABELS,
    FINISHED_STATES,
    UNFINISHED_STATES,
    Action,
    AssignmentState,
    ProposalState,
    ReviewLevel,
)
from tracker.proposals.choices import ItemKind

TRACKER = pathlib.Path(__file__).resolve().parents[1] / "tracker"
ENUM_MODULES = ["core/enums.py", "core/states.py", "handling/choices.py",
                "accounts/roles.py", "proposals/choices.py", "replies/choices.py",
                "ratings/choices.py", "notifications/choices.py"]


def _app_imports(path: pathlib.Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tracker"):
            found.add(node.module)
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tracker")}
    return found


def test_the_enum_modules_import_nothing_of_the_app_but_the_base():
    assert _app_imports(TRACKER / "core/enums.py") == set()
    for module in ENUM_MODULES[1:]:
        assert _app_imports(TRACKER / module) == {"tracker.core.enums"}, module


def test_every_labelled_enum_of_the_app_is_on_the_base():
    """No enum with a hand-written label property is left outside LabelledEnum."""
    for path in TRACKER.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    "Enum" in ast.unparse(base) for base in node.bases):
                assert [ast.unparse(b) for b in node.bases] == ["LabelledEnum"] or \
                    path.name == "enums.py", f"{path.relative_to(TRACKER)}: {node.name}"


def test_a_member_is_its_value_and_carries_its_label():
    state = AssignmentState.first_review
    assert state == "first_review" and str(state) == "first_review" and f"{state}" == state
    assert json.dumps({"to": state}) == '{"to": "first_review"}'
    assert state.label == "初审中" and ProposalState.first_review.label == "初审"
    assert ProposalState("replied") is ProposalState.replied
    assert ProposalState.lookup("nonsense") is None
    assert ProposalState.label_of("nonsense") == "nonsense" and ProposalState.label_of(None) == ""
    assert ItemKind.choices() == [("suggestion", "代表建议"), ("proposal", "委员提案")]
    assert ReviewLevel.choices(ReviewLevel.chain()) == [
        ("first", "初审"), ("second", "复审"), ("final", "终审")]
    assert ReviewLevel.sign.label == "签发"
    assert Role.reviewer_second.label == "复审人"
    assert ACTION_LABELS[Action.issue] == "发文" and ACTION_LABELS["issue"] == "发文"
    assert issubclass(AssignmentState, LabelledEnum)


def test_finished_and_unfinished_states_split_the_assignment_states():
    assert FINISHED_STATES | UNFINISHED_STATES == set(AssignmentState)
    assert not FINISHED_STATES & UNFINISHED_STATES
    assert {s.value for s in FINISHED_STATES} == {
        "returned", "opinion_submitted", "replied", "rated"}
