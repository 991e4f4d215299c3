"""The package's shape: one folder per step of the cycle, the data flowing one way, no import circle.

The steps in the order of the cycle. A module may import from its own step, from an earlier one
and from the ground; never from a later one. The package's face (`__init__`) and `__main__` sit
above everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "schede_excel"

GROUND = ("version", "findings", "files", "italian", "exports", "parallel", "spreadsheet")
STEPS = ("plan", "sheet", "returns", "scoring", "report", "mail", "deliverables", "cli")
FACE = ("__init__", "__main__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom | ast.Import, known: set[str]) -> set[str]:
    """The package's own modules an import statement loads."""
    if isinstance(node, ast.Import):
        bases = [alias.name for alias in node.names]
        found = set()
        for base in bases:
            while base and base not in known:
                base = base.rpartition(".")[0]
            if base:
                found.add(base)
        return found
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = set()
    for alias in node.names:
        candidate = f"{base}.{alias.name}"
        if candidate in known:  # `from . import x` names a module
            found.add(candidate)
            continue
        name = base
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports, from the source (every import, wherever it stands)."""
    modules = _modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _resolve(name, path.name == "__init__.py", node, known)
        edges.discard(name)
        graph[name] = {e for e in edges if e.startswith("schede_excel")}
    return graph


def rank(module: str) -> int:
    """0 for the ground, 1.. for the steps in the cycle's order, above them the package's face."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(STEPS) + 1  # schede_excel itself: the public API
    top = parts[1]
    if top in GROUND:
        return 0
    if top in STEPS:
        return STEPS.index(top) + 1
    if top in FACE:
        return len(STEPS) + 1
    raise AssertionError(f"{module}: not in a step of the cycle nor in the ground; add it to one")


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_belongs_to_a_step_or_the_ground():
    for module in import_graph():
        rank(module)


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_no_step_imports_a_later_one():
    backwards = [f"{a} -> {b}" for a, targets in sorted(import_graph().items()) for b in sorted(targets)
                 if rank(b) > rank(a)]
    assert backwards == []


def test_no_command_module_imports_another():
    graph = import_graph()
    commands = {m for m in graph if m.startswith("schede_excel.cli.") and m not in
                ("schede_excel.cli.main", "schede_excel.cli.common")}
    crossing = [f"{a} -> {b}" for a in sorted(commands) for b in sorted(graph[a]) if b in commands]
    assert crossing == []


@pytest.mark.parametrize("source, expected", [
    ("from ..plan.model import Plan", {"schede_excel.plan.model"}),
    ("from .layout import a1", {"schede_excel.sheet.layout"}),
    ("from schede_excel.returns.model import ObjectiveReturn", {"schede_excel.returns.model"}),
    ("import schede_excel.findings", {"schede_excel.findings"}),
])
def test_the_walker_resolves_relative_and_absolute_imports(source, expected):
    known = set(_modules())
    node = ast.parse(source).body[0]
    assert _resolve("schede_excel.sheet.writer", False, node, known) == expected


def test_the_checks_see_a_circle_and_a_backward_import():
    graph = {"schede_excel.plan.a": {"schede_excel.sheet.b"}, "schede_excel.sheet.b": {"schede_excel.plan.a"}}
    assert circles(graph) == [["schede_excel.plan.a", "schede_excel.sheet.b"]]
    assert rank("schede_excel.sheet.b") > rank("schede_excel.plan.a")
