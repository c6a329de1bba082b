"""experiments/kwekkeboom_site_mix.py: the pancreatic change it applies, the mixture of the two
parts' rates, and the declared intervals of its report (no simulation)."""

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


def test_the_report_compares_with_kwekkeboom_wilson_intervals(g, tmp_path):
    n = 4
    ds = xr.Dataset({f"{part}_{c}": ("draw", np.full(n, v))
                     for part, vals in (("midgut", (0.005, 0.2, 0.1, 0.1)),
                                        ("pancreatic", (0.05, 0.5, 0.1, 0.04)))
                     for c, v in zip(("cr", "pr", "mr", "pd"), vals, strict=True)},
                    attrs={"command": "cmd", "site": "s", "wall_time_s": 1.0})
    g["report"](ds)
    text = (tmp_path / "kwekkeboom_site_mix.md").read_text()
    assert "CR (Kwekkeboom 2%, 0.9%-4.2%)" in text and "PD (20%, 15.9%-24.8%)" in text
    assert "PR (28%, 23.4%-33.3%)" in text
    row = next(line for line in text.splitlines() if line.startswith("| 0.2 |"))
    assert "1.4 % (1.4-1.4), inside in 4 of 4" in row      # 0.8 x 0.5 % + 0.2 x 5 %
    assert "26 % (26-26), inside in 4 of 4" in row        # 0.8 x 20 % + 0.2 x 50 %
    assert "8.8 % (8.8-8.8), inside in 0 of 4" in row     # 0.8 x 10 % + 0.2 x 4 %


def test_site_draws_that_are_not_predictive_draws_are_refused(g):
    pred = xr.Dataset({"theta": (("draw", "hyperparameter"), [[0.02, 900.0], [0.03, 1200.0]])},
                      coords={"hyperparameter": ["alpha_median_per_gy", "clearance_median_d"]})
    site = xr.Dataset({"own_alpha_median_per_gy": ("draw", [0.02, 0.03]),
                       "own_clearance_median_d": ("draw", [900.0, 1200.0])})
    g["check_same_draws"](site, pred, "site_alpha.nc")
    with pytest.raises(SystemExit, match="other posterior draws"):
        g["check_same_draws"](site.assign(own_alpha_median_per_gy=("draw", [0.03, 0.02])),
                              pred, "site_alpha.nc")
