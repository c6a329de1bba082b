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


def test_pooled_founding_twins_keep_what_the_conditioning_needs(g, tmp_path):
    """The founding stage's pooled twins (``founding_twins.nc``): each draw's twins with their
    parameters, accept flag and draw index; the posterior medians of founding_cases.py
    --infer-from are those of the accepted twins over every draw."""
    import numpy as np
    import xarray as xr

    from simulator.inference import posterior_medians

    def twins(values, accepted):
        return xr.Dataset(
            {"parameter_value": (("patient", "parameter"), np.asarray(values, float)),
             "accepted": ("patient", np.asarray(accepted, bool)),
             "best_decrease": ("patient", np.linspace(0.1, 0.9, len(accepted))),
             "tcp": ("patient", np.zeros(len(accepted)))},
            coords={"parameter": ["radiobiology.tumour_alpha_per_gy"]})

    parts = [g["pooled_twins"](twins([[0.01], [0.03], [0.05]], [False, True, True]), 0),
             g["pooled_twins"](twins([[0.02], [0.07]], [False, True]), 1)]
    pooled = xr.concat(parts, dim="patient")
    assert list(pooled.draw.values) == [0, 0, 0, 1, 1]
    assert pooled.parameter_value.dtype == np.float32 and "tcp" not in pooled
    assert posterior_medians(pooled) == {"radiobiology.tumour_alpha_per_gy": 0.05}
