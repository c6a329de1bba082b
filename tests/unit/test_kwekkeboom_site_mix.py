"""experiments/kwekkeboom_site_mix.py: the pancreatic change it applies, the mixture of the two
parts' rates, the study-level hazard factor's report, and the declared intervals of its report
(no simulation)."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def g(tmp_path):
    g = runpy.run_path(str(ROOT / "experiments" / "kwekkeboom_site_mix.py"))["main"].__globals__
    g["RESULTS"] = tmp_path
    return g


def test_the_pancreatic_part_gets_the_site_runs_clearance_and_alpha(g):
    site = xr.Dataset({"pancreatic_clearance_median_d": ("draw", [30.0, 30.0]),
                       "pancreatic_alpha_median_per_gy": ("draw", [0.03, 0.05])})
    cfg = {"cohort": {"parameters": {"tumour.doomed_clearance_half_time_d": {"median": 900.0},
                                     "radiobiology.tumour_alpha_per_gy": {"median": 0.02}}}}
    def draw_edit(c):                     # the draw's population sets both medians too
        c["cohort"]["parameters"]["tumour.doomed_clearance_half_time_d"]["median"] = 1500.0
        c["cohort"]["parameters"]["radiobiology.tumour_alpha_per_gy"]["median"] = 0.01

    g["site_edit"](draw_edit, site, 1)(cfg)
    p = cfg["cohort"]["parameters"]       # the change is applied after the draw's edit
    assert p["tumour.doomed_clearance_half_time_d"]["median"] == 30.0
    assert p["radiobiology.tumour_alpha_per_gy"]["median"] == 0.05
    only_clearance = site.drop_vars("pancreatic_alpha_median_per_gy")
    g["site_edit"](lambda c: None, only_clearance, 0)(cfg)
    assert p["radiobiology.tumour_alpha_per_gy"]["median"] == 0.05   # untouched


def test_a_share_mixes_the_two_parts_rates(g):
    np.testing.assert_allclose(g["mixed"](np.array([0.01, 0.1]), np.array([0.1, 0.0]), 0.3),
                               [0.037, 0.07])


def _site_mix(n=4):
    """Two hazard factors; rates constant over draws: midgut CR, PR, MR, SD, PD and
    pancreatic at f = 1 and f = 2 (PD up, PR down with the factor)."""
    vals = {"midgut": ((0.005, 0.2, 0.2, 0.495, 0.1), (0.005, 0.15, 0.2, 0.445, 0.2)),
            "pancreatic": ((0.05, 0.5, 0.1, 0.31, 0.04), (0.05, 0.45, 0.1, 0.32, 0.08))}
    data = {f"{part}_{c}": (("draw", "hazard_factor"),
                            np.tile([[v1, v2]], (n, 1)))
            for part, rows in vals.items()
            for c, v1, v2 in zip(("cr", "pr", "mr", "sd", "pd"), *rows, strict=True)}
    return xr.Dataset(data, coords={"hazard_factor": [1.0, 2.0]},
                      attrs={"command": "cmd", "site": "s", "wall_time_s": 1.0})


def test_the_report_compares_with_kwekkeboom_wilson_intervals(g, tmp_path):
    g["report"](_site_mix())
    text = (tmp_path / "kwekkeboom_site_mix.md").read_text()
    assert "CR (2%, 0.9%-4.2%)" in text and "PD (20%, 15.9%-24.8%)" in text
    assert "PR (28%, 23.4%-33.3%)" in text
    row = next(line for line in text.splitlines() if line.startswith("| 0.2 | 1 |"))
    assert "1.4 % (1.4-1.4), 4" in row      # CR 0.8 x 0.5 % + 0.2 x 5 %
    assert "26 % (26-26), 4" in row         # PR 0.8 x 20 % + 0.2 x 50 %
    assert "8.8 % (8.8-8.8), 0" in row      # PD 0.8 x 10 % + 0.2 x 4 %
    assert row.endswith("| 0 of 4 | 0 of 4 |")
    row2 = next(line for line in text.splitlines() if line.startswith("| 0.2 | 2 |"))
    assert "18 % (18-18), 4" in row2        # PD 0.8 x 20 % + 0.2 x 8 %
    assert "21 % (21-21), 0" in row2        # PR 0.8 x 15 % + 0.2 x 45 %: below 23.4 %
    # the factor that reaches PD 20 %: at s = 0, exactly 2; at s = 0.2 beyond the grid
    assert "| 0.0 | 2 | 4 of 4 |" in text
    assert "| 0.2 | > 2 | 0 of 4 |" in text


def test_factor_for_pd_interpolates_in_log_factor(g):
    factors = np.array([1.0, 2.0, 4.0])
    pd_ = np.array([[0.10, 0.15, 0.25], [0.25, 0.3, 0.4], [0.1, 0.11, 0.12]])
    f = g["factor_for"](pd_, factors, 0.20)
    assert f[0] == pytest.approx(2.0 * 2.0 ** 0.5)    # halfway between 2 and 4 in log f
    assert f[1] == 1.0 and np.isinf(f[2])


def test_midgut_arm_must_reproduce_the_predictive_trial(g):
    stats = ["swog_cr", "swog_pr", "swog_mr", "swog_pd", "n_evaluable_treated"]
    pred = xr.Dataset({"statistic_value": (("draw", "statistic"),
                                           [[0.01, 0.2, 0.2, 0.1, 2000.0]])},
                      coords={"statistic": stats})
    rates = {"CR": 0.01, "PR": 0.2, "MR": 0.2, "SD": 0.49, "PD": 0.1}
    g["check_midgut"](rates, pred, 0)
    g["check_midgut"](rates | {"PD": 0.1015}, pred, 0)    # 3 of 2000 patients: another CPU
    with pytest.raises(SystemExit, match="draw 0: the midgut arm gives Kwekkeboom PD 0.1020"):
        g["check_midgut"](rates | {"PD": 0.102}, pred, 0)  # 4 of 2000: stale or changed


def test_hazard_factors_below_one_are_refused(g):
    import argparse

    assert g["hazard_factor_type"]("1.5") == 1.5
    for bad in ("0.5", "nan", "inf"):
        with pytest.raises(argparse.ArgumentTypeError, match="allowed 1 <= f"):
            g["hazard_factor_type"](bad)


def test_site_draws_that_are_not_predictive_draws_are_refused(g):
    pred = xr.Dataset({"theta": (("draw", "hyperparameter"), [[0.02, 900.0], [0.03, 1200.0]])},
                      coords={"hyperparameter": ["alpha_median_per_gy", "clearance_median_d"]})
    site = xr.Dataset({"own_alpha_median_per_gy": ("draw", [0.02, 0.03]),
                       "own_clearance_median_d": ("draw", [900.0, 1200.0])})
    g["check_same_draws"](site, pred, "site_alpha.nc")
    with pytest.raises(SystemExit, match="does not record its draws' own_alpha"):
        g["check_same_draws"](site.drop_vars("own_alpha_median_per_gy"), pred, "site_alpha.nc")
    with pytest.raises(SystemExit, match="other posterior draws"):
        g["check_same_draws"](site.assign(own_alpha_median_per_gy=("draw", [0.03, 0.02])),
                              pred, "site_alpha.nc")
