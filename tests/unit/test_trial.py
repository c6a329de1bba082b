"""Virtual-trial analysis (simulator.trial): evaluable patients, endpoints, hazard ratio."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simulator.response.recist import CR, NOT_EVALUABLE, PD, PR, SD
from simulator.trial import (
    arm_config,
    arm_endpoints,
    endpoint_values,
    evaluable,
    hazard_ratio,
    interpolated_median_months,
    pool_arms,
    run_mixed_arm,
)

pytest.importorskip("lifelines")


def _arm(best, time, observed) -> xr.Dataset:
    p = ("patient",)
    return xr.Dataset({"best_response": (p, np.asarray(best)),
                       "progression_time_months": (p, np.asarray(time, float)),
                       "progression_observed": (p, np.asarray(observed, bool))})


def test_endpoints_of_a_tiny_arm():
    ds = _arm([CR, PR, SD, SD, PD, NOT_EVALUABLE], [30, 30, 12, 24, 3, 30],
              [False, False, True, True, True, False])
    assert evaluable(ds).sizes["patient"] == 5
    e = arm_endpoints(ds, months=(8.4, 20.0))
    assert e.n == 5 and e.orr == pytest.approx(2 / 5)
    assert e.orr_ci[0] < 0.4 < e.orr_ci[1]
    # no censoring before 24 months: KM = fraction still free of progression
    assert e.pfs[8.4] == pytest.approx(4 / 5) and e.pfs[20.0] == pytest.approx(3 / 5)
    assert e.median_pfs_months == pytest.approx(24.0)


def test_hazard_ratio_of_exponential_arms_is_the_rate_ratio():
    u = (np.arange(2000) + 0.5) / 2000        # deterministic exponential quantiles
    t_a, t_b = -np.log1p(-u) / 1.0, -np.log1p(-u) / 5.0
    ones = np.ones(u.size, bool)
    hr = hazard_ratio(t_a, ones, t_b, ones)
    assert hr.hr == pytest.approx(0.2, rel=0.05)
    assert hr.ci[0] < hr.hr < hr.ci[1] and hr.logrank_p < 1e-10


def test_hazard_ratio_is_antisymmetric_and_matches_lifelines():
    import pandas as pd
    from lifelines import CoxPHFitter

    t_a, e_a = np.array([5.0, 8.0, 12.0, 20.0, 30.0]), np.array([1, 1, 0, 1, 0], bool)
    t_b, e_b = np.array([2.0, 3.0, 6.0, 9.0, 15.0]), np.array([1, 1, 1, 1, 0], bool)
    ab, ba = hazard_ratio(t_a, e_a, t_b, e_b), hazard_ratio(t_b, e_b, t_a, e_a)
    assert ab.hr * ba.hr == pytest.approx(1.0, rel=1e-6)
    assert ab.hr < 1.0 and ab.logrank_p == pytest.approx(ba.logrank_p)
    df = pd.DataFrame({"t": np.r_[t_a, t_b], "e": np.r_[e_a, e_b], "x": np.r_[np.ones(5),
                                                                           np.zeros(5)]})
    ref = CoxPHFitter().fit(df, "t", "e")
    assert ab.hr == pytest.approx(float(np.exp(ref.params_["x"])), rel=1e-9)


def test_interpolated_median_lies_between_the_assessments_around_the_crossing():
    # 1000 patients, no censoring: 10 % progress at 2.76, 39.8 % at 5.52 (PFS 0.502), 30 %
    # at 8.28 (PFS 0.202), the rest at 11.04 months
    counts = {2.76: 100, 5.52: 398, 8.28: 300, 11.04: 202}
    times = np.repeat(list(counts), list(counts.values()))
    ds = _arm(np.full(times.size, SD), times, np.ones(times.size, bool))
    assert arm_endpoints(ds).median_pfs_months == pytest.approx(8.28)  # step function
    expected = 5.52 + (0.502 - 0.5) / (0.502 - 0.202) * 2.76          # linear, by hand
    assert interpolated_median_months(ds) == pytest.approx(expected, rel=1e-9)
    never = _arm([SD] * 4, [30.0] * 4, [False] * 4)                   # PFS never reaches 0.5
    assert np.isnan(interpolated_median_months(never))


def test_endpoint_values_of_a_tiny_arm():
    ds = _arm([CR, PR, SD, SD, PD, NOT_EVALUABLE], [30, 30, 12, 24, 3, 30],
              [False, False, True, True, True, False])
    v = endpoint_values(ds)
    assert v["n"] == 5 and v["orr"] == pytest.approx(0.4) and v["cr"] == pytest.approx(0.2)
    assert v["pfs_8.4"] == pytest.approx(0.8) and v["pfs_20"] == pytest.approx(0.6)


def test_the_two_arms_of_a_virtual_trial_share_patients_and_differ_in_therapy():
    treated = arm_config(20, 7, control=False)
    control = arm_config(20, 7, control=True)
    assert treated["cohort"] == control["cohort"] and treated["seed"] == control["seed"] == 7
    assert treated["therapy"]["activity_gbq"] > 0 and control["therapy"]["activity_gbq"] == 0

    def edit(cfg):
        cfg["cohort"]["parameters"]["radiobiology.tumour_alpha_per_gy"]["median"] = 0.02

    edited = arm_config(20, 7, control=False, edit=edit)
    assert edited["cohort"]["parameters"]["radiobiology.tumour_alpha_per_gy"]["median"] == 0.02
    assert arm_config(20, 7, control=False) == treated   # the edit changed a copy


def _lesion_arm(values, n_lesions=3, seed_attr=1) -> xr.Dataset:
    n = len(values)
    return xr.Dataset(
        {"x": ("patient", np.asarray(values, float)),
         "dose": (("patient", "lesion"), np.arange(n * n_lesions, dtype=float).reshape(n, -1)),
         "cycle_start_h": ("cycle", [0.0, 1344.0])},
        coords={"patient": np.arange(n), "lesion": [f"lesion_{k}" for k in range(n_lesions)]},
        attrs={"seed": seed_attr, "n_patients": n})


def test_pooled_arms_keep_every_patient_and_renumber_them():
    a, b = _lesion_arm([1.0, 2.0]), _lesion_arm([3.0], seed_attr=2)
    ds = pool_arms([a, b])
    np.testing.assert_array_equal(ds.x.values, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ds.dose.values, np.vstack([a.dose.values, b.dose.values]))
    np.testing.assert_array_equal(ds.patient.values, [0, 1, 2])
    np.testing.assert_array_equal(ds.cycle_start_h.values, [0.0, 1344.0])   # not per patient
    assert ds.attrs["n_patients"] == 3 and ds.attrs["pooled_seeds"] == "1, 2"


def test_arms_of_different_designs_are_not_pooled():
    with pytest.raises(ValueError, match="along 'lesion'"):
        pool_arms([_lesion_arm([1.0]), _lesion_arm([2.0], n_lesions=4)])
    with pytest.raises(ValueError, match="no arms"):
        pool_arms([])
    other_schedule = _lesion_arm([2.0]).assign(cycle_start_h=("cycle", [0.0, 1680.0]))
    with pytest.raises(ValueError, match="'cycle_start_h' differs"):
        pool_arms([_lesion_arm([1.0]), other_schedule])
    with pytest.raises(ValueError, match="dimensions"):
        pool_arms([_lesion_arm([1.0]), _lesion_arm([2.0]).drop_dims("cycle")])


def test_a_mixed_arm_splits_its_patients_by_share_with_one_seed_per_part(monkeypatch):
    import simulator.trial as trial

    calls = []

    def fake_run_arm(n, seed, control, edit=None, cohort="netter1", overrides=()):
        calls.append((n, seed, control, edit, cohort, overrides))
        return _lesion_arm([float(seed)] * n)

    monkeypatch.setattr(trial, "run_arm", fake_run_arm)
    ds = run_mixed_arm(1000, 50, True, ((0.54, "pancreatic"), (0.46, "midgut")),
                       cohort="netter2", overrides=("solver.lanes=64",))
    assert calls == [(540, 50, True, "pancreatic", "netter2", ("solver.lanes=64",)),
                     (460, 51, True, "midgut", "netter2", ("solver.lanes=64",))]
    assert ds.sizes["patient"] == 1000 and np.count_nonzero(ds.x.values == 50.0) == 540


@pytest.mark.parametrize("parts", [(), ((0.5, None), (0.4, None)), ((1.2, None), (-0.2, None))])
def test_mixed_arm_shares_must_be_positive_and_sum_to_one(parts):
    with pytest.raises(ValueError, match="shares"):
        run_mixed_arm(100, 1, False, parts)


def test_a_mixed_arm_too_small_for_its_parts_is_an_error():
    with pytest.raises(ValueError, match="every part needs one"):
        run_mixed_arm(1, 1, False, ((0.5, None), (0.5, None)))


def test_a_mixed_arm_takes_its_parts_from_any_iterable(monkeypatch):
    import simulator.trial as trial

    monkeypatch.setattr(trial, "run_arm", lambda n, seed, *a, **k: _lesion_arm([0.0] * n))
    parts = (p for p in ((0.5, None), (0.5, None)))                 # a generator
    assert run_mixed_arm(4, 1, False, parts).sizes["patient"] == 4
