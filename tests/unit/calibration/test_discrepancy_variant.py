"""experiments/calibrate_posterior.py fit --discrepancy: a term's declared model discrepancy is
replaced only in a variant written under a suffix, and a bad request is refused by name."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from simulator.calibration.likelihood import load_terms

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def g():
    return runpy.run_path(str(ROOT / "experiments" / "calibrate_posterior.py"))


def test_the_named_term_alone_gets_the_new_discrepancy(g):
    terms = load_terms(ROOT / "experiments" / "targets" / "calibration.yaml")
    out = g["with_discrepancies"](terms, ["kwekkeboom2008_pd=0.05"], "_pd05")
    changed = {t.name: t.discrepancy_sd for t in out if t not in terms}
    assert changed == {"kwekkeboom2008_pd": 0.05}
    before = next(t for t in terms if t.name == "kwekkeboom2008_pd")
    assert before.discrepancy_sd == 0.10                       # the declared value, unchanged
    assert g["with_discrepancies"](terms, [], "") is terms


@pytest.mark.parametrize("items, suffix, match", [
    (["kwekkeboom2008_pd=0.05"], "", "needs --suffix"),
    (["kwekkeboom2008_xx=0.05"], "_v", "TARGET one of"),
    (["kwekkeboom2008_pd=-1"], "_v", "SD >= 0"),
    (["kwekkeboom2008_pd"], "_v", "expected TARGET=SD"),
    (["kwekkeboom2008_pd=inf"], "_v", "finite"),
    (["kwekkeboom2008_pd=0.05", "kwekkeboom2008_pd=0.02"], "_v", "given twice"),
])
def test_a_bad_discrepancy_request_is_refused(g, items, suffix, match):
    terms = load_terms(ROOT / "experiments" / "targets" / "calibration.yaml")
    with pytest.raises(SystemExit, match=match):
        g["with_discrepancies"](terms, items, suffix)
