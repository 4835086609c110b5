"""The stray-state scan: state writes outside the workflow, and state string literals outside
the enums (tracker.core.states), in the code and in the templates.

What it reports, as "path:line: what":
- a write: ``x.state = …`` (outside the workflow), ``x["state"] = …``, ``.values(state=…)``
  (outside the workflow's transition() and sync_proposal_state());
- a literal: a string naming a state where a state is meant — compared with something called
  ``state``, as a ``state=`` / ``"state":`` / ``"from":`` / ``"to":`` value, held in or added
  to something called ``…state…``, as the keys of a dict; a state name that means nothing else
  (first_review, awaiting_signature …) anywhere;
- in templates, a quoted state name inside ``{{ … }}`` or ``{% … %}``.
"""
from __future__ import annotations

import ast
import pathlib
import re

from tracker.core.states import AssignmentState, ProposalState

STATE_VALUES = frozenset(s.value for s in ProposalState) | frozenset(
    s.value for s in AssignmentState)
# Where states are named and moved: the enums, and the one module that writes state columns.
VOCABULARY = "core/states.py"
WORKFLOW = "handling/workflow.py"
WRITERS = frozenset({"transition", "sync_proposal_state"})
# Bulk demo data replays the transition table's moves on rows it inserts in bulk (the
# targets come from ASSIGNMENT_TABLE and derive_proposal_state, never from a literal).
ROW_WRITERS = frozenset({"demo_bulk.py"})
STATE_KEYS = frozenset({"state", "from", "to"})
# State names that mean nothing else: a literal of one is a state wherever it stands. The
# others (replied, rated, closed …) are also ordinary words (counters, keys) and count where
# a state is meant.
DISTINCT = frozenset({"return_requested", "opinion_pending", "opinion_submitted", "first_review",
                      "second_review",
                      "final_review", "awaiting_signature", "rehandling"})
COLLECTING = frozenset({"add", "append", "discard", "remove", "get"})


def _mentions_state(node: ast.AST) -> bool:
    """x.state, state, states, EARLY_STATES, review_state, row["state"]."""
    if isinstance(node, ast.Attribute):
        return "state" in node.attr.lower()
    if isinstance(node, ast.Name):
        return "state" in node.id.lower()
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value == "state"
    return False


def _state_literals(node: ast.AST) -> list[ast.Constant]:
    """String constants naming a state: the node itself, the elements of a tuple, list or
    set literal, or the argument of frozenset(…)/set(…)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in {"frozenset", "set", "tuple", "list"} and node.args:
        node = node.args[0]
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [item for item in items if isinstance(item, ast.Constant)
            and isinstance(item.value, str) and item.value in STATE_VALUES]


class _Finder(ast.NodeVisitor):
    def __init__(self, relative: str):
        self.relative = relative
        self.functions: list[str] = []
        self.found: dict[tuple[int, int], str] = {}

    def _report(self, node: ast.AST, what: str) -> None:
        # One offence per node, however many rules it breaks.
        self.found.setdefault((node.lineno, node.col_offset), what)

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Constant(self, node):
        if isinstance(node.value, str) and node.value in DISTINCT:
            self._report(node, f"names the state {node.value!r}")

    def visit_Assign(self, node):
        for target in node.targets:
            if _mentions_state(target) and not isinstance(target, ast.Subscript):
                for literal in _state_literals(node.value):
                    self._report(literal, f"holds the state {literal.value!r}")
            if isinstance(target, ast.Attribute) and target.attr == "state" \
                    and self.relative != WORKFLOW:
                self._report(node, "writes .state")
            if isinstance(target, ast.Subscript) and _mentions_state(target) \
                    and pathlib.PurePath(self.relative).name not in ROW_WRITERS:
                self._report(node, 'writes ["state"]')
        self.generic_visit(node)

    def visit_Compare(self, node):
        sides = [node.left, *node.comparators]
        if any(_mentions_state(side) for side in sides):
            for side in sides:
                for literal in _state_literals(side):
                    self._report(literal, f"compares a state with {literal.value!r}")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in COLLECTING \
                and _mentions_state(func.value):
            for argument in node.args:
                for literal in _state_literals(argument):
                    self._report(literal, f"{func.attr}({literal.value!r})")
        for keyword in node.keywords:
            if keyword.arg == "state" and isinstance(func, ast.Attribute) \
                    and func.attr == "values" and not (
                        self.relative == WORKFLOW and set(self.functions) & WRITERS):
                self._report(node, ".values(state=…) outside transition()")
            if keyword.arg in STATE_KEYS:
                for literal in _state_literals(keyword.value):
                    self._report(literal, f"{keyword.arg}={literal.value!r}")
        self.generic_visit(node)

    def visit_Dict(self, node):
        keys = [k for k in node.keys if isinstance(k, ast.Constant)]
        if keys and all(k.value in STATE_VALUES for k in keys) and len(keys) == len(node.keys):
            for key in keys:
                self._report(key, f"a state {key.value!r} as a key")
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value in STATE_KEYS:
                for literal in _state_literals(value):
                    self._report(literal, f'"{key.value}": {literal.value!r}')
        self.generic_visit(node)


def scan_code(root: pathlib.Path, vocabulary: str = VOCABULARY) -> list[str]:
    """Offences in the Python modules under root (the tracker package)."""
    offences = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == vocabulary:
            continue
        finder = _Finder(relative)
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        lines = path.read_text(encoding="utf-8").splitlines()
        offences += [f"{relative}:{number}: {what}: {lines[number - 1].strip()}"
                     for (number, _), what in sorted(finder.found.items())]
    return offences


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_QUOTED = re.compile(r"""(['"])([a-z_]+)\1""")


def scan_templates(root: pathlib.Path) -> list[str]:
    """Quoted state names in the Jinja expressions and statements of the templates."""
    offences = []
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for block in _JINJA.finditer(text):
            for quoted in _QUOTED.finditer(block.group()):
                if quoted.group(2) in STATE_VALUES:
                    number = text.count("\n", 0, block.start() + quoted.start()) + 1
                    offences.append(f"{path.relative_to(root).as_posix()}:{number}: "
                                    f"state literal {quoted.group()}")
    return offences
