"""A benchmark that copies a test's case must copy it exactly: benchmarks/step_budget.py's
saturating case is the engine-reference test's (tests/golden.py), read without importing the
benchmark (it needs the benchmarks folder on sys.path)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.golden import ENGINE_CASES

ROOT = Path(__file__).resolve().parents[2]


def test_the_step_budget_saturating_case_is_the_engine_reference_case():
    tree = ast.parse((ROOT / "benchmarks" / "step_budget.py").read_text())
    value = next(ast.literal_eval(node.value) for node in tree.body
                 if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "SATURATING" for t in node.targets))
    assert value == ENGINE_CASES["saturating_gompertz_strong_kill"]
