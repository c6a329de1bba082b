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


def test_a_declared_variant_term_is_added_only_under_a_suffix(g):
    """--add-terms: a dropped target that a declared variant names (likelihood.VARIANT_TERMS)
    becomes a binomial term on its statistic; any other name is refused, and without --suffix
    nothing is fitted; the emulated statistics list it once."""
    from simulator.calibration.likelihood import VARIANT_TERMS

    targets = ROOT / "experiments" / "targets" / "calibration.yaml"
    plain = load_terms(targets)
    added = load_terms(targets, add=("netter1_cr_treated",))
    new = [t for t in added if t.name not in {p.name for p in plain}]
    assert [t.name for t in new] == ["netter1_cr_treated"] == list(VARIANT_TERMS)
    assert new[0].statistic == "recist_cr_treated" and new[0].kind == "binomial"
    assert (new[0].value, new[0].n_trial) == (pytest.approx(1 / 101), 101)
    assert g["emulated_statistics"](added).count("recist_cr_treated") == 1
    with pytest.raises(ValueError, match="no variant term .'kwekkeboom2008_pr'.: allowed"):
        load_terms(targets, add=("kwekkeboom2008_pr",))
    with pytest.raises(SystemExit, match="--add-terms needs --suffix"):
        g["main"](["fit", "--add-terms", "netter1_cr_treated"])


def test_a_variant_predictive_reads_its_own_posterior_and_refuses_before_compute(g):
    """predictive --suffix reads posterior<suffix>.nc and names it when it is missing;
    --skip-validation (no NETTER-2, no Sundlöv) is refused for the main predictive.nc, which
    the validation report reads. Both refusals come before any simulation."""
    with pytest.raises(SystemExit, match="posterior_nosuch.nc does not exist"):
        g["main"](["predictive", "--suffix", "_nosuch"])
    with pytest.raises(SystemExit, match="--skip-validation needs --suffix"):
        g["main"](["predictive", "--skip-validation"])


def test_write_predictive_records_its_posterior_and_what_was_skipped(g, tmp_path):
    import argparse

    import numpy as np
    import xarray as xr

    from simulator.calibration.space import Space

    space = Space()
    draws = np.tile([(p.low + p.high) / 2 for p in space.parameters], (3, 1))
    rows = [{"orr_treated": 0.2, "recist_cr_treated": 0.003},
            {"orr_treated": 0.25, "recist_cr_treated": 0.0}]
    args = argparse.Namespace(patients=10, lanes=1, trial_seed=1, seed=3, suffix="_v",
                              skip_validation=True)
    path = tmp_path / "predictive_v.nc"
    g["write_predictive"](space, draws, rows, args, 0.0, path)
    ds = xr.load_dataset(path)
    assert ds.sizes["draw"] == 2                                # the rows simulated so far
    assert ds.attrs["posterior"] == "posterior_v.nc"
    assert ds.attrs["validation_arms"] == "skipped"
    np.testing.assert_array_equal(ds.statistic_value.sel(statistic="recist_cr_treated"),
                                  [0.003, 0.0])
