"""Validation rung 2: the Rodas4 engine against an independent scipy Radau integration.

The reference (:mod:`simulator.pk.reference`) is a separately written, vectorised
right-hand side solved by ``scipy.integrate.solve_ivp(method="Radau")`` at
rtol 1e-10 with a finite-difference Jacobian.  Requirement (issue 2): time-integrated
activities within 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator.course import run_patient
from simulator.pk import model
from simulator.pk.layout import tia_offset
from simulator.pk.reference import reference_course, reference_rhs
from tests.conftest import plain_cfg

CASES = {
    "reference_2_cycles": ("therapy.n_cycles=2",),
    "three_lesions_saturating": (
        "therapy.n_cycles=1", "therapy.peptide_nmol=600",
        "+lesions={a:{volume_ml:80,sstr_density_nmol_per_l:400},"
        "b:{volume_ml:0.5,sstr_density_nmol_per_l:5,perfusion_ml_per_min_per_ml:0.1}}"),
}


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_time_integrated_activity_matches_scipy_radau(overrides):
    res = run_patient(plain_cfg(*overrides))
    s, sch = res.system, res.schedule
    ref = reference_course(s, sch.injection_times_h, sch.hot_nmol, sch.cold_nmol, sch.end_h,
                           rtol=1e-10, atol=1e-16)
    off = tia_offset(s.n_tissues)
    ours = np.diff(res.boundary_states[:, off:], axis=0)
    theirs = np.diff(ref[:, off:], axis=0)
    assert np.all(theirs > 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0)


def test_reference_rhs_equals_kernel_rhs():
    """Two independent codings of the same equations give the same derivative."""
    s = run_patient(plain_cfg("therapy.n_cycles=1")).system
    y = np.random.default_rng(5).uniform(0.0, 0.5, tia_offset(s.n_tissues) + 5 + s.n_tissues)
    ours = np.zeros(y.size)
    model.rhs(0.0, y, s.args, ours)
    np.testing.assert_allclose(ours, reference_rhs(0.0, y, s), rtol=1e-12, atol=1e-12)
