"""Issue 4, "Must reach": engine vs scipy reference over a 200-patient wide-spread cohort.

conf/cohort/wide.yaml spreads six parameters (SSTR density GSD 3, alpha GSD 2, GFR,
clearance half-time 7-120 d, peptide 100-300 nmol, lesion volume GSD 2.5).  Each patient
is integrated again by ``scipy.integrate.solve_ivp`` (Radau, rtol 1e-8, atol 1e-12) on the
independently coded right-hand side of :mod:`simulator.reference`
(:func:`simulator.reference.reference_outcomes`); lesion BED, kidney dose
and log-survival must agree within 1e-6 relative.  About 30 min on one core: ``slow``.
The default suite runs the same comparison on 3 patients.
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.reference import max_relative_difference as rel
from simulator.reference import reference_outcomes


def config(n: int) -> dict:
    """The wide-spread cohort of benchmarks/bench_engine.py, ``n`` patients."""
    return simulator.validate(simulator.compose([
        "cohort=wide", f"cohort.n_patients={n}", "solver.chunk_size=1000",
        "output.progress=false"]))


@pytest.mark.parametrize("n", [pytest.param(200, marks=pytest.mark.slow), 3])
def test_engine_matches_scipy_over_a_wide_cohort(n):
    ours, theirs, log_s, _, _ = reference_outcomes(config(n), n, 1e-8)
    assert rel(ours.lesion_bed_gy, theirs.lesion_bed_gy) <= 1e-6
    assert rel(ours.organ_dose_gy[:, 0], theirs.organ_dose_gy[:, 0]) <= 1e-6
    assert rel(log_s[0], log_s[1]) <= 1e-6
    assert np.ptp(ours.lesion_bed_gy[:, 0].sum(axis=-1)) > 0   # the patients differ
