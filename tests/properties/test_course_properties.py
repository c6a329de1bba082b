"""Hypothesis: any valid configuration gives finite, non-negative outputs (issue 3)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator

valid = st.fixed_dictionaries({
    "therapy.activity_gbq": st.floats(0.0, 15.0),
    "therapy.n_cycles": st.integers(1, 5),
    "therapy.interval_weeks": st.floats(4.0, 12.0),
    "patient.sstr_density_nmol_per_l": st.floats(0.0, 2000.0),
    "lesions.liver_1.volume_ml": st.floats(0.05, 500.0),
    "radiobiology.tumour_alpha_per_gy": st.floats(0.0, 0.5),
    "tumour.stroma_fraction": st.floats(0.0, 0.9),
    "tumour.doomed_clearance_half_time_d": st.floats(1.0, 365.0),
    "tumour.volume_growth_percent_per_month": st.floats(0.0, 20.0),
    "tumour.growth": st.sampled_from(["exponential", "gompertz"]),
})


# derandomize: CI runs the same examples every time (a failure is reproducible locally)
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(valid)
def test_no_nan_no_negative_cells_for_valid_configs(params):
    overrides = [f"{k}={v}" for k, v in params.items()]
    overrides += ["tumour.potential_doubling_time_d=5", "response.follow_up_months=12",
                  "tumour.gompertz_max_volume_ml=5000", "therapy.peptide_nmol=200"]
    ds = simulator.simulate(simulator.compose(overrides))
    for name, var in ds.data_vars.items():
        values = np.asarray(var.values, dtype=float)
        if name == "best_decrease":      # undefined (NaN) exactly when no lesion is a target
            has_target = ds.lesion_is_target.any("lesion").values
            assert np.all(np.isfinite(values) == has_target), name
            continue
        if name == "new_lesion_time_months":  # inf exactly when the hazard is 0 (as here)
            assert np.all(values == np.inf), name
            continue
        if name == "targets_gone_time_months":  # inf (never), else one of the patient's visits
            visits = ds.visit_time_months.values[:, 1:]
            seen = np.isfinite(values)
            assert np.all(values[~seen] == np.inf), name
            assert np.all(np.any(visits[seen] == values[seen, None], axis=1)), name
            continue
        assert np.all(np.isfinite(values)), name
    for name in ("lesion_volume_ml", "lesion_viable_fraction", "tcp"):
        assert np.all(ds[name].values >= 0), name
    # doses integrate activities that may dip below zero by the solver's absolute tolerance
    # (solver.atol_nmol = 1e-9 nmol ~ 1e-6 MBq): allow that much noise, no more
    for name in ("lesion_dose_gy", "lesion_bed_gy", "kidney_dose_gy", "marrow_dose_gy"):
        assert np.all(ds[name].values >= -1e-9), name
    assert np.all(ds.lesion_viable_fraction.values <= 1.0 + 1e-12)
