"""Evidence that the package stays readable: no import cycle, no function over 60 lines.

Both are read from the source with `ast`, never by importing it: the import graph
has one edge per module-level import between supakit's own modules (imports under
`if TYPE_CHECKING:` and inside functions are not run at import time, so they are
left out), and every function and method is measured from its `def` to its last line.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

PACKAGE = "supakit"
MAX_FUNCTION_LINES = 60

def package_modules() -> dict[str, Path]:
    """Every module of supakit by dotted name, with its source file."""
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations, "supakit is not importable"
    modules = {PACKAGE: Path(spec.origin)}
    for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=f"{PACKAGE}."):
        found = importlib.util.find_spec(info.name)
        if found is not None and found.origin and found.origin.endswith(".py"):
            modules[info.name] = Path(found.origin)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Imports run when the module is imported: not in functions, not under TYPE_CHECKING."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append(node)
            elif isinstance(node, ast.If):
                if not _is_type_checking(node.test):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                    visit(block)
            elif isinstance(node, (ast.With, ast.ClassDef)):
                visit(node.body)

    visit(tree.body)
    return found


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the supakit modules it imports at module level."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in module_level_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _absolute(name, is_package, node)
                # `from pkg import mod` imports the submodule; `from mod import name` the module.
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search, white/grey/black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def long_functions(modules: dict[str, Path], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    offenders = []
    for name, path in sorted(modules.items()):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    offenders.append(f"{name}:{node.lineno} {node.name} ({length} lines)")
    return offenders


def test_the_walk_sees_the_whole_package():
    modules = package_modules()
    assert {"supakit.cli", "supakit.config", "supakit.client.clients", "supakit.migrate.runner"} <= set(modules)


def test_the_graph_reads_relative_and_submodule_imports():
    tree = ast.parse("from typing import TYPE_CHECKING\nfrom . import b\nfrom .c import x\n"
                     "if TYPE_CHECKING:\n    from .d import y\ndef f():\n    from .e import z\n")
    names = [(n.level, n.module, [a.name for a in n.names]) for n in module_level_imports(tree)]
    assert names == [(0, "typing", ["TYPE_CHECKING"]), (1, None, ["b"]), (1, "c", ["x"])]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle():
    graph = import_graph(package_modules())
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_function_over_60_lines():
    offenders = long_functions(package_modules())
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(offenders)
