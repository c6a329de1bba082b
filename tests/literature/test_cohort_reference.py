"""Issue 4, "Must reach": engine vs scipy reference over a 200-patient wide-spread cohort.

conf/cohort/wide.yaml spreads six parameters (SSTR density GSD 3, alpha GSD 2, GFR,
clearance half-time 7-120 d, peptide 100-300 nmol, lesion volume GSD 2.5).  Each patient
is integrated again by ``scipy.integrate.solve_ivp`` (Radau, rtol 1e-8, atol 1e-12) on the
independently coded right-hand side of :mod:`simulator.reference`
(:func:`simulator.reference.reference_outcomes`); lesion BED, kidney dose
and log-survival must agree within 1e-6 relative.  About 30 min on one core: ``slow``.
The default suite runs the same comparison on 3 patients against their scipy states stored
in ``tests/literature/golden/cohort_reference.npz`` (``python -m tests.golden --update``);
the live comparison on those 3 patients is ``slow`` too.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator.reference import max_relative_difference as rel
from simulator.reference import reference_outcomes
from simulator.reference import wide_config as config
from tests import golden


@pytest.mark.slow
@pytest.mark.parametrize("n", [200, 3])
def test_engine_matches_scipy_over_a_wide_cohort(n):
    ours, theirs, log_s, _, _ = reference_outcomes(config(n), n, 1e-8)
    assert rel(ours.lesion_bed_gy, theirs.lesion_bed_gy) <= 1e-6
    assert rel(ours.organ_dose_gy[:, 0], theirs.organ_dose_gy[:, 0]) <= 1e-6
    assert rel(log_s[0], log_s[1]) <= 1e-6
    assert np.ptp(ours.lesion_bed_gy[:, 0].sum(axis=-1)) > 0   # the patients differ


def test_engine_matches_the_golden_scipy_states_of_a_wide_cohort():
    stored = golden.Golden(golden.COHORT_FILE)
    res, cols, ours = golden.cohort_engine()
    wide = stored.case("wide")
    for name, value in golden.schedule_arrays(res).items():
        np.testing.assert_allclose(value, wide[f"input/{name}"], rtol=1e-12, atol=0,
                                   err_msg=name)   # same inputs, to rounding
    theirs, log_s = golden.cohort_outcomes_of_states(res, cols, wide["boundary"], wide["series"])
    assert rel(ours.lesion_bed_gy, theirs.lesion_bed_gy) <= 1e-6
    assert rel(ours.organ_dose_gy[:, 0], theirs.organ_dose_gy[:, 0]) <= 1e-6
    assert rel(log_s[0], log_s[1]) <= 1e-6
    assert np.ptp(ours.lesion_bed_gy[:, 0].sum(axis=-1)) > 0   # the patients differ


def test_cohort_golden_file_holds_the_config_and_tolerances_used_here():
    """A changed cohort config cannot compare silently with a stale golden file."""
    stored = golden.Golden(golden.COHORT_FILE)
    assert stored.meta["solver"] == {"method": "Radau", "rtol": 1e-8, "atol": 1e-12}
    assert stored.meta["n_patients"] == golden.COHORT_N == stored.case("wide")["boundary"].shape[0]
    assert stored.meta["cases"]["wide"]["config"] == json.loads(
        golden.config_json(config(golden.COHORT_N))), (
        f"conf/cohort/wide.yaml changed since the golden file was made; "
        f"rerun the slow tests and {golden.UPDATE_COMMAND}")
