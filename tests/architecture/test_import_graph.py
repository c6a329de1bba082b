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
            elif (isinstance(node, ast.Call) and node.args
                  and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)
                  and getattr(node.func, "attr", getattr(node.func, "id", None))
                  in ("import_module", "__import__")):
                candidates = [node.args[0].value]     # importlib.import_module("simulator.x")
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


def _config_error_names(tree: ast.AST) -> set[str]:
    """Names under which a module can reach ``ConfigError`` (imports, ``as`` aliases)."""
    names = {"ConfigError"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.asname for alias in node.names
                      if alias.name == "ConfigError" and alias.asname}
        elif isinstance(node, ast.Assign) and isinstance(node.value, (ast.Name, ast.Attribute)):
            value = node.value
            if getattr(value, "id", getattr(value, "attr", None)) in names:
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def test_config_error_is_raised_in_one_module():
    """Every construction of ``ConfigError`` (a call, under any alias or attribute path)
    and every ``raise`` of it is in ``simulator/config/rules.py``."""
    makers = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = _config_error_names(tree)
        for node in ast.walk(tree):
            target = node.func if isinstance(node, ast.Call) else (
                node.exc if isinstance(node, ast.Raise) and node.exc is not None else None)
            if target is None:
                continue
            name = getattr(target, "id", getattr(target, "attr", None))
            if name in names:
                makers.add(_module_name(path))
    assert makers == {"simulator.config.rules"}


def test_the_alias_finder_sees_through_renames():
    tree = ast.parse("from ..errors import ConfigError as CE\nE = CE\n")
    assert {"ConfigError", "CE", "E"} <= _config_error_names(tree)


#: the layers of README "Units and layout", bottom to top: a module imports only from its
#: own layer or below (same-layer cycles are caught by the cycle tests)
LAYERS = [
    ("errors", "units", "jit", "nuclides"),
    ("config",),
    ("pk", "dosimetry", "radiobiology", "tumour", "response", "population"),
    ("cohort",),
    ("configure",),
    ("engine",),
    ("assembly",),
    ("runner",),
    ("outcomes",),
    ("adaptive",),
    ("results",),
    ("summary", "trial", "inference", "netter1", "reference", "report", "tail"),
    ("simulation",),
    ("sweep", "sensitivity", "planning", "calibration"),
    ("precheck", "run", "plots", "figures", "personal"),
    ("cli", "__main__"),
]


def test_imports_point_down_the_layers():
    rank = {f"simulator.{name}": level for level, names in enumerate(LAYERS) for name in names}
    graph = package_graph(import_graph())
    unknown = sorted(set(graph) - set(rank))
    assert not unknown, f"place these in LAYERS (and in README): {unknown}"
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets
                    if rank[b] > rank[a])
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)
