"""A small patient, its prior and fast sampler settings, shared by the personal tests."""

from __future__ import annotations

import pytest

from simulator.personal.measurements import parse_patient
from simulator.personal.prior import build_prior
from simulator.personal.settings import load_settings

SMALL = {
    "patient_id": "small", "body_mass_kg": 70.0, "gfr_ml_per_min": 85.0,
    "kidney_mass_g": 310.0,
    "cycles": [{"cycle": 1, "injection_time_d": 0, "activity_gbq": 7.4},
               {"cycle": 2, "injection_time_d": 56, "activity_gbq": 7.4, "given": False},
               {"cycle": 3, "injection_time_d": 112, "activity_gbq": 7.4, "given": False}],
    "lesions": [{"lesion": "liver_1", "site": "liver", "volume_ml": 15.0}],
    "activities": [{"cycle": 1, "region": r, "time_h": t, "activity_mbq": 50.0}
                   for r in ("kidneys", "liver_1") for t in (4.0, 24.0, 96.0, 168.0)],
    "doses": [{"cycle": 1, "region": "red_marrow", "dose_gy": 0.1}],
    "volumes": [{"lesion": "liver_1", "time_d": 50.0, "volume_ml": 15.0}],
}


@pytest.fixture(scope="session")
def small_patient():
    return parse_patient(SMALL)


@pytest.fixture(scope="session")
def fast_settings():
    return load_settings().with_sampler(n_twins=120, pilot_twins=60, laplace_starts=1,
                                        max_rounds=2, min_ess=5)


@pytest.fixture(scope="session")
def small_prior(small_patient, fast_settings):
    return build_prior(small_patient, fast_settings)
