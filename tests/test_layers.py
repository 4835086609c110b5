"""The packages of tracker/ form layers that import downwards only.

A package may import any package below it in LAYERS, never one above it or on its own level,
so no two packages import each other. Imports inside functions count: hiding an upward
import in a function keeps the cycle, it only delays it. What a lower package needs from a
higher one is handed to it at app wiring (registration hooks, transition events).
"""
from __future__ import annotations

import ast
from pathlib import Path

import tracker

TRACKER = Path(tracker.__file__).parent

# Lowest first; one line per layer. The app wiring (tracker/__init__.py, cli.py, demo*.py)
# sits above all of them and may import anything.
LAYERS = [
    {"extensions", "config"},  # the unbound Flask extensions and the configuration
    {"core"},           # errors, time, enums and the workflow vocabulary (states.py), forms,
                        # view helpers, generic tables (settings)
    {"audit"},          # the hash-chained audit log
    {"jobs"},           # the job queue (Huey), the record of its runs
    {"accounts"},       # users, units, sections, roles, API tokens, role predicates
    {"workdays"},       # the working-day calendar and deadlines
    {"files"},          # stored uploads and their download route (rules registered above)
    {"letters"},        # the 答复函 renderer: text, layout, fonts, PDF and .docx
    {"proposals"},      # meetings, items and their authors: registration
    {"handling"},       # assignments, the workflow table, transition() and its events
    {"signing"},        # keys, PDF signatures, verification codes, /verify
    {"replies"},        # drafts, reviews, sign-off, numbering, issue with the letter
    {"merging"},        # 并案: items joined under a lead item, split off again
    {"notifications"},  # in-app notices, reminders and the e-mail outbox
    {"ratings"},        # 满意度测评: links, answers, aggregation, 办结
    {"instructions"},   # 领导批示 and the 办理单
    {"search"},         # the full-text index (jieba, FTS5 / tsvector) and its queries
    {"similar"},        # similar items, duplicate flags, a unit's past replies
    {"publication"},    # 办理结果公开: redaction, the public versions, the portal
    {"commitments"},    # 承诺事项 of B/C replies followed until done, 办成率, 回头看
    {"supervision"},    # 督办: facts, statistics, ledger exports
    {"portal"},         # the public portal of 办理结果公开 (no login)
    {"desk"},           # pages over every area: the to-do list, the item list and page
    {"imports"},        # the bulk import of assignment lists
    {"admin"},          # administration pages
    {"api"},            # the JSON API and its OpenAPI document
    {"maintenance"},    # backups and restore
]
WIRING = {"__init__", "cli", "demo", "demo_bulk"}
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _imported_packages(path: Path, root: Path):
    """(line, package) for every tracker package this file imports, at any depth."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[:len(parts) - node.level])
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from tracker import x` and `from .. import x` import the packages named.
            names = [module] if module != "tracker" else [
                f"tracker.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            dotted = name.split(".")
            if dotted[0] == "tracker" and len(dotted) > 1:
                yield node.lineno, dotted[1]


def _violations(root: Path = TRACKER) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        own = path.relative_to(root).with_suffix("").parts[0]
        if own in WIRING:
            continue
        for line, other in _imported_packages(path, root):
            if other == own:
                continue
            where = f"{path.relative_to(root.parent)}:{line}"
            if other in WIRING:
                found.append(f"{where}: {own} imports the app wiring ({other})")
            elif other not in RANK:
                found.append(f"{where}: {own} imports {other}, which has no layer")
            elif RANK[other] >= RANK[own]:
                kind = "its own level" if RANK[other] == RANK[own] else "a higher layer"
                found.append(f"{where}: {own} imports {other} ({kind})")
    return found


def test_every_package_has_a_layer():
    packages = {p.name for p in TRACKER.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in TRACKER.glob("*.py")}
    assert packages | modules - WIRING <= set(RANK) | WIRING
    assert packages - set(RANK) == set()


def test_no_package_imports_upwards_or_in_a_circle():
    violations = _violations()
    assert not violations, "imports against the layers:\n" + "\n".join(violations)


def test_the_scan_sees_imports_inside_functions(tmp_path):
    """The walk finds upward imports hidden in a function, absolute or relative."""
    root = tmp_path / "tracker"
    (root / "core").mkdir(parents=True)
    module = root / "core" / "x.py"
    module.write_text("from tracker.extensions import db\n"
                      "def f():\n    from tracker.api import views\n    from ..admin import y\n"
                      "    from tracker import cli\n")
    assert [other for _, other in _imported_packages(module, root)] == [
        "extensions", "api", "admin", "cli"]
    assert len(_violations(root)) == 3
