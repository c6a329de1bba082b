"""Control arm without PRRT (``therapy=none``): no peptide, no dose, exact pure growth."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.outcomes import compute_outcomes
from simulator.population import Columns
from simulator.runner import run_chunk
from simulator.tumour.untreated import inverse_size_integral_h
from simulator.units import HOURS_PER_MONTH
from tests.conftest import plain_cfg

NONE = ["therapy=none", "cohort.n_patients=8", "response.follow_up_months=12",
        "+cohort.parameters={tumour.volume_growth_percent_per_month:"
        "{dist:normal,mean:3.0,sd:4.0,low:-10.0,high:30.0}}"]


def test_therapy_none_composes_without_peptide():
    cfg = simulator.compose(["therapy=none"])
    assert (cfg.therapy.activity_gbq, cfg.therapy.peptide_nmol) == (0.0, 0.0)


def test_control_arm_has_zero_dose_and_grows_as_the_closed_form():
    ds = simulator.simulate(simulator.compose(NONE))
    for var in ("lesion_dose_gy", "kidney_dose_gy", "marrow_dose_gy", "lesion_bed_gy"):
        assert np.nansum(np.abs(ds[var].values)) == 0.0, var
    growth = ds.parameter_value.sel(parameter="tumour.volume_growth_percent_per_month").values
    v0 = ds.lesion_volume_ml.isel(time=0).values[:, 0]
    f_s = 0.05
    months = ds.time.values / HOURS_PER_MONTH
    expected = v0[:, None] * (f_s + (1 - f_s) * (1 + growth[:, None] / 100.0) ** months[None, :])
    np.testing.assert_allclose(ds.lesion_volume_ml.values[:, 0], expected, rtol=1e-9)
    assert (ds.best_response.values[growth > 0] != 0).all()   # no CR among growing tumours


def test_inverse_size_integral_limits():
    np.testing.assert_allclose(inverse_size_integral_h(0.0, 5.0), 5.0)
    np.testing.assert_allclose(inverse_size_integral_h(1e-3, 10.0), (1 - np.exp(-1e-2)) / 1e-3)
    np.testing.assert_allclose(inverse_size_integral_h(-1e-3, 10.0), (np.exp(1e-2) - 1) / 1e-3)


@pytest.mark.slow
def test_closed_form_equals_the_integrated_engine():
    cfg = plain_cfg(*NONE)
    from simulator.cohort import sample_parameters

    sampled = sample_parameters(cfg["cohort"], cfg["seed"], 0, 8)
    cols = Columns(cfg, 8, sampled)
    fast = run_chunk(cols)
    slow = run_chunk(cols, closed_form_without_peptide=False)
    np.testing.assert_allclose(fast.states, slow.states, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fast.boundary_states, slow.boundary_states, rtol=1e-6, atol=1e-8)
    a, b = compute_outcomes(fast, cols), compute_outcomes(slow, cols)
    np.testing.assert_array_equal(a.best_response, b.best_response)
    np.testing.assert_allclose(a.progression_time_months, b.progression_time_months)
    np.testing.assert_allclose(a.tcp, b.tcp, atol=1e-12)


def test_netter1_control_arm_small_cohort_has_zero_tumour_dose():
    ds = simulator.simulate(simulator.compose(["cohort=netter1", "cohort.n_patients=20",
                                               "therapy=none", "output.progress=false"]))
    assert np.nansum(ds.lesion_dose_gy.values) == 0.0
    assert np.isfinite(ds.progression_time_months.values).all()
    assert ds.lesion.size == 3 and (ds.injected_activity_gbq.values == 0.0).all()
