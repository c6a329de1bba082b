"""Cohort summary statistics on hand-built Datasets (and one real simulation)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import simulator
from simulator.summary import summarize

FLAG_ATTRS = {"flag_values": np.array([-1, 0, 1, 2, 3]),
              "flag_meanings": "not_evaluable CR PR SD PD"}


def cohort(n: int = 20, *, cured: bool = False, seed: int = 0) -> xr.Dataset:
    """Synthetic results of ``n`` patients, 3 cycles and 2 lesions."""
    rng = np.random.default_rng(seed)
    # 3 CR, 5 PR, 6 SD, 4 PD, 2 NE (for n = 20): ORR = 8/20
    best = np.resize(np.repeat([0, 1, 2, 3, -1], [3, 5, 6, 4, 2]), n)
    pc, plc, p = ("patient", "cycle"), ("patient", "lesion", "cycle"), ("patient",)
    data = {
        "best_response": (p, best, FLAG_ATTRS),
        "near_complete_response": (p, np.arange(n) < 2),
        "complete_metabolic_response": (p, np.arange(n) < 1),
        "progression_observed": (p, best == 3),
        "kidney_bed_limit_exceeded": (p, np.zeros(n, bool)),
        "kidney_dose_limit_exceeded": (p, np.arange(n) < 5),
        "marrow_dose_limit_exceeded": (p, np.zeros(n, bool)),
        "tcp": (p, rng.uniform(0, 1, n)),
        "progression_time_months": (p, rng.uniform(1, 30, n)),
        "kidney_dose_gy": (pc, rng.uniform(2, 6, (n, 3))),
        "marrow_dose_gy": (pc, rng.uniform(0.1, 0.3, (n, 3))),
        "kidney_bed_gy": (pc, rng.uniform(2, 7, (n, 3))),
        "injected_activity_gbq": (pc, np.full((n, 3), 7.4)),
        "lesion_dose_gy": (plc, rng.uniform(5, 50, (n, 2, 3))),
        "lesion_bed_gy": (plc, rng.uniform(6, 60, (n, 2, 3))),
    }
    if cured:
        data["cured"] = (p, np.arange(n) < 4)
    return xr.Dataset(data, coords={"patient": np.arange(n), "cycle": [1, 2, 3],
                                    "lesion": ["a", "b"]}, attrs={"seed": 99})


def test_wilson_interval_matches_textbook():
    s = summarize(cohort())
    assert float(s["orr"]) == pytest.approx(0.4)
    assert float(s["orr_ci_low"]) == pytest.approx(0.2188, abs=1e-4)
    assert float(s["orr_ci_high"]) == pytest.approx(0.6134, abs=1e-4)


def test_response_proportions():
    s = summarize(cohort())
    assert list(s["response"].values) == ["CR", "PR", "SD", "PD", "not_evaluable"]
    assert float(s["response_proportion"].sum()) == pytest.approx(1.0)
    np.testing.assert_allclose(s["response_proportion"], [0.15, 0.25, 0.30, 0.20, 0.10])
    assert (s["response_ci_low"] <= s["response_proportion"]).all()
    assert (s["response_proportion"] <= s["response_ci_high"]).all()
    assert float(s["kidney_dose_limit_exceeded_rate"]) == pytest.approx(0.25)
    assert float(s["kidney_bed_limit_exceeded_rate_ci_low"]) == 0.0


def test_kaplan_meier_hand_computed():
    ds = xr.Dataset({"progression_time_months": ("patient", [1.0, 2, 2, 3, 4, 5]),
                     "progression_observed": ("patient", np.array([1, 1, 0, 1, 0, 1], bool))})
    s = summarize(ds)
    # product limit: t=1 5/6; t=2 (event before the censoring) 5/6*4/5; t=3 *2/3; t=5 *0
    s1 = 5 / 6
    s2 = s1 * 4 / 5
    s3 = s2 * 2 / 3
    np.testing.assert_allclose(s["month"], [0, 1, 2, 3, 4, 5])
    np.testing.assert_allclose(s["pfs"], [1.0, s1, s2, s3, s3, 0.0])
    np.testing.assert_array_equal(s["pfs_at_risk"], [6, 6, 5, 3, 2, 1])
    assert float(s["median_pfs_months"]) == 3.0
    low, high = s["pfs_ci_low"].values[1:4], s["pfs_ci_high"].values[1:4]
    assert np.all(low <= s["pfs"].values[1:4]) and np.all(s["pfs"].values[1:4] <= high)
    s = summarize(ds, pfs_months=[0.5, 2.5])
    np.testing.assert_allclose(s["pfs"], [1.0, s2])


def test_median_pfs_not_reached_is_nan():
    ds = xr.Dataset({"progression_time_months": ("patient", [1.0, 2, 3, 4]),
                     "progression_observed": ("patient", np.array([1, 0, 0, 0], bool))})
    s = summarize(ds)
    assert float(s["pfs"].isel(month=-1)) == pytest.approx(0.75)
    assert np.isnan(float(s["median_pfs_months"]))


def test_dose_quantiles_equal_numpy():
    ds = cohort()
    q = (0.1, 0.5, 0.9)
    s = summarize(ds, quantiles=q)
    np.testing.assert_allclose(s["quantile"], q)
    np.testing.assert_allclose(s["cumulative_kidney_dose_gy_quantiles"],
                               np.quantile(ds["kidney_dose_gy"].values.sum(axis=1), q))
    np.testing.assert_allclose(s["kidney_gy_per_gbq_quantiles"],
                               np.quantile(ds["kidney_dose_gy"].values[:, 0] / 7.4, q))
    np.testing.assert_allclose(s["lesion_dose_per_cycle_gy_quantiles"],
                               np.quantile(ds["lesion_dose_gy"].values.ravel(), q))


def test_nan_lesions_ignored():
    ds = cohort()
    for var in ("lesion_dose_gy", "lesion_bed_gy"):
        ds[var][1::2, 1, :] = np.nan  # odd patients have one lesion only
    s = summarize(ds)
    q = s["quantile"].values
    present = ds["lesion_dose_gy"].values
    np.testing.assert_allclose(s["lesion_dose_per_cycle_gy_quantiles"],
                               np.quantile(present[np.isfinite(present)], q))
    bed = ds["lesion_bed_gy"].values.sum(axis=2)  # NaN for absent lesions
    np.testing.assert_allclose(s["cumulative_lesion_bed_gy_quantiles"],
                               np.quantile(bed[np.isfinite(bed)], q))
    assert np.all(np.isfinite(s["cumulative_lesion_bed_gy_quantiles"]))


def test_optional_variables_skipped():
    s = summarize(cohort())
    assert "cure_rate" not in s
    assert float(summarize(cohort(cured=True))["cure_rate"]) == pytest.approx(0.2)
    ds = cohort().drop_vars(["tcp", "lesion_dose_gy", "best_response", "progression_observed"])
    s = summarize(ds)
    for name in ("tcp_mean", "lesion_dose_per_cycle_gy_quantiles", "orr", "pfs",
                 "response_proportion", "progression_observed_rate"):
        assert name not in s
    assert "cumulative_lesion_bed_gy_quantiles" in s
    assert "near_complete_response_rate" in s


def test_attrs_and_metadata():
    ds = cohort()
    s = summarize(ds)
    assert s.attrs["n_patients"] == 20
    assert s.attrs["seed"] == 99
    assert float(s["tcp_mean"]) == pytest.approx(ds["tcp"].values.mean())
    assert float(s["tcp_sem"]) == pytest.approx(ds["tcp"].values.std(ddof=1) / np.sqrt(20))
    for name, var in s.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    no_attrs = ds.copy()
    no_attrs.attrs = {}
    assert "seed" not in summarize(no_attrs).attrs


def test_real_single_patient_simulation():
    s = summarize(simulator.simulate(simulator.compose()))
    assert s.attrs["n_patients"] == 1
    for name in ("orr", "tcp_mean", "cumulative_kidney_dose_gy_quantiles",
                 "kidney_gy_per_gbq_quantiles", "cumulative_lesion_bed_gy_quantiles",
                 "lesion_dose_per_cycle_gy_quantiles", "pfs", "response_proportion",
                 "kidney_dose_limit_exceeded_rate_ci_high"):
        assert np.all(np.isfinite(s[name].values)), name
    assert float(s["response_proportion"].sum()) == pytest.approx(1.0)
