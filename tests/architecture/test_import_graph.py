"""The package's imports point one way (issue 13): no cycle among the modules of
``simulator/`` nor among its first-level packages, counting imports inside functions too.

Layers, bottom to top: errors, nuclides, jit -> config -> physics (pk, dosimetry,
radiobiology, tumour, response) -> cohort -> assembly -> engine -> outcomes -> results ->
simulation -> sweep -> cli.  ``ConfigError`` for config content is raised in one module,
``simulator/config/rules.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom, files) -> list[str]:
    base = module.split(".") if is_package else module.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # ``from pkg import submodule`` imports the submodule; ``from pkg import name`` the package
    names = [f"{prefix}.{alias.name}" for alias in node.names]
    return [n for n in names if n in files] + ([prefix] if any(n not in files for n in names)
                                               else [])


def import_graph() -> dict[str, set[str]]:
    """module -> simulator modules it imports (anywhere in the file)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                candidates = _resolve(name, path.name == "__init__.py", node, files)
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            targets |= {c for c in candidates if c in files and c != name}
        graph[name] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _first_level(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same imports between first-level packages/modules (``simulator.cohort`` ...)."""
    out: dict[str, set[str]] = {}
    for src, targets in graph.items():
        a = _first_level(src)
        out.setdefault(a, set())
        out[a] |= {_first_level(t) for t in targets if _first_level(t) != a}
    out.pop("simulator", None)   # the package's own __init__ (public API) sits on top
    for targets in out.values():
        targets.discard("simulator")
    return out


def test_the_graph_sees_known_imports():
    graph = import_graph()
    assert "simulator.config.schema" in graph["simulator.config"]
    assert graph["simulator.cli"]      # the CLI imports the package


def test_no_cycle_among_modules():
    assert _cycle(import_graph()) is None, " -> ".join(_cycle(import_graph()))


def test_no_cycle_among_first_level_packages():
    graph = package_graph(import_graph())
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": set(), "c": {"a"}}, None),
])
def test_cycle_finder(graph, cycle):
    assert _cycle(graph) == cycle


def test_config_error_is_raised_in_one_module():
    raisers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                name = getattr(call, "id", getattr(call, "attr", None))
                if name == "ConfigError":
                    raisers.add(_module_name(path))
    assert raisers == {"simulator.config.rules"}
